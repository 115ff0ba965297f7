"""The logistic estimators against independent computations (scipy ML, numpy sandwiches), and the
direction of known effects (sign-flip guard)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pedcomm.analysis.models import fit_logistic
from pedcomm.studies.survey.analysis.models import ModelSettings

from .independent import mancl_derouen_by_hand, ml_logit, sandwich, two_way_by_hand


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
    # default changed in issue 15: two-way (clinician and parent) clustering, bias-reduced covariance
    assert (s.method, s.cluster, s.correlation, s.correction, s.level) == (
        "gee", "clinician_id+parent_id", "exchangeable", "bias_reduced", 0.95)
    assert s.dimensions == ["clinician_id", "parent_id"]  # the GEE working correlation is within clinicians
    assert ModelSettings.from_config("glm_cluster", "parent").cluster == "parent_id"
    assert ModelSettings.from_config(cluster="parent+clinician").cluster == "clinician_id+parent_id"
    assert ModelSettings.from_config(cluster="clinician", correction="none").correction == "none"
    with pytest.raises(ValueError, match="unknown correction"):
        ModelSettings.from_config(correction="hc3")
    with pytest.raises(ValueError, match="unknown method"):
        ModelSettings.from_config("probit")
    with pytest.raises(ValueError, match="unknown cluster"):
        ModelSettings.from_config(cluster="ward")


# -- small-sample corrected and two-way covariances, against sandwiches written out here ------------

def crossed(seed=4, clinicians=25, parents=70):
    """Relationships of parents crossed with clinicians (some parents with two clinicians), with an
    outcome correlated within both; returns X, y, clinician ids, parent ids."""
    rng = np.random.default_rng(seed)
    par, cli = [], []
    for p in range(parents):
        for c in rng.choice(clinicians, size=1 + (rng.random() < 0.4), replace=False):
            par.append(p)
            cli.append(c)
    par, cli = np.array(par), np.array(cli)
    n = len(par)
    X = np.column_stack([np.ones(n), rng.binomial(1, 0.3, parents)[par], rng.normal(size=n),
                         rng.binomial(1, 0.5, clinicians)[cli]]).astype(float)
    eta = X @ [-0.8, 0.9, -0.5, 0.6] + rng.normal(0, 0.7, clinicians)[cli] + rng.normal(0, 0.8, parents)[par]
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y, cli, par


def test_gee_bias_reduced_equals_mancl_derouen_written_out():
    X, y, g = simulate(seed=8, clusters=20, per=6)
    res = fit_logistic(X, y, g, "gee", correction="bias_reduced")
    expected = mancl_derouen_by_hand(X, y, g, np.asarray(res.params), res.dependence)
    np.testing.assert_allclose(res.cov, expected, rtol=1e-8)
    plain = fit_logistic(X, y, g, "gee")
    np.testing.assert_allclose(plain.params, res.params, atol=1e-12)  # same estimates ...
    assert (res.bse > plain.bse).all()  # ... with larger, corrected standard errors


def test_glm_bias_reduced_is_mancl_derouen_at_the_maximum_likelihood_estimates():
    X, y, g = simulate(seed=9, clusters=20, per=8)
    res = fit_logistic(X, y, g, "glm_cluster", correction="bias_reduced")
    beta = ml_logit(X, y)
    np.testing.assert_allclose(res.params, beta, atol=1e-6)
    np.testing.assert_allclose(res.cov, mancl_derouen_by_hand(X, y, g, beta, 0.0), rtol=1e-6)
    assert res.dependence is None


def test_two_way_glm_is_cgm_of_three_statsmodels_one_way_covariances():
    """V_clinician + V_parent - V_relationship, each statsmodels' cluster-robust GLM covariance with its
    own finite-sample factor (as Cameron, Gelbach and Miller and statsmodels' two-way clustering do)."""
    import statsmodels.api as sm

    X, y, cli, par = crossed()
    res = fit_logistic(X, y, np.column_stack([cli, par]), "glm_cluster")
    n, k = X.shape
    beta = ml_logit(X, y)
    pair = cli * 1000 + par
    by_hand = sum(sign * sandwich(X, y, ids, beta) * len(np.unique(ids)) / (len(np.unique(ids)) - 1) * (n - 1) / (n - k)
                  for ids, sign in ((cli, 1), (par, 1), (pair, -1)))
    np.testing.assert_allclose(res.cov, by_hand, rtol=1e-6)
    sm2 = sm.GLM(y, X, family=sm.families.Binomial()).fit(cov_type="cluster", cov_kwds={"groups": np.column_stack([cli, par])})
    np.testing.assert_allclose(res.cov, sm2.cov_params(), rtol=1e-6)


def test_two_way_gee_equals_cgm_of_the_per_observation_estimating_functions():
    X, y, cli, par = crossed(seed=5)
    res = fit_logistic(X, y, np.column_stack([cli, par]), "gee")
    expected = two_way_by_hand(X, y, cli, np.asarray(res.params), res.dependence, cli, par)
    np.testing.assert_allclose(res.cov, expected, rtol=1e-8)
    one_way = fit_logistic(X, y, cli, "gee")
    np.testing.assert_allclose(res.params, one_way.params, atol=1e-12)  # the working clusters stay clinicians


def test_two_way_bias_reduced_gee_equals_the_written_out_sum():
    X, y, cli, par = crossed(seed=6)
    res = fit_logistic(X, y, np.column_stack([cli, par]), "gee", correction="bias_reduced")
    expected = two_way_by_hand(X, y, cli, np.asarray(res.params), res.dependence, cli, par, bias_reduced=True)
    np.testing.assert_allclose(res.cov, expected, rtol=1e-8)
    # one-way, the written-out sum is Mancl-DeRouen's (a check of the hand computation itself)
    one = two_way_by_hand(X, y, cli, np.asarray(res.params), res.dependence, cli, np.arange(len(y)), bias_reduced=True)
    np.testing.assert_allclose(one, mancl_derouen_by_hand(X, y, cli, np.asarray(res.params), res.dependence), rtol=1e-8)


def test_one_way_sandwich_module_equals_statsmodels_gee():
    """pedcomm.analysis.sandwich, used for two-way clustering, reproduces statsmodels' own one-way GEE
    covariances ('robust' and 'bias_reduced') before its sums are trusted."""
    import statsmodels.api as sm

    from pedcomm.analysis import sandwich as S

    X, y, g = simulate(seed=12, clusters=30, per=5)
    for cov_type in ("robust", "bias_reduced"):
        r = sm.GEE(y, X, groups=g, family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable()).fit(cov_type=cov_type)
        pc = S.pieces(X, y, r.params, g, float(r.model.cov_struct.dep_params))
        expected = r.cov_robust_bc if cov_type == "bias_reduced" else r.cov_robust
        np.testing.assert_allclose(S.one_way(pc, g, cov_type == "bias_reduced"), expected, rtol=1e-8)


def test_two_way_covariance_is_made_positive_semidefinite_with_a_note():
    from pedcomm.analysis import sandwich as S

    X, y, cli, par = crossed(seed=1, clinicians=6, parents=14)
    pc = S.pieces(X, y, ml_logit(X, y), cli, 0.0)
    raw = pc.bread_inv @ (S.meat(pc, cli) + S.meat(pc, par) - S.meat(pc, S.intersection(cli, par))) @ pc.bread_inv
    cov = S.two_way(pc, cli, par)
    vals, vecs = np.linalg.eigh((raw + raw.T) / 2)
    assert vals.min() < 0  # this small crossed design gives a V_a + V_b - V_ab that is not PSD
    np.testing.assert_allclose(cov, (vecs * np.clip(vals, 0, None)) @ vecs.T, atol=1e-12)
    assert np.linalg.eigvalsh(cov).min() > -1e-12
    assert len(pc.notes) == 1 and "negative eigenvalues" in pc.notes[0]
