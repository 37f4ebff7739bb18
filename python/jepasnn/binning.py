"""Binning spikes into integer counts (time x units) by DESIGN.md's rule, from an NWB file, a
:class:`jepasnn.Session`, spike-time arrays or a pynapple ``TsGroup``, over a range or epochs."""

from __future__ import annotations

import os
from typing import NamedTuple, Sequence

import numpy as np

from . import _jepasnn
from ._jepasnn import Session
from .interop import epochs_of, tsdframe


class Binned(NamedTuple):
    """Counts (time x units, in the count type asked for), the unit id of each column and the
    start time (s) of each row."""

    counts: np.ndarray
    unit_ids: np.ndarray
    bin_starts: np.ndarray


def bin(  # noqa: A001 - the name users know from the CLI (`jepasnn bin`)
    source,
    bin_ms: float = 10.0,
    *,
    t_start: float | None = None,
    t_stop: float | None = None,
    block: int | None = None,
    state: str | None = None,
    epochs=None,
    qc: str = "none",
    dtype: str = "narrowest",
    unit_ids: Sequence[int] | None = None,
    output: str = "numpy",
):
    """Spike counts per bin of ``bin_ms`` milliseconds.

    source
        A path to an NWB file, a :class:`jepasnn.Session`, a sequence of 1-D arrays of spike
        times in seconds (one per unit, each sorted), or a pynapple ``TsGroup``.
    t_start, t_stop
        The range [t_start, t_stop) in seconds (both or neither); or ``block`` (a stimulus block
        number) or ``state`` (``"active"`` or ``"passive"``); none of them: the whole session.
    epochs
        Instead of a range: a pynapple ``IntervalSet`` or (n, 2) [start, end) pairs in seconds;
        each epoch is binned on its own grid from its start, as pynapple's ``count`` does, and
        the rows follow one another in epoch order.
    qc
        ``"none"`` or ``"default"`` (the VBN notebook filter), files and sessions only.
    dtype
        ``"narrowest"`` (uint8 when every count fits, else uint16, else int32), ``"uint8"``,
        ``"uint16"`` or ``"int32"``; a count the type cannot hold is a ``ValueError`` naming the
        unit and the bin.
    unit_ids
        Ids of spike-time arrays (default 0, 1, ...); a ``TsGroup`` brings its own.
    output
        ``"numpy"``: a :class:`Binned`; ``"pynapple"``: a ``TsdFrame`` of the counts (columns
        the unit ids, stamped at the bins' centres, time support the binned range or epochs).
    """
    if output not in ("numpy", "pynapple"):
        raise ValueError(f"bin: output '{output}', expected 'numpy' or 'pynapple'")
    if isinstance(source, (str, os.PathLike)) and epochs is not None:
        source = Session(os.fspath(source))  # read once for every epoch
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        run = lambda a, b: _jepasnn._bin_file(path, bin_ms, a, b, block, state, qc, dtype)  # noqa: E731
    elif isinstance(source, Session):
        run = lambda a, b: _jepasnn._bin_session(  # noqa: E731
            source, bin_ms, a, b, block, state, qc, dtype)
    else:
        if block is not None or state is not None or qc != "none":
            raise ValueError("bin: block, state and qc need an NWB file or a Session, "
                             "not spike-time arrays")
        times, ends, ids_in = _ragged(source, unit_ids)
        run = lambda a, b: _jepasnn._bin_trains(  # noqa: E731
            times, ends, ids_in, bin_ms, a, b, dtype)
    if epochs is None:
        parts = [run(t_start, t_stop)]
    else:
        if t_start is not None or t_stop is not None or block is not None or state is not None:
            raise ValueError("bin: give epochs or a range (t_start/t_stop, block, state), not both")
        parts = [run(float(a), float(b)) for a, b in epochs_of(epochs)]
    counts = parts[0][0] if len(parts) == 1 else np.concatenate([p[0] for p in parts])
    ids, width = parts[0][1], parts[0][3]
    starts = [p[2] + np.arange(p[0].shape[0], dtype=np.float64) * width for p in parts]
    bin_starts = starts[0] if len(starts) == 1 else np.concatenate(starts)
    if output == "pynapple":
        runs = np.array([[p[2], p[2] + p[0].shape[0] * width] for p in parts])
        return tsdframe(counts, bin_starts, width, ids, runs)
    return Binned(counts, ids, bin_starts)


def _ragged(trains, unit_ids):
    """Spike trains as NWB's ragged layout: all times, each unit's end offset, the ids."""
    if hasattr(trains, "index") and hasattr(trains, "values") and unit_ids is None:  # TsGroup
        unit_ids = list(trains.index)
        trains = [trains[i].t for i in unit_ids]
    arrays = [np.asarray(t, dtype=np.float64).reshape(-1) for t in trains]
    if unit_ids is None:
        unit_ids = range(len(arrays))
    ids = np.ascontiguousarray(np.asarray(list(unit_ids), dtype=np.int64))
    ends = np.cumsum([a.size for a in arrays], dtype=np.uint64)
    times = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.float64)
    return np.ascontiguousarray(times), np.ascontiguousarray(ends), ids
