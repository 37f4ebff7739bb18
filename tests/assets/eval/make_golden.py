"""Golden values for tests/eval from scikit-learn 1.2 and numpy, implementations independent of
ours. Run with the benchmark environment (cmake/install_deps.sh --bench makes .venv-bench):

    .venv-bench/bin/python tests/assets/eval/make_golden.py

Writes sklearn_reference.json beside this script: inputs (generated here from a fixed numpy seed)
and expected outputs. Conventions: contiguous folds are KFold(n_splits, shuffle=False); logistic
models are LogisticRegression(multi_class="multinomial", solver="newton-cg") solved to tol 1e-10
with intercepts centred; PCA uses svd_solver="full" (sklearn 1.2 flips signs by the U-based rule). The linear
dynamical baseline has no sklearn counterpart: it is re-implemented here in numpy from the
description in include/jepasnn/eval/lds.hpp.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV, KFold

rng = np.random.default_rng(20251124)
doc = {"source": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; see make_golden.py"}


def L(a):
    return np.asarray(a).tolist()


# ---- regression ------------------------------------------------------------------------------
n, p, q = 200, 6, 3
mix = rng.normal(size=(p, p))
X = rng.normal(size=(n, p)) @ mix
W = rng.normal(size=(p, q))
Y = X @ W + rng.normal(size=q) + 0.8 * rng.normal(size=(n, q))
Y[:, 2] *= 5.0  # outputs of different variance (variance-weighted R² differs from uniform)
train, test = slice(0, 150), slice(150, 200)
ridge = Ridge(alpha=0.7).fit(X[train], Y[train])
ols = LinearRegression().fit(X[train], Y[train])
Xd = np.c_[X[:, :3], X[:, 0] + X[:, 1]]  # rank deficient
ols_d = LinearRegression().fit(Xd[train], Y[train])
groups = rng.integers(0, 3, size=50)
pred = ridge.predict(X[test])
doc["regression"] = {
    "x": L(X), "y": L(Y), "train_rows": 150, "ridge_alpha": 0.7,
    "ridge_coef": L(ridge.coef_.T), "ridge_intercept": L(ridge.intercept_),
    "ols_coef": L(ols.coef_.T), "ols_intercept": L(ols.intercept_),
    "deficient_x": L(Xd), "deficient_coef": L(ols_d.coef_.T),
    "deficient_intercept": L(ols_d.intercept_),
    "test_r2_uniform": r2_score(Y[test], pred),
    "test_r2_variance_weighted": r2_score(Y[test], pred, multioutput="variance_weighted"),
    "test_r2_per_output": L(r2_score(Y[test], pred, multioutput="raw_values")),
    "test_groups": L(groups),
    "test_r2_per_group": {str(g): r2_score(Y[test][groups == g], pred[groups == g])
                          for g in range(3)},
}

alphas = [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
grid = GridSearchCV(Ridge(), {"alpha": alphas}, cv=KFold(5), scoring="r2").fit(X, Y)
doc["ridge_cv"] = {"alphas": alphas, "folds": 5,
                   "mean_r2": L(grid.cv_results_["mean_test_score"]),
                   "best_alpha": grid.best_params_["alpha"],
                   "coef": L(grid.best_estimator_.coef_.T),
                   "intercept": L(grid.best_estimator_.intercept_)}
doc["kfold"] = {"n": 23, "k": 5,
                "test": [L(te) for _, te in KFold(5).split(np.zeros(23))]}

# ---- logistic ----------------------------------------------------------------------------------
n, p, k = 300, 5, 4
Xc = rng.normal(size=(n, p)) * np.array([1.0, 2.0, 0.5, 1.0, 3.0])
B = rng.normal(size=(p, k))
logits = Xc @ B + rng.normal(size=k)
probs = np.exp(logits - logits.max(1, keepdims=True))
probs /= probs.sum(1, keepdims=True)
yc = np.array([rng.choice(k, p=pr) for pr in probs]) * 3 + 2  # labels 2, 5, 8, 11
Xt = rng.normal(size=(20, p))


def multinomial(C):
    # newton-cg reaches the optimum (gradient ~1e-12); lbfgs stops early on its ftol criterion
    # (gradient ~5e-6 here), which would make sklearn's coefficients, not ours, the inexact ones.
    return LogisticRegression(C=C, multi_class="multinomial", solver="newton-cg", tol=1e-10,
                              max_iter=500)


logit = multinomial(0.5).fit(Xc, yc)
y2 = (Xc[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
logit2 = multinomial(2.0).fit(Xc, y2)
Cs = [0.001, 0.01, 0.1, 1.0, 10.0]
lgrid = GridSearchCV(multinomial(1.0), {"C": Cs}, cv=KFold(5), scoring="accuracy").fit(Xc, yc)
doc["logistic"] = {
    "x": L(Xc), "y": L(yc), "C": 0.5, "classes": L(logit.classes_),
    "coef": L(logit.coef_.T), "intercept": L(logit.intercept_ - logit.intercept_.mean()),
    "x_test": L(Xt), "proba_test": L(logit.predict_proba(Xt)), "predict_test": L(logit.predict(Xt)),
    "train_accuracy": accuracy_score(yc, logit.predict(Xc)),
    # Binary multinomial: sklearn keeps w_1 only (w_0 = -w_1, b_0 = -b_1).
    "binary_y": L(y2), "binary_C": 2.0, "binary_coef": L(logit2.coef_[0]),
    "binary_intercept": float(logit2.intercept_[0]),
    "cv_Cs": Cs, "cv_mean_accuracy": L(lgrid.cv_results_["mean_test_score"]),
    "cv_best_C": lgrid.best_params_["C"],
}

# ---- PCA -------------------------------------------------------------------------------------------
Xp = rng.normal(size=(150, 8)) @ rng.normal(size=(8, 8)) + 3.0
Xpt = rng.normal(size=(10, 8))
pca = PCA(n_components=3, svd_solver="full").fit(Xp)
Xw = rng.normal(size=(20, 30))
pca_w = PCA(n_components=4, svd_solver="full").fit(Xw)
doc["pca"] = {"x": L(Xp), "k": 3, "components": L(pca.components_.T), "mean": L(pca.mean_),
              "explained_variance": L(pca.explained_variance_),
              "explained_variance_ratio": L(pca.explained_variance_ratio_),
              "x_test": L(Xpt), "scores_test": L(pca.transform(Xpt)),
              "wide_x": L(Xw), "wide_k": 4, "wide_components": L(pca_w.components_.T),
              "wide_explained_variance": L(pca_w.explained_variance_)}

# ---- linear dynamical baseline (numpy re-implementation) ------------------------------------------
T, units, dim = 400, 12, 2
A_true = 0.97 * np.array([[np.cos(0.2), -np.sin(0.2)], [np.sin(0.2), np.cos(0.2)]])
z = np.zeros((T, dim))
for t in range(1, T):
    z[t] = A_true @ z[t - 1] + 0.3 * rng.normal(size=dim)
C_true = rng.normal(size=(units, dim))
Yl = z @ C_true.T + 2.0 + 0.5 * rng.normal(size=(T, units))


def lds_fit_filter(y, q):
    pca = PCA(n_components=q, svd_solver="full").fit(y)
    Cm, d = pca.components_.T, pca.mean_
    x = (y - d) @ Cm
    x0, x1 = x[:-1], x[1:]
    At = np.linalg.solve(x0.T @ x0, x0.T @ x1)
    A = At.T
    w = x1 - x0 @ At
    Q = w.T @ w / (len(x) - 1)
    v = (y - d) - x @ Cm.T
    R = (v ** 2).sum(0) / len(x)
    R = np.maximum(R, 1e-6 * max(R.mean(), 1e-300))
    info = Cm.T @ np.diag(1 / R) @ Cm
    P = x.T @ x / len(x)
    for _ in range(100000):
        pred = A @ P @ A.T + Q
        nxt = np.linalg.inv(np.linalg.inv(pred) + info)
        change = np.abs(nxt - P).max()
        P = 0.5 * (nxt + nxt.T)
        if change <= 1e-13 * (1 + np.abs(P).max()):
            break
    K = P @ Cm.T @ np.diag(1 / R)
    out, s = np.zeros((len(y), q)), np.zeros(q)
    for t in range(len(y)):
        pr = A @ s
        s = pr + K @ (y[t] - d - Cm @ pr)
        out[t] = s
    return A, Q, R, K, out


A, Q, R, K, filt = lds_fit_filter(Yl, 2)
doc["lds"] = {"y": L(Yl), "q": 2, "dynamics": L(A), "state_noise": L(Q),
              "observation_noise": L(R), "gain": L(K), "filtered": L(filt)}

# ---- effective rank (Roy & Vetterli 2007) -----------------------------------------------------------


def erank(m, centre):
    if centre:
        m = m - m.mean(0)
    s = np.linalg.svd(m, compute_uv=False)
    pr = s / s.sum()
    pr = pr[pr > 0]
    return float(np.exp(-(pr * np.log(pr)).sum()))


mats = [rng.normal(size=(100, 6)), rng.normal(size=(100, 2)) @ rng.normal(size=(2, 6)),
        rng.normal(size=(50, 4)) * np.array([5.0, 1.0, 0.1, 0.01]) + 7.0]
doc["effective_rank"] = [{"z": L(m), "raw": erank(m, False), "centred": erank(m, True)}
                         for m in mats]

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sklearn_reference.json"), "w") as f:
    json.dump(doc, f)
