"""Logistic models for clustered relationships: the estimators the reproduction uses.

One implementation for the reference analyses, the synthetic-data calibration, the site summaries
and the simulation benchmark, so they can never disagree about how a model is fitted.

Point estimates: ``gee`` (logistic GEE, exchangeable or independence working correlation within the
first clustering dimension) or ``glm_cluster`` (maximum likelihood). Covariance (``correction``):

- ``none``: the plain sandwich; statsmodels' GEE 'robust' covariance, and for the GLM statsmodels'
  cluster-robust covariance with its usual finite-sample factor G/(G-1) x (N-1)/(N-K);
- ``bias_reduced``: Mancl and DeRouen's (2001) small-sample bias correction of the sandwich
  (statsmodels' GEE ``cov_type="bias_reduced"``; for the GLM, the same on the independence GEE,
  whose point estimates are the maximum-likelihood ones).

Two clustering dimensions (``clusters`` with two columns, e.g. clinician and parent) give the
Cameron-Gelbach-Miller two-way covariance (sandwich.two_way); the GEE's working correlation stays
within the first dimension.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import sandwich

METHODS = ("gee", "glm_cluster")
CORRELATIONS = ("exchangeable", "independence")
CORRECTIONS = ("none", "bias_reduced")


@dataclass
class LogitFit:
    """A fitted logistic model: coefficients (a Series when X was a DataFrame), their covariance,
    the GEE working-correlation parameter (None for the GLM) and notes on the covariance."""

    params: pd.Series | np.ndarray
    cov: np.ndarray
    dependence: float | None
    result: object  # the statsmodels results object the point estimates come from
    notes: list[str] = field(default_factory=list)

    @property
    def bse(self):
        se = np.sqrt(np.clip(np.diag(self.cov), 0.0, None))
        return pd.Series(se, index=self.params.index) if isinstance(self.params, pd.Series) else se

    def cov_params(self) -> np.ndarray:
        return self.cov


def _cov_struct(correlation: str):
    import statsmodels.api as sm

    if correlation == "exchangeable":
        return sm.cov_struct.Exchangeable()
    if correlation == "independence":
        return sm.cov_struct.Independence()
    raise ValueError(f"unknown working correlation {correlation!r}; choose one of {CORRELATIONS}")


def cluster_dimensions(clusters) -> list[np.ndarray]:
    """One array of cluster ids per clustering dimension (one or two)."""
    arr = clusters.to_numpy() if isinstance(clusters, (pd.DataFrame, pd.Series)) else np.asarray(clusters, dtype=object)
    if arr.ndim == 1:
        return [arr]
    if arr.ndim == 2 and arr.shape[1] in (1, 2):
        return [arr[:, j] for j in range(arr.shape[1])]
    raise ValueError("clusters must be one column of cluster ids, or two for two-way clustering")


def fit_logistic(X: pd.DataFrame | np.ndarray, y, clusters, method: str = "gee", start=None,
                 correlation: str = "exchangeable", caught: list | None = None,
                 correction: str = "none") -> LogitFit | None:
    """Fit a logistic model; ``y`` must be float 0/1 (never boolean: see survey_design).

    ``clusters``: cluster ids (one-way) or two columns of them (two-way). Warnings (e.g.
    non-convergence) are silenced; pass a list as ``caught`` to receive their messages. Returns
    None when statsmodels cannot estimate the model.
    """
    import statsmodels.api as sm

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    if correction not in CORRECTIONS:
        raise ValueError(f"unknown correction {correction!r}; choose one of {CORRECTIONS}")
    y = np.asarray(y, dtype="float64")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("the outcome must be coded 0/1")
    dims = cluster_dimensions(clusters)
    working = sandwich.codes(dims[0])
    bias_reduced = correction == "bias_reduced"
    two_way = len(dims) == 2
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        if method == "gee" or (bias_reduced and not two_way):
            corr = correlation if method == "gee" else "independence"
            model = sm.GEE(y, X, groups=working, family=sm.families.Binomial(), cov_struct=_cov_struct(corr))
            cov_type = "bias_reduced" if bias_reduced and not two_way else "robust"
            result = model.fit(start_params=start, maxiter=100, cov_type=cov_type)
            dependence = None
            if result is not None:
                cov = result.cov_robust_bc if cov_type == "bias_reduced" else result.cov_robust
                if method == "gee":
                    dependence = float(np.asarray(result.model.cov_struct.dep_params).ravel()[0]) \
                        if correlation == "exchangeable" else 0.0
        else:
            model = sm.GLM(y, X, family=sm.families.Binomial())
            result = model.fit(start_params=start, cov_type="cluster", cov_kwds={"groups": working})
            cov, dependence = np.asarray(result.cov_params()), None
    if caught is not None:
        caught.extend(str(w.message) for w in seen)
    if result is None or cov is None:
        return None
    fit = LogitFit(result.params, np.asarray(cov, dtype="float64"), dependence, result)
    if two_way:
        pc = sandwich.pieces(X, y, np.asarray(result.params), dims[0], dependence or 0.0)
        fit.cov = sandwich.two_way(pc, dims[0], dims[1], bias_reduced=bias_reduced,
                                   factors=method == "glm_cluster" and not bias_reduced)
        fit.notes += pc.notes
    return fit
