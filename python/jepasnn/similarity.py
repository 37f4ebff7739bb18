"""Representational similarity between two views (rows = samples): canonical correlations and
mean CCA, linear and debiased CKA, SVCCA, PWCCA, Procrustes, a null distribution and
cross-validated CCA, as ``jepasnn cca --json`` computes them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from . import _jepasnn


@dataclass(frozen=True)
class Similarity:
    """Every measure between X (n x p) and Y (n x q); ``document`` is the CLI's JSON."""

    n: int
    p: int
    q: int
    rank_x: int
    rank_y: int
    canonical_correlations: np.ndarray
    mean_cca: float
    r2_cca: float
    chance_sum_r2: float
    linear_cka: float
    debiased_cka: float
    svcca: float
    pwcca: float
    procrustes_similarity: float
    angular_procrustes_distance: float
    ridge: float
    null: dict | None = None
    cross_validated: dict | None = None
    document: dict = field(default_factory=dict, repr=False)


def cca(x, y, *, ridge: float = 0.0, null: int = 0, null_kind: str = "permutation",
        min_shift: int = 0, seed: int = 0, folds: int = 0) -> Similarity:
    """Similarity of X and Y, arrays of shape (samples, features) with the same sample count.

    ridge
        Scale-relative ridge eps >= 0 (Sigma + eps tr(Sigma)/p I); 0 is classical CCA.
    null, null_kind, min_shift, seed
        ``null`` > 0 draws that many samples of mean CCA's null at the same n, by
        ``"permutation"`` of Y's rows or ``"circular_shift"`` (time series; shifts of at least
        ``min_shift`` rows, 0: n/20), from the counter-based stream of ``seed``.
    folds
        > 0 also reports mean CCA cross-validated over that many contiguous folds.

    float64 C-ordered arrays are read in place; others are converted once.
    """
    doc = json.loads(_jepasnn._similarity(
        np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), float(ridge),
        int(null), null_kind.replace("-", "_"), int(min_shift), int(seed), int(folds)))
    fields = {k: doc[k] for k in Similarity.__dataclass_fields__ if k in doc}
    fields["canonical_correlations"] = np.asarray(doc["canonical_correlations"], dtype=np.float64)
    return Similarity(**fields, document=doc)
