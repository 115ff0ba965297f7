"""Independent computations the estimators are tested against: maximum likelihood with scipy and
cluster-robust covariances written out with numpy (shared by tests/test_models.py and
tests/test_reproduce.py)."""

from __future__ import annotations

import numpy as np
from scipy import optimize


def ml_logit(X, y):
    """Maximum likelihood by minimising the negative log-likelihood with scipy (exact Newton steps)."""
    def nll(b):
        eta = X @ b
        return np.sum(np.logaddexp(0, eta) - y * eta)

    def grad(b):
        return X.T @ (1 / (1 + np.exp(-(X @ b))) - y)

    def hess(b):
        p = 1 / (1 + np.exp(-(X @ b)))
        return X.T @ (X * (p * (1 - p))[:, None])

    res = optimize.minimize(nll, np.zeros(X.shape[1]), jac=grad, hess=hess, method="trust-exact",
                            options={"gtol": 1e-9})
    b = res.x
    for _ in range(3):  # scipy may stop a hair short (gradient ~1e-8): finish with exact Newton steps
        b = b - np.linalg.solve(hess(b), grad(b))
    assert np.max(np.abs(grad(b))) < 1e-8, res.message  # at the maximum
    return b


def sandwich(X, y, g, beta):
    """Cluster-robust covariance of the logistic score, without small-sample correction."""
    p = 1 / (1 + np.exp(-(X @ beta)))
    bread = np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))
    scores = X * (y - p)[:, None]
    meat = np.zeros((X.shape[1], X.shape[1]))
    for c in np.unique(g):
        s = scores[g == c].sum(axis=0)
        meat += np.outer(s, s)
    return bread @ meat @ bread


def gee_pieces_by_hand(X, y, g, beta, alpha):
    """Per working cluster: D_g = diag(v) X_g, V_g = A^1/2 R(alpha) A^1/2 (explicit matrices, inverted
    with numpy), and the bread B = sum D_g' V_g^-1 D_g. Returns (B, {cluster: (rows, D, Vinv, r)})."""
    p = 1 / (1 + np.exp(-(X @ beta)))
    v = p * (1 - p)
    B = np.zeros((X.shape[1], X.shape[1]))
    parts = {}
    for c in np.unique(g):
        rows = np.flatnonzero(g == c)
        m = len(rows)
        R = (1 - alpha) * np.eye(m) + alpha * np.ones((m, m))
        A = np.diag(np.sqrt(v[rows]))
        Vinv = np.linalg.inv(A @ R @ A)
        D = v[rows][:, None] * X[rows]
        B += D.T @ Vinv @ D
        parts[c] = (rows, D, Vinv, y[rows] - p[rows])
    return B, parts


def mancl_derouen_by_hand(X, y, g, beta, alpha):
    """Mancl and DeRouen (2001): B^-1 [sum_g D'V^-1 (I - H_g)^-1 r r' (I - H_g)^-T V^-1 D] B^-1,
    H_g = D_g B^-1 D_g' V_g^-1."""
    B, parts = gee_pieces_by_hand(X, y, g, beta, alpha)
    Binv = np.linalg.inv(B)
    M = np.zeros_like(B)
    for rows, D, Vinv, r in parts.values():
        H = D @ Binv @ D.T @ Vinv
        radj = np.linalg.inv(np.eye(len(rows)) - H) @ r
        u = D.T @ Vinv @ radj
        M += np.outer(u, u)
    return Binv @ M @ Binv


def two_way_by_hand(X, y, g_work, beta, alpha, first, second, bias_reduced=False):
    """Cameron-Gelbach-Miller with the GEE estimating function written per observation:
    u_i = (V_g^-1 D_g)_i r_i; V = B^-1 (M_first + M_second - M_both) B^-1, no small-sample factor.
    ``bias_reduced``: in each term, the residuals of a cluster S are replaced by (I - H_SS)^-1 r_S with
    H_SS = D_S B^-1 W_S' (W: the rows V_g^-1 D_g), Mancl-DeRouen's leverage for that grouping."""
    B, parts = gee_pieces_by_hand(X, y, g_work, beta, alpha)
    Binv = np.linalg.inv(B)
    W, D, r = np.zeros_like(X), np.zeros_like(X), np.zeros(len(y))
    for rows, Dg, Vinv, rg in parts.values():
        W[rows], D[rows], r[rows] = Vinv @ Dg, Dg, rg

    def meat_of(ids):
        M = np.zeros_like(B)
        for c in set(map(tuple, ids)) if ids.ndim == 2 else np.unique(ids):
            mask = (ids == np.array(c)).all(axis=1) if ids.ndim == 2 else ids == c
            res = r[mask]
            if bias_reduced:
                res = np.linalg.inv(np.eye(mask.sum()) - D[mask] @ Binv @ W[mask].T) @ res
            s = W[mask].T @ res
            M += np.outer(s, s)
        return M
    both = np.column_stack([first, second])
    return Binv @ (meat_of(first) + meat_of(second) - meat_of(both)) @ Binv
