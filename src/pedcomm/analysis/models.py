"""Logistic models for clustered relationships: the estimators the reproduction uses.

One implementation for the reference analyses, the synthetic-data calibration and the site
summaries, so they can never disagree about how a model is fitted.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

METHODS = ("gee", "glm_cluster")
CORRELATIONS = ("exchangeable", "independence")


def _cov_struct(correlation: str):
    import statsmodels.api as sm

    if correlation == "exchangeable":
        return sm.cov_struct.Exchangeable()
    if correlation == "independence":
        return sm.cov_struct.Independence()
    raise ValueError(f"unknown working correlation {correlation!r}; choose one of {CORRELATIONS}")


def fit_logistic(X: pd.DataFrame | np.ndarray, y, clusters, method: str = "gee", start=None,
                 correlation: str = "exchangeable", caught: list | None = None):
    """Fit a logistic model; ``y`` must be float 0/1 (never boolean: see survey_design).

    ``method``: ``gee`` (logistic GEE with the given working ``correlation``, robust sandwich
    covariance) or ``glm_cluster`` (maximum-likelihood logistic regression with cluster-robust
    covariance, statsmodels' small-sample correction). Warnings (e.g. non-convergence) are
    silenced; pass a list as ``caught`` to receive their messages.
    """
    import statsmodels.api as sm

    y = np.asarray(y, dtype="float64")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("the outcome must be coded 0/1")
    codes = pd.Series(np.asarray(clusters)).astype("category").cat.codes.to_numpy()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        if method == "gee":
            model = sm.GEE(y, X, groups=codes, family=sm.families.Binomial(),
                           cov_struct=_cov_struct(correlation))
            result = model.fit(start_params=start, maxiter=100)
        elif method == "glm_cluster":
            model = sm.GLM(y, X, family=sm.families.Binomial())
            result = model.fit(start_params=start, cov_type="cluster", cov_kwds={"groups": codes})
        else:
            raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    if caught is not None:
        caught.extend(str(w.message) for w in seen)
    return result
