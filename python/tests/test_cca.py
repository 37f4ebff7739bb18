"""jepasnn.cca against numpy's closed form, scikit-learn and the CLI's JSON."""

import json
import subprocess

import numpy as np
import pytest

import jepasnn
from conftest import cli, peak_rss_growth_mb


def closed_form_cca(x, y):
    """Canonical correlations: singular values of Qx' Qy for thin QRs of the centred views."""
    qx, _ = np.linalg.qr(x - x.mean(0))
    qy, _ = np.linalg.qr(y - y.mean(0))
    return np.linalg.svd(qx.T @ qy, compute_uv=False)[: min(x.shape[1], y.shape[1])]


def linear_cka(x, y):
    x, y = x - x.mean(0), y - y.mean(0)
    return np.linalg.norm(y.T @ x) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))


def views(seed, n, p, q):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 3))
    x = z @ rng.standard_normal((3, p)) + rng.standard_normal((n, p))
    y = z @ rng.standard_normal((3, q)) + rng.standard_normal((n, q))
    return x, y


@pytest.mark.parametrize("seed", range(6))
def test_cca_and_cka_equal_numpys_closed_form(seed):
    rng = np.random.default_rng(100 + seed)
    n, p, q = int(rng.integers(20, 400)), int(rng.integers(1, 12)), int(rng.integers(1, 12))
    x, y = views(seed, n, p, q)
    r = jepasnn.cca(x, y)
    # Both are backward-stable orthogonalisations of well-conditioned views (condition numbers
    # below 1e3 here): agreement to ~1e3 * n * eps, far inside 1e-9.
    np.testing.assert_allclose(r.canonical_correlations, closed_form_cca(x, y), atol=1e-9)
    assert r.mean_cca == pytest.approx(r.canonical_correlations.mean(), abs=1e-12)
    assert r.linear_cka == pytest.approx(linear_cka(x, y), abs=1e-10)
    assert (r.n, r.p, r.q, r.rank_x, r.rank_y) == (n, p, q, p, q)


def test_first_canonical_correlation_equals_scikit_learns():
    cross_decomposition = pytest.importorskip("sklearn.cross_decomposition")
    x, y = views(3, 500, 6, 4)
    model = cross_decomposition.CCA(n_components=1, max_iter=10_000, tol=1e-14).fit(x, y)
    u, v = model.transform(x, y)
    rho = np.corrcoef(u[:, 0], v[:, 0])[0, 1]
    # scikit-learn's NIPALS stops at tol; 1e-8 is far above that and far below any real error.
    assert jepasnn.cca(x, y).canonical_correlations[0] == pytest.approx(abs(rho), abs=1e-8)


def test_layouts_and_types_give_the_same_answer():
    x, y = views(5, 200, 5, 3)
    r = jepasnn.cca(x, y)
    for xx, yy in ((np.asfortranarray(x), y), (x.astype(np.float32).astype(np.float64), y),
                   (x[::1, :], y.tolist())):
        np.testing.assert_allclose(jepasnn.cca(xx, yy).canonical_correlations,
                                   r.canonical_correlations, atol=1e-12)


def test_null_and_folds_match_the_cli(tmp_path):
    x, y = views(9, 300, 4, 4)
    r = jepasnn.cca(x, y, ridge=0.01, null=20, null_kind="circular-shift", seed=5, folds=3)
    assert r.null["samples"] == 20 and r.cross_validated["folds"] == 3
    assert r.null == jepasnn.cca(x, y, ridge=0.01, null=20, null_kind="circular_shift",
                                 seed=5, folds=3).null
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    out = subprocess.run([cli(), "cca", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--json",
                          "--ridge", "0.01", "--null", "20", "--null-kind", "circular-shift",
                          "--seed", "5", "--folds", "3"], check=True, capture_output=True, text=True)
    assert json.loads(out.stdout) == r.document


@pytest.mark.parametrize("x, y, message", [
    (np.ones((10, 2)), np.ones((9, 2)), "rows"),
    (np.full((10, 2), np.nan), np.ones((10, 2)), "finite|NaN"),
    (np.ones((3, 4)), np.ones((3, 1)), "rows"),
    (np.ones(10), np.ones((10, 1)), "dimension|ndim|incompatible"),
])
def test_bad_views_raise(x, y, message):
    with pytest.raises((ValueError, TypeError), match=message):
        jepasnn.cca(x, y)


def test_repeated_calls_do_not_grow_memory():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4000, 40))  # 1.3 MB per view
    y = x[:, :30] @ rng.standard_normal((30, 30)) + rng.standard_normal((4000, 30))
    first = jepasnn.cca(x, y).mean_cca
    # a leaked copy of the views would add 150 x 2.2 MB = 330 MB
    grown_mb = peak_rss_growth_mb(lambda: jepasnn.cca(np.asfortranarray(x), y), 150)
    assert grown_mb < 40, f"peak RSS grew {grown_mb:.0f} MB over 150 calls"
    assert jepasnn.cca(x, y).mean_cca == first
