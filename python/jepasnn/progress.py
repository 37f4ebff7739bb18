"""Progress of long calls: the library's progress bars reach a Python callback, tqdm when
installed, and Ctrl-C stops a call at its next update without leaving output behind."""

from __future__ import annotations

from typing import Callable, Union

ProgressCallback = Callable[[str, int, int, str], None]
Progress = Union[bool, ProgressCallback, None]


class _Tqdm:
    """One tqdm bar per label of the library's progress bars."""

    def __init__(self, tqdm):
        self._tqdm, self._bars = tqdm, {}

    def __call__(self, label: str, done: int, total: int, status: str) -> None:
        bar = self._bars.get(label)
        if bar is None or bar.total != total:
            if bar is not None:
                bar.close()
            bar = self._bars[label] = self._tqdm(total=total, desc=label, leave=False)
        bar.update(done - bar.n)
        if status:
            bar.set_postfix_str(status, refresh=False)
        if done >= total:
            bar.close()
            del self._bars[label]


def callback_of(progress: Progress) -> ProgressCallback | None:
    """``progress``: a callable(label, done, total, status); True for tqdm bars when tqdm is
    installed (nothing otherwise); False or None for none. Ctrl-C is watched in every case."""
    if callable(progress):
        return progress
    if progress:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return None
        return _Tqdm(tqdm)
    return None
