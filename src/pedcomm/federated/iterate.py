"""The centre's side of a federated fit: statsmodels' iterations, run on the sums of the sites.

``fit_model`` is a generator: it yields a request (a kind and its arrays) for one model, receives
the sum over the sites of their answers (pedcomm.federated.aggregates), and returns the estimate.
It takes exactly the steps pedcomm reproduce takes through pedcomm.analysis.models.fit_logistic:

- the maximum-likelihood fit by statsmodels' IRLS: start at mu = (y + 0.5) / 2, solve the
  weighted least squares, stop when the deviance changes by at most 1e-8 (at most 100 steps);
- the GEE (method gee, or the GLM's one-way bias-reduced covariance, which statsmodels computes
  on the independence GEE): start at the IRLS estimate, update the coefficients with the summed
  estimating equations and their derivative, then the exchangeable correlation from the summed
  residual moments, until the norm of the estimating equations is below 1e-6 after at least one
  correlation update (at most 100 steps);
- the covariance: the summed bread at the estimate, then the sites' meats with its inverse, one
  per clustering dimension and their intersection for two-way clustering
  (pedcomm.analysis.sandwich), each with the finite-sample factor for the GLM without correction.

The same steps on the same sums give the pooled fit's numbers (up to the order of floating-point
additions).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np

from ..analysis import sandwich

GLM_MAXITER, GLM_TOL = 100, 1e-8  # statsmodels' GLM.fit defaults (fit_logistic keeps them)
GEE_MAXITER, GEE_CTOL = 100, 1e-6  # fit_logistic's maxiter; statsmodels' GEE ctol default

Request = tuple[str, dict[str, np.ndarray]]


class NotEstimable(Exception):
    """The model cannot be estimated from the sums (singular, diverging or not converging)."""


@dataclass(frozen=True)
class Plan:
    """How a model is estimated: pedcomm.studies.survey ModelSettings, as fit_logistic reads them."""

    method: str  # gee | glm_cluster
    correlation: str  # exchangeable | independence
    correction: str  # none | bias_reduced
    dimensions: int  # 1 or 2 clustering dimensions

    @property
    def gee(self) -> bool:
        """True when the point estimates come from statsmodels' GEE (as in fit_logistic)."""
        return self.method == "gee" or (self.correction == "bias_reduced" and self.dimensions == 1)

    @property
    def working_correlation(self) -> str:
        return self.correlation if self.method == "gee" else "independence"

    @property
    def groupings(self) -> int:
        """Meats the sites send: one per dimension, and their intersection for two-way clustering."""
        return 3 if self.dimensions == 2 else 1


@dataclass
class Estimate:
    coef: np.ndarray
    cov: np.ndarray
    dependence: float | None
    clusters: list[int]  # clusters of each clustering dimension, summed over the sites
    notes: list[str] = field(default_factory=list)
    steps: dict[str, int] = field(default_factory=dict)


def _solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        raise NotEstimable("its information matrix is singular (a term is constant, or two terms are the same, "
                           "in the pooled rows)") from None


def _bounded(beta: np.ndarray, bound: float) -> None:
    """NotEstimable when a coefficient is not finite or beyond ``bound`` (separation)."""
    if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > bound:
        raise NotEstimable(f"a coefficient diverges (|log odds ratio| {np.max(np.abs(beta)):.3g} > {bound:g}): the "
                           "outcome is separated by a term or a combination of terms in the pooled rows")


def fit_model(plan: Plan, n: int, k: int, bound: float) -> Generator[Request, dict[str, np.ndarray], Estimate]:
    """Estimate one model from the sites' sums; ``n`` rows and ``k`` terms in all. A coefficient
    beyond ``bound`` in absolute value (log odds) means separation: NotEstimable."""
    notes: list[str] = []
    reply = yield "irls", {}
    A, b, dev = reply["xwx"], reply["xwz"], float(reply["deviance"][0])
    beta = np.zeros(k)
    steps = {"irls": 0, "gee": 0}
    for _ in range(GLM_MAXITER):
        steps["irls"] += 1
        beta = _solve(A, b)
        reply = yield "irls", {"beta": beta}
        A, b, previous, dev = reply["xwx"], reply["xwz"], dev, float(reply["deviance"][0])
        if abs(dev - previous) <= GLM_TOL:
            break
    else:
        raise NotEstimable(f"the maximum-likelihood iterations did not converge in {GLM_MAXITER} steps")
    _bounded(beta, bound)
    alpha = 0.0
    if plan.gee:
        # the GEE's first step is at the IRLS estimate with correlation 0: its derivative is X'WX there
        # and its estimating equations X'(y - p) = X'Wz - X'WX beta, both in the last IRLS answer
        B, score = A, b - A @ beta
        exchangeable = plan.working_correlation == "exchangeable"
        updates = 0
        for _ in range(GEE_MAXITER):
            steps["gee"] += 1
            beta = beta + _solve(B, score)
            _bounded(beta, bound)
            norm = float(np.sqrt(np.sum(score ** 2)))
            if norm < GEE_CTOL and updates > 0:
                break
            if exchangeable:
                m = (yield "moments", {"beta": beta})["moments"]
                ssr, pairs, n_pairs, rows = (float(x) for x in m)
                scale = ssr / (rows - k)
                alpha = (pairs / scale) / (n_pairs - k)
            updates += 1
            reply = yield "gee", {"beta": beta, "alpha": np.array([alpha])}
            B, score = reply["bread"], reply["score"]
        else:
            notes.append(f"the GEE iterations stopped at their limit of {GEE_MAXITER} steps before converging")
        bread = (yield "gee", {"beta": beta, "alpha": np.array([alpha])})["bread"]
    else:
        bread = A  # X'WX at the IRLS estimate: the GLM's bread
    try:
        bread_inv = np.linalg.inv(bread)
    except np.linalg.LinAlgError:
        raise NotEstimable("its bread matrix is singular") from None
    reply = yield "meats", {"beta": beta, "alpha": np.array([alpha]), "bread_inv": bread_inv}
    clusters = [int(round(c)) for c in reply["clusters"]]
    factors = plan.method == "glm_cluster" and plan.correction == "none"
    total = np.zeros((k, k))
    for i, sign in enumerate((1.0, 1.0, -1.0)[: plan.groupings] if plan.groupings == 3 else (1.0,)):
        m = reply[f"meat{i}"]
        total += sign * (m * sandwich.finite_sample_factor(clusters[i], n, k) if factors else m)
    if plan.dimensions == 2:
        cov = sandwich.two_way_sandwich(bread_inv, total, notes)
    else:
        cov = bread_inv @ total @ bread_inv.T
    dependence = alpha if plan.method == "gee" else None
    return Estimate(beta, cov, dependence, clusters[: plan.dimensions], notes, steps)
