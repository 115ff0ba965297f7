"""Clustered (design-based) intervals against independent computations: statsmodels' cluster-robust
OLS for a proportion, Fleiss-Cohen-Everitt for kappa, numerical derivatives of weighted statistics for
the linearization, and Durkalski's McNemar written out."""

from __future__ import annotations

import numpy as np
import pytest

from pedcomm.analysis import clustered
from pedcomm.analysis.agreement import cohen_kappa


def paired_ratings(seed=3, clusters=12, parents=30):
    """Two binary ratings of relationships crossed between clinicians and parents, correlated within both."""
    rng = np.random.default_rng(seed)
    cli, par = [], []
    for p in range(parents):
        for c in rng.choice(clusters, size=1 + (rng.random() < 0.5), replace=False):
            cli.append(c)
            par.append(p)
    cli, par = np.array(cli), np.array(par)
    n = len(cli)
    u = rng.normal(0, 1, clusters)[cli] + rng.normal(0, 0.7, parents)[par]
    first = rng.random(n) < 1 / (1 + np.exp(-(u - 0.8)))
    second = rng.random(n) < 1 / (1 + np.exp(-(0.8 * u - 0.2 + rng.normal(0, 0.5, n))))
    return first, second, cli, par


def test_proportion_variance_equals_statsmodels_cluster_robust_mean():
    """A proportion is the mean of a 0/1 outcome: OLS on a constant with cluster-robust standard errors
    (statsmodels applies G/(G-1) x (N-1)/(N-K), K = 1: G/(G-1), for one-way and for each two-way term)."""
    import statsmodels.api as sm

    first, _, cli, par = paired_ratings()
    y = first.astype(float)
    ones = np.ones((len(y), 1))
    one = sm.OLS(y, ones).fit(cov_type="cluster", cov_kwds={"groups": cli})
    two = sm.OLS(y, ones).fit(cov_type="cluster", cov_kwds={"groups": np.column_stack([cli, par])})
    assert clustered.proportion(first, [cli]).se == pytest.approx(float(one.bse[0]), rel=1e-10)
    assert clustered.proportion(first, [cli, par]).se == pytest.approx(float(two.bse[0]), rel=1e-10)


def test_proportion_with_every_observation_its_own_cluster_is_binomial_and_wilson():
    k, n = 17, 60
    hit = np.r_[np.ones(k, bool), np.zeros(n - k, bool)]
    e = clustered.proportion(hit, [np.arange(n)])
    p = k / n
    assert e.naive_se == pytest.approx(np.sqrt(p * (1 - p) / n))
    assert e.se == pytest.approx(np.sqrt(p * (1 - p) / n * n / (n - 1)))  # with G/(G-1), G = N
    z = 1.959963984540054
    m = n - 1  # effective sample size N / (N / (N - 1))
    centre = (p + z * z / (2 * m)) / (1 + z * z / m)
    half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / (1 + z * z / m)
    assert (e.lower, e.upper) == pytest.approx((centre - half, centre + half))


def test_kappa_naive_standard_error_is_fleiss_cohen_everitt():
    first, second, _, _ = paired_ratings(seed=5)
    t = np.array([[np.sum(first & second), np.sum(first & ~second)], [np.sum(~first & second), np.sum(~first & ~second)]])
    e = clustered.kappa(first, second, [np.arange(len(first))])
    fce = cohen_kappa(t)
    assert e.estimate == pytest.approx(fce.kappa, abs=1e-12)
    assert e.naive_se == pytest.approx(fce.se, rel=1e-10)
    n = len(first)
    assert e.se == pytest.approx(fce.se * np.sqrt(n / (n - 1)), rel=1e-10)


def weighted_kappa(first, second, w):
    cells = [np.sum(w * (first & second)), np.sum(w * (first & ~second)), np.sum(w * (~first & second)),
             np.sum(w * (~first & ~second))]
    return cohen_kappa(np.array(cells, dtype=float).reshape(2, 2)).kappa


def linearized_by_numerical_derivative(stat, groups, h=1e-6):
    """G/(G-1) sum_g (d stat / d w_g)^2: the derivative of the statistic with respect to each
    cluster's weight, by central differences (an independent route to the influence values)."""
    ids = np.unique(groups)
    z = []
    for g in ids:
        up, down = np.ones(len(groups)), np.ones(len(groups))
        up[groups == g] += h
        down[groups == g] -= h
        z.append((stat(up) - stat(down)) / (2 * h))
    z = np.array(z)
    G = len(ids)
    return G / (G - 1) * np.sum(z ** 2)


def test_kappa_clustered_variance_equals_the_numerical_linearization_one_and_two_way():
    first, second, cli, par = paired_ratings(seed=7)
    stat = lambda w: weighted_kappa(first, second, w)  # noqa: E731
    v_cli = linearized_by_numerical_derivative(stat, cli)
    v_par = linearized_by_numerical_derivative(stat, par)
    v_both = linearized_by_numerical_derivative(stat, cli * 1000 + par)
    assert clustered.kappa(first, second, [cli]).se ** 2 == pytest.approx(v_cli, rel=1e-6)
    assert clustered.kappa(first, second, [cli, par]).se ** 2 == pytest.approx(v_cli + v_par - v_both, rel=1e-6)
    e = clustered.kappa(first, second, [cli])
    assert (e.lower, e.upper) == pytest.approx((e.estimate - 1.959963984540054 * e.se, e.estimate + 1.959963984540054 * e.se))


def test_difference_of_paired_proportions():
    first, second, cli, _ = paired_ratings(seed=9)
    n = len(first)
    b, c = int(np.sum(first & ~second)), int(np.sum(~first & second))
    single = clustered.difference(first, second, [np.arange(n)])
    assert single.estimate == pytest.approx((c - b) / n)
    assert single.naive_se == pytest.approx(np.sqrt((b + c) - (b - c) ** 2 / n) / n)
    stat = lambda w: (np.sum(w * second) - np.sum(w * first)) / np.sum(w)  # noqa: E731
    assert clustered.difference(first, second, [cli]).se ** 2 == pytest.approx(
        linearized_by_numerical_derivative(stat, cli), rel=1e-6)


def test_mcnemar_clustered_is_durkalski_and_reduces_to_mcnemar():
    first, second, cli, par = paired_ratings(seed=11)
    n = len(first)
    b, c = int(np.sum(first & ~second)), int(np.sum(~first & second))
    assert clustered.mcnemar(first, second, [np.arange(n)]).statistic == pytest.approx((b - c) ** 2 / (b + c))
    # Durkalski et al. (2003): (sum_g (b_g - c_g))^2 / sum_g (b_g - c_g)^2
    per = [(np.sum(first[cli == g] & ~second[cli == g]) - np.sum(~first[cli == g] & second[cli == g])) for g in np.unique(cli)]
    x2 = sum(per) ** 2 / sum(d * d for d in per)
    got = clustered.mcnemar(first, second, [cli])
    assert got.statistic == pytest.approx(x2)
    from scipy import stats

    assert got.p_value == pytest.approx(stats.chi2.sf(x2, 1))


def test_two_way_falls_back_to_the_larger_one_way_variance_when_not_positive():
    # two clinicians, two parents; d = +1 at (a, x) and (b, y), -1 at (a, y) and (b, x): each one-way
    # cluster sums to 0, the intersection term is 4, so V_1 + V_2 - V_12 < 0
    hit = np.array([1.0, -1.0, -1.0, 1.0])
    v, note = clustered.variance(hit, [np.array(["a", "a", "b", "b"]), np.array(["x", "y", "x", "y"])], factor=False)
    assert v == 0.0 and "larger one-way" in note
