"""Golden values for tests/cca from independent implementations (numpy, and torch autograd for the
loss gradients), written into this directory. Run with an interpreter that has numpy and torch,
e.g. the benchmark venv:  .venv-bench/bin/python tests/assets/cca/make_golden.py

The routes differ on purpose from the library's (a QR factor of [X Y] and pivoted bases):
  - ridge CCA by whitening sample covariances with a symmetric eigendecomposition;
  - SVCCA by the SVD of the centred data, then CCA of the kept principal scores;
  - PWCCA from explicit canonical variates of the data;
  - linear CKA from n x n kernel matrices with the centring matrix H;
  - debiased CKA from the U-statistic of Song et al. (2012) on the raw, uncentred kernels;
  - angular Procrustes from the nuclear norm of the normalized cross product;
  - the Deep CCA and soft CCA losses and their gradients by torch autograd (in float64), whose
    backward goes through eigh and the singular values.
"""
import json
import os

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261124)


def centred(a):
    return a - a.mean(axis=0)


def rank(a):
    return int(np.linalg.matrix_rank(centred(a)))


def inv_sqrt(s):
    w, v = np.linalg.eigh(s)
    return (v / np.sqrt(w)) @ v.T


def ridge_cca(x, y, eps):
    n = x.shape[0]
    xc, yc = centred(x), centred(y)
    sxx, syy, sxy = xc.T @ xc / (n - 1), yc.T @ yc / (n - 1), xc.T @ yc / (n - 1)
    sxx = sxx + eps * np.trace(sxx) / x.shape[1] * np.eye(x.shape[1])
    syy = syy + eps * np.trace(syy) / y.shape[1] * np.eye(y.shape[1])
    k = min(rank(x), rank(y))
    return np.linalg.svd(inv_sqrt(sxx) @ sxy @ inv_sqrt(syy), compute_uv=False)[:k]


def plain_cca_with_variates(x, y):
    """Canonical correlations and unit-norm X variates, from orthonormal bases of the data."""
    ux, sx, _ = np.linalg.svd(centred(x), full_matrices=False)
    uy, sy, _ = np.linalg.svd(centred(y), full_matrices=False)
    ux = ux[:, sx > sx[0] * 1e-12]
    uy = uy[:, sy > sy[0] * 1e-12]
    a, rho, _ = np.linalg.svd(ux.T @ uy, full_matrices=False)
    k = min(ux.shape[1], uy.shape[1])
    return rho[:k], ux @ a[:, :k]


def svcca(x, y, keep=0.99):
    def reduce(a):
        u, s, _ = np.linalg.svd(centred(a), full_matrices=False)
        share = np.cumsum(s**2) / np.sum(s**2)
        k = int(np.searchsorted(share, keep) + 1)
        return u[:, :k] * s[:k], k
    xr, kx = reduce(x)
    yr, ky = reduce(y)
    rho, _ = plain_cca_with_variates(xr, yr)
    return float(rho.mean()), kx, ky


def pwcca(x, y):
    rho, h = plain_cca_with_variates(x, y)
    alpha = np.abs(h.T @ centred(x)).sum(axis=1)
    alpha = alpha / alpha.sum()
    return float(alpha @ rho)


def linear_cka(x, y):
    n = x.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    kc, lc = h @ (x @ x.T) @ h, h @ (y @ y.T) @ h
    return float(np.sum(kc * lc) / np.sqrt(np.sum(kc * kc) * np.sum(lc * lc)))


def hsic_unbiased(k, l):
    n = k.shape[0]
    kt, lt = k - np.diag(np.diag(k)), l - np.diag(np.diag(l))
    one = np.ones(n)
    value = (np.trace(kt @ lt) + (one @ kt @ one) * (one @ lt @ one) / ((n - 1) * (n - 2))
             - 2.0 / (n - 2) * (one @ kt @ lt @ one))
    return value / (n * (n - 3))


def debiased_cka(x, y):
    k, l = x @ x.T, y @ y.T  # raw data: the U-statistic needs no centring
    return float(hsic_unbiased(k, l) / np.sqrt(hsic_unbiased(k, k) * hsic_unbiased(l, l)))


def procrustes(x, y):
    xn, yn = centred(x), centred(y)
    xn, yn = xn / np.linalg.norm(xn), yn / np.linalg.norm(yn)
    sim = np.linalg.svd(xn.T @ yn, compute_uv=False).sum()
    return float(sim), float(np.arccos(min(1.0, sim)))


def shared_views(n, p, q, d, noise, offset):
    z = rng.standard_normal((n, d))
    x = z @ rng.standard_normal((d, p)) + noise * rng.standard_normal((n, p)) + offset
    y = z @ rng.standard_normal((d, q)) + noise * rng.standard_normal((n, q)) - 0.5 * offset
    return x, y


cases = []
x, y = shared_views(300, 6, 4, 3, 0.8, 5.0)
cases.append(("mixed", x, y))
x, y = shared_views(120, 12, 9, 4, 1.5, 0.0)
cases.append(("wide", x, y))
x, y = shared_views(200, 6, 5, 3, 0.5, -2.0)
x[:, 5] = 0.5 * x[:, 0] - 2.0 * x[:, 3] + 1.0  # exactly dependent column
cases.append(("rank_deficient", x, y))

doc = {"source": "tests/assets/cca/make_golden.py (numpy " + np.__version__ + ", torch " +
       torch.__version__ + ")", "ridge": 0.1, "cases": []}
for name, x, y in cases:
    np.save(os.path.join(here, f"{name}_X.npy"), x)
    np.save(os.path.join(here, f"{name}_Y.npy"), y)
    sv, kx, ky = svcca(x, y)
    sim, dist = procrustes(x, y)
    xy = np.hstack([x, y])
    doc["cases"].append({
        "name": name, "n": x.shape[0], "p": x.shape[1], "q": y.shape[1],
        "rank_x": rank(x), "rank_y": rank(y),
        "ridge_correlations": ridge_cca(x, y, doc["ridge"]).tolist(),
        "svcca": sv, "svcca_kept_x": kx, "svcca_kept_y": ky,
        "pwcca": pwcca(x, y),
        "linear_cka": linear_cka(x, y),
        "debiased_cka": debiased_cka(x, y),
        "procrustes_similarity": sim, "angular_procrustes_distance": dist,
        "mean": xy.mean(axis=0).tolist(),
        "covariance": np.cov(xy, rowvar=False).tolist(),
    })


def deep_cca_loss(h1, h2, eps):
    m = h1.shape[0]
    def ridged(a, b):
        s = a.T @ b / (m - 1)
        return s
    h1c, h2c = h1 - h1.mean(0), h2 - h2.mean(0)
    s11, s22, s12 = ridged(h1c, h1c), ridged(h2c, h2c), ridged(h1c, h2c)
    s11 = s11 + eps * torch.trace(s11) / h1.shape[1] * torch.eye(h1.shape[1], dtype=h1.dtype)
    s22 = s22 + eps * torch.trace(s22) / h2.shape[1] * torch.eye(h2.shape[1], dtype=h2.dtype)
    def inv_sqrt_t(s):
        w, v = torch.linalg.eigh(s)
        return (v / torch.sqrt(w)) @ v.T
    t = inv_sqrt_t(s11) @ s12 @ inv_sqrt_t(s22)
    return -torch.linalg.svdvals(t).sum()


def soft_cca_loss(h1, h2, prev1, prev2, prev_weight, lam, decay):
    m = h1.shape[0]
    def standardize(h):
        c = h - h.mean(0)
        return c / torch.sqrt((c * c).sum(0) / (m - 1))
    z1, z2 = standardize(h1), standardize(h2)
    weight = decay * prev_weight + 1.0
    def sdl(z, prev):
        phi = (decay * prev + z.T @ z / (m - 1)) / weight
        return phi.abs().sum() - phi.diagonal().abs().sum()
    return ((z1 - z2) ** 2).sum() / m + lam * (sdl(z1, prev1) + sdl(z2, prev2))


def with_grads(loss_fn, *arrays, extra=()):
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    loss = loss_fn(*ts, *extra)
    loss.backward()
    return float(loss), [t.grad.numpy().tolist() for t in ts]


h1 = rng.standard_normal((40, 5))
h2 = 0.7 * h1[:, :4] @ rng.standard_normal((4, 4)) + rng.standard_normal((40, 4)) + 3.0
np.save(os.path.join(here, "deep_cca_H1.npy"), h1)
np.save(os.path.join(here, "deep_cca_H2.npy"), h2)
loss, (g1, g2) = with_grads(deep_cca_loss, h1, h2, extra=(0.01,))
doc["deep_cca"] = {"ridge": 0.01, "loss": loss, "dH1": g1, "dH2": g2}

s1 = rng.standard_normal((24, 4))
s2 = s1 @ rng.standard_normal((4, 4)) + 0.5 * rng.standard_normal((24, 4))
prev = rng.standard_normal((4, 4))
prev1, prev2 = prev @ prev.T / 4.0, np.eye(4) + 0.1
np.save(os.path.join(here, "soft_cca_H1.npy"), s1)
np.save(os.path.join(here, "soft_cca_H2.npy"), s2)
extra = (torch.tensor(prev1), torch.tensor(prev2), 1.5, 0.5, 0.8)
loss, (g1, g2) = with_grads(soft_cca_loss, s1, s2, extra=extra)
doc["soft_cca"] = {"decorrelation": 0.5, "decay": 0.8, "previous_weight": 1.5,
                   "previous1": prev1.tolist(), "previous2": prev2.tolist(),
                   "loss": loss, "dH1": g1, "dH2": g2}

with open(os.path.join(here, "golden.json"), "w") as f:
    json.dump(doc, f, indent=1)
print("wrote", os.path.join(here, "golden.json"))
