"""Binned stores: a session's counts binned once into an HDF5 file (the format ``jepasnn bin
--store`` writes and the teacher and student train from out of core), read a window of bins at a
time. h5py reads them too; see ``include/jepasnn/data/binned_store.hpp`` for the layout."""

from __future__ import annotations

import os

import numpy as np

from . import _jepasnn

#: Each bin's state in :attr:`Store.states`.
STATE_NAMES = {-1: "other", 0: "passive", 1: "active"}


class Store:
    """An open binned store: the header in memory, the counts read on demand.

    ``store[a:b]`` (or :meth:`read`) reads bins ``a`` to ``b`` of every unit as a numpy array
    (bins x units) in the stored count type; ``len(store)`` is the number of bins.
    """

    def __init__(self, path):
        self._store = _jepasnn._Store(os.fspath(path))

    @classmethod
    def create(cls, nwb, path, bin_ms: float = 10.0, *, t_start: float | None = None,
               t_stop: float | None = None, block: int | None = None, state: str | None = None,
               qc: str = "none", dtype: str = "narrowest") -> "Store":
        """Bins the NWB file ``nwb`` into a new store at ``path`` (written atomically, streamed
        from the file in bounded memory) and opens it: the store of ``jepasnn bin nwb --bin-ms
        bin_ms --store path`` with the same options, which are those of :func:`jepasnn.bin`."""
        store = cls.__new__(cls)
        store._store = _jepasnn._create_store(os.fspath(nwb), os.fspath(path), bin_ms, t_start,
                                              t_stop, block, state, qc, dtype)
        return store

    def read(self, first: int = 0, n: int | None = None) -> np.ndarray:
        """Bins [first, first + n) of every unit (default: to the end), bins x units."""
        if n is None:
            n = self.n_bins - first
        if first < 0 or n < 0:
            raise ValueError(f"{self.path}: window of bins {first}..{first + n} is negative")
        return self._store.read(first, n)

    def __getitem__(self, rows) -> np.ndarray:
        if not isinstance(rows, slice) or rows.step not in (None, 1):
            raise TypeError("Store: index with a slice of bins, store[a:b] (step 1)")
        first, stop, _ = rows.indices(self.n_bins)
        return self.read(first, max(0, stop - first))

    def __len__(self) -> int:
        return self.n_bins

    @property
    def path(self) -> str:
        return self._store.path

    @property
    def n_bins(self) -> int:
        return self._store.n_bins

    @property
    def n_units(self) -> int:
        return self._store.n_units

    @property
    def dtype(self) -> np.dtype:
        """The stored count type (uint8, uint16 or int32)."""
        return np.dtype(self._store.dtype)

    @property
    def bin_ms(self) -> float:
        return self._store.bin_width * 1000.0

    @property
    def bin_starts(self) -> np.ndarray:
        """The start time (s) of each bin, as :attr:`jepasnn.Binned.bin_starts`."""
        return self._store.t_start + np.arange(self.n_bins, dtype=np.float64) * self._store.bin_width

    @property
    def unit_ids(self) -> np.ndarray:
        """The NWB id of each column."""
        return self._store.unit_ids

    @property
    def unit_rows(self) -> np.ndarray:
        """Each column's row in the NWB units table (the QC selection)."""
        return self._store.unit_rows

    @property
    def states(self) -> np.ndarray:
        """Each bin's brain state from the stimulus blocks: 1 active, 0 passive replay, -1
        other (:data:`STATE_NAMES`)."""
        return self._store.states

    @property
    def qc(self) -> str:
        return self._store.qc

    @property
    def source(self) -> str:
        """The NWB file the store was binned from, as named then."""
        return self._store.source

    @property
    def source_identifier(self) -> str:
        return self._store.source_identifier

    def source_status(self, nwb=None) -> str:
        """``"unchanged"``, ``"changed"`` or ``"missing"``: whether ``nwb`` (default: the
        source) is still the file the store was binned from (size and CRC-32)."""
        return self._store.source_status(os.fspath(nwb if nwb is not None else self.source))

    def check_source(self, nwb=None) -> None:
        """A ``ValueError`` when the store is stale: ``nwb`` is missing or has changed."""
        self._store.check_source(os.fspath(nwb if nwb is not None else self.source))

    def __repr__(self) -> str:
        return (f"<jepasnn.Store '{self.path}': {self.n_bins} bins x {self.n_units} units, "
                f"{self._store.dtype}, {self.bin_ms:g} ms>")
