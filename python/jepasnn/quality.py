"""Phase 0 data-quality validation of a session's units, as ``jepasnn qc`` reports it: the QC
funnel and the quality metrics recomputed from the spikes against the stored ones."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from . import _jepasnn
from ._jepasnn import Session


@dataclass(frozen=True)
class QcReport:
    """What :func:`qc` found.

    funnel
        One dict per criterion of the filter, in order: ``criterion``, ``failing`` (units that
        fail it), ``removed`` (those it removes after the earlier ones) and ``remaining``.
    kept_ids
        Ids of the units that pass every criterion, in file order.
    unit_ids, metrics
        Every unit's id and its metrics recomputed from the spikes (``firing_rate`` in Hz,
        ``isi_violations``, ``presence_ratio``, ``amplitude_cutoff``): float64 arrays, NaN where
        a metric cannot be computed (the amplitude cutoff needs spike amplitudes).
    comparison
        Per metric the file also stores: units compared and agreeing within the tolerance, the
        largest and mean absolute difference, the correlation, and both values per unit.
    document
        The JSON document of ``jepasnn qc --json``.
    """

    funnel: list
    kept_ids: np.ndarray
    unit_ids: np.ndarray
    metrics: dict
    comparison: list
    document: dict


def qc(source, filter: str = "default") -> QcReport:  # noqa: A002 - the CLI's --filter
    """The QC funnel of ``filter`` (``"default"``, the VBN notebook filter, or ``"none"``) and
    the recomputed quality metrics of the units of ``source``: a path to an NWB file or a
    :class:`jepasnn.Session`."""
    if isinstance(source, Session):
        text, metrics = _jepasnn._qc_session(source, filter)
    else:
        text, metrics = _jepasnn._qc_file(os.fspath(source), filter)
    doc = json.loads(text)
    return QcReport(funnel=doc["funnel"]["steps"],
                    kept_ids=np.asarray(doc["kept_ids"], dtype=np.int64),
                    unit_ids=np.asarray(doc["recomputed"]["ids"], dtype=np.int64),
                    metrics=metrics, comparison=doc["comparison"], document=doc)
