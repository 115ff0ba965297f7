"""Firth-type bias-reduced logistic regression: the remedy for separation and sparse data.

Penalized likelihood (Firth 1993, Biometrika 80:27; Heinze and Schemper 2002, Stat Med 21:2409):
maximize l*(b) = l(b) + 1/2 log det I(b), with l the logistic log-likelihood and I(b) = X' diag(v) X
its Fisher information (v = p (1 - p)). The estimate is finite even when the data are separated
(a zero cell: no event at one level of a binary covariate), and its O(1/n) bias is removed. Its
score is U*(b) = sum_i x_i (y_i - p_i + h_i (1/2 - p_i)), h_i the diagonal of the hat matrix; it is
solved by Newton-Raphson with step-halving on l* (as R's logistf), and for the canonical logit link
it is the same estimate as R brglm2's mean bias reduction (tests/test_firth.py compares with both).

Intervals for a separated term: the profile penalized likelihood (Heinze and Schemper 2002): the
values b_j at which 2 (l*(b^) - max over the other terms of l*(b with b_j fixed)) equals the chi-square
(1 df) quantile; its p-value is the penalized likelihood-ratio test of b_j = 0.

Bias-reduced GEE (Paul and Zhang 2014, Stat Med 33:4338; Mondol and Rahman 2019, Stat Med 38:2544):
the GEE estimating equations sum_g D_g' V_g^-1 (y_g - p_g) plus Firth's adjustment
1/2 tr(B^-1 dB/db_r), B = sum_g D_g' V_g^-1 D_g, with the working correlation held at its current
moment estimate. For the logit link the adjustment is sum_i x_i h_i (1/2 - p_i) with the generalized
leverages h_i = v_i w_i' B^-1 x_i (w_i the rows of V^-1 D, pedcomm.analysis.sandwich); with the
independence working correlation it is exactly Firth's estimate. Its standard errors are the same
sandwiches as the ordinary fit's (pedcomm.analysis.sandwich), evaluated at the bias-reduced estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from .sandwich import codes

#: Newton-Raphson settings (logistf's defaults, tighter convergence).
MAX_ITER, MAX_HALVINGS, TOLERANCE = 200, 30, 1e-10


class NotConverged(ArithmeticError):
    """The penalized fit did not converge."""


@dataclass
class FirthFit:
    params: np.ndarray
    cov: np.ndarray  # inverse of the Fisher information at the estimate (model-based)
    loglik: float  # penalized log-likelihood l*
    iterations: int


def _expit(eta: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -eta))


def penalized_loglik(X: np.ndarray, y: np.ndarray, b: np.ndarray) -> float:
    eta = X @ b
    ll = float(np.sum(y * -np.logaddexp(0.0, -eta) + (1 - y) * -np.logaddexp(0.0, eta)))
    p = _expit(eta)
    info = (X * (p * (1 - p))[:, None]).T @ X
    sign, logdet = np.linalg.slogdet(info)
    return ll + 0.5 * logdet if sign > 0 else -np.inf


def _score_info(X: np.ndarray, y: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = _expit(X @ b)
    v = p * (1 - p)
    info = (X * v[:, None]).T @ X
    inv = np.linalg.inv(info)
    h = v * np.einsum("ij,jk,ik->i", X, inv, X)
    return X.T @ (y - p + h * (0.5 - p)), info


def firth_logit(X, y, start=None, fixed: dict[int, float] | None = None) -> FirthFit:
    """Maximize the penalized log-likelihood; ``fixed``: coefficients held at given values
    (column index -> value), for the profile. Raises NotConverged."""
    X = np.asarray(X, dtype="float64")
    y = np.asarray(y, dtype="float64")
    k = X.shape[1]
    b = np.zeros(k) if start is None else np.array(start, dtype="float64")
    fixed = fixed or {}
    for j, v in fixed.items():
        b[j] = v
    free = np.array([j not in fixed for j in range(k)])
    ll = penalized_loglik(X, y, b)
    for it in range(1, MAX_ITER + 1):
        score, info = _score_info(X, y, b)
        step = np.zeros(k)
        step[free] = np.linalg.solve(info[np.ix_(free, free)], score[free])
        for _ in range(MAX_HALVINGS):
            new = b + step
            new_ll = penalized_loglik(X, y, new)
            if new_ll >= ll - 1e-12:
                break
            step /= 2
        else:
            raise NotConverged("the penalized likelihood did not increase")
        b, ll = new, new_ll
        if np.max(np.abs(step)) < TOLERANCE and np.max(np.abs(score[free]), initial=0.0) < 1e-8:
            _, info = _score_info(X, y, b)
            return FirthFit(b, np.linalg.inv(info), float(ll), it)
    raise NotConverged(f"no convergence in {MAX_ITER} iterations")


def profile_interval(X, y, fit: FirthFit, j: int, level: float = 0.95, scale: float = 1.0) -> tuple[float, float, float]:
    """(lower, upper, p-value) of coefficient ``j`` from the profile penalized likelihood: the
    values where 2 (l*max - l*_j(b)) / ``scale`` equals the chi-square quantile, and the penalized
    likelihood-ratio test of b_j = 0. ``scale`` > 1 widens the interval for clustering (Chandler and
    Bate 2007, Biometrika 94:167: the independence log-likelihood ratio divided by the ratio of the
    clustered to the model-based variance)."""
    X = np.asarray(X, dtype="float64")
    y = np.asarray(y, dtype="float64")
    crit = float(stats.chi2.ppf(level, 1))
    best = fit.params[j]
    se = float(np.sqrt(max(fit.cov[j, j], 1e-12)))

    def deviance(value: float) -> float:
        start = fit.params.copy()
        start[j] = value
        return 2 * (fit.loglik - firth_logit(X, y, start=start, fixed={j: value}).loglik) / scale

    def limit(direction: int) -> float:
        step = max(se, 0.5)
        inner, outer = best, best + direction * step
        for _ in range(60):
            if deviance(outer) > crit:
                break
            inner, outer = outer, outer + direction * step
            step *= 1.6
        else:
            return direction * np.inf
        return float(optimize.brentq(lambda v: deviance(v) - crit, min(inner, outer), max(inner, outer), xtol=1e-10))

    lr = max(deviance(0.0), 0.0)
    return limit(-1), limit(1), float(stats.chi2.sf(lr, 1))


# -- bias-reduced GEE ------------------------------------------------------------------------


def _exchangeable_alpha(X: np.ndarray, y: np.ndarray, p: np.ndarray, g: np.ndarray) -> float:
    """The moment estimate of the exchangeable correlation from Pearson residuals, as statsmodels'
    Exchangeable.update computes it (ddof = number of parameters)."""
    n, k = X.shape
    r = (y - p) / np.sqrt(p * (1 - p))
    sums = np.bincount(g, weights=r)
    sq = np.bincount(g, weights=r * r)
    sizes = np.bincount(g)
    scale = sq.sum() / (n - k)
    pairs = 0.5 * sizes * (sizes - 1)
    n_pairs = pairs.sum()
    if n_pairs - k <= 0:
        return 0.0
    cross = np.sum((sums ** 2 - sq) / 2) / scale
    return float(cross / (n_pairs * (n_pairs - k) / n_pairs))


def gee_weights(X: np.ndarray, p: np.ndarray, g: np.ndarray, alpha: float) -> np.ndarray:
    """Rows w_i of V_g^-1 D_g for an exchangeable working correlation ``alpha`` (sandwich.pieces)."""
    v = p * (1 - p)
    if alpha == 0.0:
        return X.copy()
    s = np.sqrt(v)
    Z = X * s[:, None]
    n_g = np.bincount(g)
    c = alpha / (1.0 - alpha + n_g * alpha)
    col_sums = np.zeros((len(n_g), X.shape[1]))
    np.add.at(col_sums, g, Z)
    return (Z - c[g][:, None] * col_sums[g]) / ((1.0 - alpha) * s[:, None])


@dataclass
class GEEFit:
    params: np.ndarray
    alpha: float
    iterations: int


def br_gee(X, y, groups, correlation: str = "exchangeable", start=None, adjust: bool = True) -> GEEFit:
    """Bias-reduced (Firth-type) logistic GEE; ``adjust=False`` solves the ordinary GEE (for the
    tests). The working correlation is re-estimated after each step. Raises NotConverged."""
    X = np.asarray(X, dtype="float64")
    y = np.asarray(y, dtype="float64")
    g = codes(groups)
    b = firth_logit(X, y).params if start is None and adjust else (np.zeros(X.shape[1]) if start is None else
                                                                    np.array(start, dtype="float64"))
    alpha = 0.0
    for it in range(1, MAX_ITER + 1):
        p = _expit(X @ b)
        if correlation == "exchangeable":
            alpha = min(max(_exchangeable_alpha(X, y, p, g), -0.2), 0.95)
        v = p * (1 - p)
        W = gee_weights(X, p, g, alpha)
        bread = (X * v[:, None]).T @ W
        inv = np.linalg.inv(bread)
        score = W.T @ (y - p)
        if adjust:
            h = v * np.einsum("ij,jk,ik->i", W, inv, X)
            score = score + X.T @ (h * (0.5 - p))
        step = inv @ score
        big = np.max(np.abs(step))
        if big > 5:  # keep the scoring steps bounded (separated data start far from the solution)
            step *= 5 / big
        b = b + step
        if not np.isfinite(b).all():
            break
        if np.max(np.abs(step)) < 1e-9:
            return GEEFit(b, alpha, it)
    raise NotConverged("the bias-reduced GEE did not converge")
