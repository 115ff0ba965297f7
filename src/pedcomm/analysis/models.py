"""Logistic models for clustered relationships: the estimators the reproduction uses.

One implementation for the reference analyses, the synthetic-data calibration and the site
summaries, so they can never disagree about how a model is fitted.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

METHODS = ("gee", "glm_cluster")


def fit_logistic(X: pd.DataFrame | np.ndarray, y, clusters, method: str = "gee", start=None):
    """Fit a logistic model; ``y`` must be float 0/1 (never boolean: see survey_design)."""
    import statsmodels.api as sm

    y = np.asarray(y, dtype="float64")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("the outcome must be coded 0/1")
    codes = pd.Series(np.asarray(clusters)).astype("category").cat.codes.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "gee":
            model = sm.GEE(y, X, groups=codes, family=sm.families.Binomial(),
                           cov_struct=sm.cov_struct.Exchangeable())
            return model.fit(start_params=start, maxiter=100)
        if method == "glm_cluster":
            model = sm.GLM(y, X, family=sm.families.Binomial())
            return model.fit(start_params=start, cov_type="cluster", cov_kwds={"groups": codes})
    raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
