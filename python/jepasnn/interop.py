"""pynapple interop, imported only when asked for (pynapple is never a dependency of jepasnn):
epochs given as an ``IntervalSet`` and results returned as a ``TsdFrame``."""

from __future__ import annotations

import numpy as np


def pynapple():
    """The pynapple module, or an ImportError saying how to get it."""
    try:
        import pynapple as nap
    except ImportError as e:
        raise ImportError("jepasnn: output='pynapple' needs pynapple (pip install pynapple)") from e
    return nap


def epochs_of(epochs) -> np.ndarray:
    """Epochs as an (n, 2) float64 array of [start, end) in seconds: from a pynapple
    ``IntervalSet`` (its ``start`` and ``end``) or anything numpy reads as n pairs."""
    if hasattr(epochs, "start") and hasattr(epochs, "end"):
        pairs = np.column_stack([np.asarray(epochs.start, np.float64),
                                 np.asarray(epochs.end, np.float64)])
    else:
        pairs = np.asarray(epochs, dtype=np.float64)
        if pairs.ndim == 1 and pairs.size == 2:
            pairs = pairs.reshape(1, 2)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or pairs.shape[0] == 0:
        raise ValueError(f"epochs: expected an IntervalSet or n >= 1 [start, end) pairs, "
                         f"got shape {pairs.shape}")
    return pairs


def tsdframe(values: np.ndarray, bin_starts: np.ndarray, bin_s: float, columns, runs):
    """A ``TsdFrame`` of per-bin ``values`` (bins x columns) stamped at the bins' centres, as
    pynapple's own ``count`` stamps them, with time support ``runs``: (n, 2) [start, end) of
    each contiguous run of bins."""
    nap = pynapple()
    support = nap.IntervalSet(start=runs[:, 0], end=runs[:, 1])
    return nap.TsdFrame(t=bin_starts + bin_s / 2.0, d=values, columns=list(columns),
                        time_support=support)
