"""Calibration tools: exact-count draws and a swap search toward target logistic coefficients.

Written here rather than taken from a library: the search must keep every published count fixed
(totals and the parent-by-clinician 2x2) while moving the estimates, which no sampler we know of does.
"""

from __future__ import annotations

import numpy as np

# A proposal is kept only when it lowers the loss by more than this fraction. Swapping the outcomes
# of two rows with the same covariates leaves the loss unchanged in exact arithmetic; in floating
# point it moves by about 1e-15 of itself, up or down depending on which OpenBLAS kernel the
# processor gets, and accepting such a tie changed the shipped data from one machine to another.
# Real improvements in the shipped calibration are at least 1e-4 of the loss; ties at most 1e-14.
ACCEPT_MARGIN = 1e-9


def logit_fit(X: np.ndarray, y: np.ndarray, beta0: np.ndarray | None = None, iters: int = 25) -> np.ndarray:
    """Maximum-likelihood logistic regression by Newton-Raphson (small designs, used in the search)."""
    beta = np.zeros(X.shape[1]) if beta0 is None else beta0.copy()
    for _ in range(iters):
        eta = np.clip(X @ beta, -30, 30)
        p = 1.0 / (1.0 + np.exp(-eta))
        W = p * (1 - p)
        H = X.T @ (X * W[:, None]) + 1e-9 * np.eye(X.shape[1])
        step = np.linalg.solve(H, X.T @ (y - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def intercept_for_rate(eta: np.ndarray, rate: float) -> float:
    lo, hi = -20.0, 20.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if np.mean(1 / (1 + np.exp(-(eta + mid)))) < rate:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def draw_exact(rng: np.random.Generator, p: np.ndarray, k: int, among: np.ndarray) -> np.ndarray:
    """Indices of exactly k of ``among``, drawn without replacement with weights p/(1-p)."""
    w = p[among] / (1 - p[among])
    return rng.choice(among, size=k, replace=False, p=w / w.sum())


def swap_search(rng, X: np.ndarray, y: np.ndarray, rows: np.ndarray, strata: np.ndarray,
                target: np.ndarray, weight: np.ndarray, proposals: int = 4000, fit=None,
                tolerance: float = 0.0) -> np.ndarray:
    """Swap outcomes between rows of one stratum while that reduces the weighted distance of the
    fitted coefficients to ``target``. ``rows`` maps design rows to positions of y; positions of y
    outside ``rows`` are fixed. Totals per stratum never change.

    ``fit(yd, beta)`` estimates the coefficients (default: ML logistic); the search stops early
    once every targeted coefficient is within ``tolerance`` (log scale) of its target. A swap that
    leaves the loss unchanged up to rounding is never kept (``ACCEPT_MARGIN``), so the result does
    not depend on the processor."""
    if fit is None:
        def fit(yd, b):
            return logit_fit(X, yd, b, iters=8 if b is not None else 25)
    y = y.copy()
    yd = y[rows].astype(float)
    beta = fit(yd, None)
    targeted = weight >= 1.0

    def loss(b):
        return float(np.sum(weight * (b - target) ** 2))

    best = loss(beta)
    pos_in_design = np.full(len(y), -1)
    pos_in_design[rows] = np.arange(len(rows))
    designed = rows
    for _ in range(proposals):
        if tolerance and np.all(np.abs(beta - target)[targeted] < tolerance):
            break
        i = rng.choice(designed)
        cands = designed[(strata[designed] == strata[i]) & (y[designed] != y[i])]
        if len(cands) == 0:
            continue
        j = rng.choice(cands)
        yd2 = yd.copy()
        yd2[pos_in_design[i]], yd2[pos_in_design[j]] = yd[pos_in_design[j]], yd[pos_in_design[i]]
        b2 = fit(yd2, beta)
        l2 = loss(b2)
        if l2 < best * (1.0 - ACCEPT_MARGIN):
            best, beta, yd = l2, b2, yd2
            y[i], y[j] = y[j], y[i]
    return y
