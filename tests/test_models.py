"""The logistic estimators against independent computations (scipy ML, numpy sandwiches), and the
direction of known effects (sign-flip guard)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from pedcomm.analysis.models import fit_logistic
from pedcomm.analysis.survey_models import ModelSettings


def simulate(seed=11, clusters=40, per=10, beta=(-0.7, 0.9, -0.6, 0.4)):
    """Clustered binary data with a shared cluster effect; returns X (with const), y, cluster ids."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(clusters), per)
    n = len(g)
    x1 = rng.binomial(1, 0.4, n).astype(float)
    x2 = rng.normal(0, 1, n)
    x3 = np.repeat(rng.binomial(1, 0.5, clusters), per).astype(float)  # a cluster-level covariate
    X = np.column_stack([np.ones(n), x1, x2, x3])
    eta = X @ np.asarray(beta) + np.repeat(rng.normal(0, 0.6, clusters), per)
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y, g


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
    assert np.max(np.abs(grad(res.x))) < 1e-8, res.message  # at the maximum
    return res.x


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


def test_glm_coefficients_equal_scipy_maximum_likelihood():
    X, y, g = simulate()
    res = fit_logistic(X, y, g, "glm_cluster")
    np.testing.assert_allclose(res.params, ml_logit(X, y), atol=1e-6)


def test_glm_cluster_standard_errors_equal_numpy_sandwich_with_correction():
    X, y, g = simulate()
    res = fit_logistic(X, y, g, "glm_cluster")
    n, k, G = len(y), X.shape[1], len(np.unique(g))
    cov = sandwich(X, y, g, ml_logit(X, y)) * G / (G - 1) * (n - 1) / (n - k)
    np.testing.assert_allclose(res.bse, np.sqrt(np.diag(cov)), rtol=1e-6)


def test_gee_independence_equals_glm_and_numpy_sandwich():
    X, y, g = simulate()
    gee = fit_logistic(X, y, g, "gee", correlation="independence")
    glm = fit_logistic(X, y, g, "glm_cluster")
    np.testing.assert_allclose(gee.params, glm.params, atol=1e-6)
    # statsmodels' GEE sandwich has no small-sample factor: equal to the uncorrected sandwich ...
    np.testing.assert_allclose(gee.bse, np.sqrt(np.diag(sandwich(X, y, g, np.asarray(gee.params)))), rtol=1e-6)
    # ... and to the GLM cluster-robust one once its correction is taken out
    n, k, G = len(y), X.shape[1], len(np.unique(g))
    np.testing.assert_allclose(gee.bse * np.sqrt(G / (G - 1) * (n - 1) / (n - k)), glm.bse, rtol=1e-6)


def test_gee_exchangeable_with_singleton_clusters_is_maximum_likelihood():
    X, y, _ = simulate(seed=3)
    gee = fit_logistic(X, y, np.arange(len(y)), "gee", correlation="exchangeable")
    np.testing.assert_allclose(gee.params, ml_logit(X, y), atol=1e-6)


@pytest.mark.parametrize("method", ["gee", "glm_cluster"])
def test_known_effects_keep_their_sign_even_from_boolean_outcomes(method):
    """Sign-flip guard: a planted positive (and negative) effect is estimated with that sign, also
    when the outcome arrives as booleans or an object column with missing values dropped."""
    X, y, g = simulate(seed=5, clusters=60, per=10, beta=(-0.5, 1.2, -0.9, 0.0))
    as_object = pd.Series(np.where(y == 1, True, False), dtype="object")
    for outcome in (y, y.astype(bool), as_object):
        res = fit_logistic(pd.DataFrame(X, columns=["const", "x1", "x2", "x3"]), outcome, g, method)
        assert res.params["x1"] > 0.6
        assert res.params["x2"] < -0.4


def test_outcome_must_be_binary():
    X, y, g = simulate()
    with pytest.raises(ValueError, match="0/1"):
        fit_logistic(X, y * 2, g, "glm_cluster")
    with pytest.raises(ValueError, match="unknown method"):
        fit_logistic(X, y, g, "ols")


def test_model_settings_defaults_and_choices():
    s = ModelSettings.from_config()
    assert (s.method, s.cluster, s.correlation, s.level) == ("gee", "clinician_id", "exchangeable", 0.95)
    assert ModelSettings.from_config("glm_cluster", "parent").cluster == "parent_id"
    with pytest.raises(ValueError, match="unknown method"):
        ModelSettings.from_config("probit")
    with pytest.raises(ValueError, match="unknown cluster"):
        ModelSettings.from_config(cluster="ward")
