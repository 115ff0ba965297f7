"""Impossible results are never shown (issue 28): the bias-reduced fits against R brglm2 and the PyPI
package firthmodels, separation against firthmodels' detector, the Donner-Eliasziw kappa interval
and the Hartung-Knapp-Sidik-Jonkman interval against computations written out here, and the six
cases of the issue built from the shipped example, each giving a labelled valid result or a coded
refusal. R (Debian's r-base-core, r-cran-brglm2; `make setup` installs them as root): a missing R
skips locally and fails under CI=true."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from pedcomm.analysis import diagnostics, firth
from pedcomm.analysis.agreement import cohen_kappa, cohen_kappa_2x2
from pedcomm.analysis.guarded import fit_guarded
from pedcomm.analysis.pooling import random_effects
from pedcomm.cli import app
from tests import sparse_cases as sc

runner = CliRunner()


def require_r() -> str:
    found = shutil.which("Rscript")
    ok = found and subprocess.run([found, "-e", "library(brglm2)"], capture_output=True).returncode == 0
    if not ok:
        reason = "Rscript with brglm2 is not installed (Debian's r-base-core r-cran-brglm2; `make setup` installs them)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return str(found)


def brglm2(X: np.ndarray, y: np.ndarray, tmp_path) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and standard errors of R brglm2's mean bias reduction (= Firth for the logit)."""
    rscript = require_r()
    data = tmp_path / "d.csv"
    pd.DataFrame(np.column_stack([y, X]), columns=["y", *[f"x{j}" for j in range(X.shape[1])]]).to_csv(data, index=False)
    code = (f'library(brglm2); d <- read.csv("{data}"); X <- as.matrix(d[, -1]); '
            'm <- glm(d$y ~ X - 1, family = binomial, method = "brglmFit", type = "AS_mean", epsilon = 1e-12, maxit = 1000); '
            'cat(format(coef(m), digits = 17), "\\n"); cat(format(sqrt(diag(vcov(m))), digits = 17), "\\n")')
    out = subprocess.run([rscript, "-e", code], capture_output=True, text=True, check=True).stdout.split("\n")
    return np.array(out[0].split(), dtype=float), np.array(out[1].split(), dtype=float)


def separated_data(seed: int, n: int = 80):
    rng = np.random.default_rng(seed)
    x1 = (rng.random(n) < 0.2).astype(float)
    x2 = rng.normal(size=n)
    x3 = (rng.random(n) < 0.5).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 0.8 * x2 + 0.5 * x3)))).astype(float)
    y[x1 == 1] = 0.0  # quasi-complete separation of x1
    return np.column_stack([np.ones(n), x1, x2, x3]), y


# -- the estimators against independent implementations -------------------------------------------

@pytest.mark.parametrize("seed", [1, 2, 3])
def test_firth_equals_brglm2_and_firthmodels(seed, tmp_path):
    from firthmodels import FirthLogisticRegression

    X, y = separated_data(seed)
    mine = firth.firth_logit(X, y)
    coef, se = brglm2(X, y, tmp_path)
    assert np.max(np.abs(mine.params - coef)) < 1e-6
    assert np.max(np.abs(np.sqrt(np.diag(mine.cov)) - se)) < 1e-6
    other = FirthLogisticRegression(max_iter=500, gtol=1e-10, xtol=1e-10).fit(X[:, 1:], y)
    assert np.max(np.abs(mine.params - np.r_[other.intercept_, other.coef_])) < 1e-6
    # profile penalized-likelihood intervals and penalized likelihood-ratio p-values (firthmodels: Venzon-Moolgavkar)
    limits = other.conf_int(method="pl", tol=1e-9, max_iter=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its ConvergenceWarning where a refit stops at max_iter
        other.lrt()
    compared = 0
    for j in (1, 2, 3):
        lo, hi, p = firth.profile_interval(X, y, mine, j)
        assert abs(lo - limits[j - 1, 0]) < 1e-5 and abs(hi - limits[j - 1, 1]) < 1e-5
        if np.isfinite(other.lrt_pvalues_[j - 1]):  # firthmodels leaves a p-value NaN when its refit stops at max_iter
            assert abs(p - other.lrt_pvalues_[j - 1]) < 1e-6
            compared += 1
    assert compared >= 1


def test_bias_reduced_gee_is_firth_under_independence_and_gee_without_the_adjustment(tmp_path):
    import statsmodels.api as sm

    X, y = separated_data(4, 120)
    groups = np.repeat(np.arange(30), 4)
    ind = firth.br_gee(X, y, groups, "independence")
    coef, _ = brglm2(X, y, tmp_path)
    assert np.max(np.abs(ind.params - coef)) < 1e-6
    Xo, yo = separated_data(5, 120)
    yo[:10] = 1.0  # no longer separated: the ordinary GEE exists
    plain = firth.br_gee(Xo, yo, groups, "exchangeable", adjust=False)
    ref = sm.GEE(yo, Xo, groups=groups, family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable()).fit()
    assert np.max(np.abs(plain.params - ref.params)) < 1e-6
    assert abs(plain.alpha - float(ref.model.cov_struct.dep_params)) < 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_separation_detection_agrees_with_firthmodels(seed):
    from firthmodels import detect_separation

    rng = np.random.default_rng(seed)
    n = 40
    X = np.column_stack([np.ones(n), (rng.random(n) < 0.15).astype(float), rng.normal(size=n)])
    y = (rng.random(n) < 0.3).astype(float)
    if seed % 2:
        y[X[:, 1] == 1] = 1.0
    if seed == 4:
        y = (X[:, 2] > 0.3).astype(float)  # complete separation by a continuous covariate
    mine = diagnostics.separated_terms(pd.DataFrame(X, columns=["const", "a", "b"]), y)
    other = detect_separation(X[:, 1:], y)
    assert bool(mine) == bool(other.separation)


def test_constant_and_collinear_terms_are_named():
    X = pd.DataFrame({"const": 1.0, "a": [0, 1, 0, 1, 1, 0.0], "b": 0.0, "c": [1, 0, 1, 0, 0, 1.0]})
    found = diagnostics.not_estimable(X)
    assert set(found) == {"b", "c"}
    assert "constant (0 for all 6" in found["b"] and "const, a" in found["c"]


def test_effective_number_of_clusters_is_kish():
    ids = ["big"] * 50 + [f"c{i}" for i in range(50)]
    sizes = diagnostics.cluster_sizes(ids)
    assert sizes.clusters == 51 and sizes.largest_share == 0.5
    assert sizes.effective == pytest.approx(100 ** 2 / (50 ** 2 + 50))


def test_kappa_at_perfect_agreement_is_the_donner_eliasziw_interval():
    k = cohen_kappa([[4, 0], [0, 24]])
    assert k.kappa == 1.0 and k.upper == 1.0 and "Donner" in k.method
    # independent: the goodness-of-fit chi-square of the common-correlation model on a fine grid
    pi = (2 * 4 + 0) / 56
    s = pi * (1 - pi)
    grid = np.linspace(0.0, 1.0, 200001)[:-1]
    chi = np.array([stats.chisquare([4, 1e-300, 24], 28 * np.array([pi * pi + s * g, 2 * s * (1 - g),
                                                                        (1 - pi) ** 2 + s * g]))[0] for g in grid[::100]])
    inside = grid[::100][chi <= stats.chi2.ppf(0.95, 1)]
    assert abs(k.lower - inside.min()) < 1e-3
    assert 0.5 < k.lower < 0.65  # 0 disagreements in 28 are compatible with kappa near 0.6
    none = cohen_kappa([[0, 0], [5, 23]])  # the first rater never said yes
    assert none.kappa == 0.0 and np.isnan(none.lower) and "no interval" in none.method
    rows = cohen_kappa_2x2([4, 0], [0, 0], [0, 5], [24, 23])
    assert rows["degenerate"].str.len().gt(0).all() and np.isnan(rows["lower"][1])


def test_hksj_interval_is_written_out_and_never_narrower_than_the_usual_one():
    from statsmodels.stats.meta_analysis import combine_effects

    y, v = np.array([-0.2, 0.9]), np.array([0.09, 0.16])
    res = random_effects(y, v)
    tau2 = max(combine_effects(y, v, method_re="iterated").tau2, 0.0)
    w = 1 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - mu) ** 2) / (len(y) - 1)
    se = np.sqrt(max(1.0, q) / np.sum(w))
    t = stats.t.ppf(0.975, 1)
    assert res.lower == pytest.approx(mu - t * se) and res.upper == pytest.approx(mu + t * se)
    assert res.upper - res.lower >= 2 * 1.959964 * np.sqrt(1 / np.sum(w))
    close = random_effects([0.30, 0.31], [0.04, 0.05])  # q far below 1: q* = 1 keeps it honest
    assert close.se == pytest.approx(np.sqrt(1 / np.sum(1 / (np.array([0.04, 0.05]) + close.tau2))))


# -- the six cases of the issue, built from the shipped example -------------------------------------

def _reproduce(pkg, out, *options) -> tuple[str, pd.DataFrame]:
    r = runner.invoke(app, ["reproduce", str(pkg / "datapackage.json"), "--out", str(out), "--force", *options])
    assert r.exit_code == 0, r.output
    assert "RuntimeWarning" not in r.output and "LinAlgError" not in r.output and "Traceback" not in r.output
    return r.output, pd.read_csv(out / "survey_models.csv")


def test_case1_separation_of_years_20_plus_gives_a_marked_firth_fit_equal_to_brglm2(tmp_path):
    pkg = sc.copy_shipped(tmp_path / "pkg")
    # the clinicians with 20+ years and a clinician-reported challenge, read with the csv module
    with open(pkg / "data" / "survey_clinicians.csv", newline="") as f:
        senior = {r["clinician_id"] for r in csv.DictReader(f) if r["years_in_practice"] and int(r["years_in_practice"]) >= 20}
    with open(pkg / "data" / "survey_relationships.csv", newline="") as f:
        challenged = {r["clinician_id"] for r in csv.DictReader(f) if r["clinician_challenging"] == "true"}
    assert len(senior & challenged) >= 5  # enough relationships for the separation to matter
    assert sorted(sc.no_senior_challenge(pkg)) == sorted(senior & challenged)
    output, models = _reproduce(pkg, tmp_path / "gee")
    assert "MODEL_SEPARATION" in output
    row = models[(models["model"] == "clinician") & (models["term"] == "years_20_plus")].iloc[0]
    assert row["estimator"].startswith("bias-reduced") and "MODEL_SEPARATION" in row["status"]
    assert -6 < row["log_or"] < 0 and row["ci_lower"] > 0 and row["ci_upper"] > 1 and row["p_value"] > 0.01
    assert "\\[separated\\]" in (tmp_path / "gee" / "survey_models.md").read_text()  # Markdown escapes the brackets
    # maximum likelihood: the Firth fit is brglm2's on the same design, the interval a profile one
    output, models = _reproduce(pkg, tmp_path / "glm", "--method", "glm_cluster")
    row = models[(models["model"] == "clinician") & (models["term"] == "years_20_plus")].iloc[0]
    assert row["ci_method"].startswith("profile penalized likelihood")
    from pedcomm.studies.survey.analysis.design import analysis_frame, design
    from pedcomm.validation.run import validate

    X, y, _ = design(analysis_frame(validate(pkg).tables), "clinician")
    coef, _ = brglm2(X.to_numpy(), y.to_numpy(), tmp_path)
    mine = models[models["model"] == "clinician"].set_index("term")["log_or"]
    assert np.max(np.abs(mine[list(X.columns)].to_numpy() - coef)) < 1e-5  # the CSV rounds to 6 decimals


def test_case2_black_parents_without_challenge_and_a_constant_covariate(tmp_path):
    pkg = sc.copy_shipped(tmp_path / "pkg")
    sc.calm_parents(pkg, sc.black_parents(pkg))
    output, models = _reproduce(pkg, tmp_path / "out")
    assert "MODEL_SEPARATION" in output and "race_black" in output and "Eigenvalues" not in output
    row = models[(models["model"] == "parent") & (models["term"] == "race_black")].iloc[0]
    assert np.isfinite(row["odds_ratio"]) and 0 < row["ci_lower"] < row["odds_ratio"] < row["ci_upper"]
    same = sc.copy_shipped(tmp_path / "same")
    sc.one_race(same)
    output, models = _reproduce(same, tmp_path / "same_out")
    assert "MODEL_TERM_NOT_ESTIMABLE" in output and "race_black" in output and "Singular" not in output
    row = models[(models["model"] == "parent") & (models["term"] == "race_black")].iloc[0]
    assert np.isnan(row["odds_ratio"]) and "constant" in row["status"]


def test_case3_no_parent_event_gives_no_parent_model(tmp_path):
    pkg = sc.copy_shipped(tmp_path / "pkg")
    sc.calm_parents(pkg, sc.every_relationship(pkg))
    output, models = _reproduce(pkg, tmp_path / "out")
    assert "MODEL_NO_EVENTS" in output
    parent = models[models["model"] == "parent"]
    assert parent["odds_ratio"].isna().all() and parent["status"].str.contains("MODEL_NO_EVENTS").all()
    assert models[models["model"] == "clinician"]["odds_ratio"].notna().all()


def test_case4_kappa_in_the_coding_summary_and_the_survey_agreement_table():
    from pedcomm.analysis import clustered
    from pedcomm.analysis.suppress import CountTable
    from pedcomm.studies.coding.summary import agreement

    table = CountTable("theme_agreement", "t", "discussions", ["perfect", "never"],
                       ["both", "primary only", "second only", "neither"], np.array([[14, 0, 0, 24], [0, 0, 12, 26]]),
                       row_totals=True, column_totals=True, total=True)
    shared = {a["name"]: a for a in agreement(table, 11, False)}
    assert shared["perfect"]["status"] == "shared" and "se" not in shared["perfect"]  # meta gets no zero SE
    assert shared["never"]["status"] == "withheld" and "AGREEMENT_DEGENERATE" in shared["never"]["reason"]
    first = np.array([True] * 4 + [False] * 24)
    est = clustered.kappa(first, first.copy(), [np.arange(28) // 2], 0.95)
    assert est.estimate == 1.0 and np.isnan(est.lower) and "no clustered interval" in est.note


def test_case5_two_sites_get_hksj_intervals_and_a_caution(tmp_path):
    from pedcomm.commands.examples import run_example
    from pedcomm.validation.conformance import SUITE

    report = run_example(SUITE / "files/sites/meta-few-sites.yaml", tmp_path)
    assert "META_FEW_SITES" in report.codes()
    est = pd.read_csv(tmp_path / "meta" / "meta_models.csv").iloc[0]
    t = stats.t.ppf(0.975, 1)
    assert np.log(est["ci_upper"]) - est["log_or"] == pytest.approx(t * est["se"], rel=1e-4)
    assert "Hartung-Knapp" in est["ci_method"] and "META_FEW_SITES" in est["caution"]


def test_case6_a_dominant_clinician_is_warned(tmp_path):
    pkg = sc.copy_shipped(tmp_path / "pkg")
    sc.dominant_clinician(pkg)
    output, models = _reproduce(pkg, tmp_path / "out")
    assert "CLUSTERS_DOMINANT" in output and "effective number 3." in output


def test_meta_pools_a_separated_site_only_as_its_firth_fit_and_says_so(synthetic_sites, summaries, tmp_path):
    site = tmp_path / "SITE1"
    shutil.copytree(synthetic_sites[0], site)
    sc.calm_parents(site, sc.senior_clinicians(site), "clinician")
    r = runner.invoke(app, ["summarize", str(site), "--out", str(tmp_path / "s1.json")])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "s1.json").read_text())
    model = next(m for m in doc["models"] if m["name"] == "clinician")
    assert model["estimator"] == "bias_reduced" and model["separated"] == ["years_20_plus"]
    assert abs(model["coef"][model["terms"].index("years_20_plus")]) < 10
    r = runner.invoke(app, ["meta", *map(str, summaries[0][1:]), str(tmp_path / "s1.json"), "--out", str(tmp_path / "m")])
    assert r.exit_code == 0, r.output
    assert "META_SITE_WARNING" in r.output and "MODEL_SEPARATION" in r.output
    sites = pd.read_csv(tmp_path / "m" / "site_estimates.csv")
    flagged = sites[(sites["site"] == "SITE1") & (sites["term"] == "years_20_plus")].iloc[0]
    assert flagged["estimator"] == "bias_reduced" and "MODEL_SEPARATION" in flagged["flag"]


def test_guarded_fit_refuses_with_codes_and_no_warning_on_screen(capfd):
    X = pd.DataFrame({"const": 1.0, "a": [0.0, 1.0] * 20})
    fit = fit_guarded(X, np.zeros(40), pd.Series(np.arange(40) % 20, name="clinician_id"), model="parent")
    assert not fit.fitted and {f.code for f in fit.findings} == {"MODEL_NO_EVENTS"}
    assert capfd.readouterr().err == ""


def test_one_stage_fit_is_guarded_like_every_shown_model(tmp_path):
    """meta --one-stage fits the pooled rows through fit_guarded: a separated term is the Firth
    estimate (equal to brglm2 on the same design), marked, never a log odds ratio of -28; a model
    without events gives NaN with its MODEL_NO_EVENTS finding, not an exception."""
    from pedcomm.studies.survey.analysis.design import analysis_frame, design
    from pedcomm.studies.survey.onestage import one_stage
    from pedcomm.validation.run import validate

    pkg = sc.copy_shipped(tmp_path / "pkg")
    sc.no_senior_challenge(pkg)
    tables = validate(pkg).tables
    one = one_stage(tables, method="glm_cluster").set_index(["model", "term"])
    row = one.loc[("clinician", "years_20_plus")]
    assert row["status"] == "bias-reduced (separated)"
    X, y, groups = design(analysis_frame(tables), "clinician")
    sites = pd.get_dummies(groups["site_id"].astype(str), dtype="float64").iloc[:, 1:]  # the example's two sites
    Xs = pd.concat([X, sites.set_index(X.index)], axis=1)
    coef, _ = brglm2(Xs.to_numpy(), y.to_numpy(), tmp_path)
    assert abs(row["log_or"] - coef[list(Xs.columns).index("years_20_plus")]) < 1e-6
    assert "MODEL_SEPARATION" in {f.code for f in one.attrs["findings"]}

    calm = sc.copy_shipped(tmp_path / "calm")
    sc.calm_parents(calm, sc.every_relationship(calm))
    one = one_stage(validate(calm).tables)
    parent = one[one["model"] == "parent"]
    assert parent["log_or"].isna().all() and (parent["status"] == "not estimated").all()
    assert one[one["model"] == "clinician"]["log_or"].notna().all()
    assert "MODEL_NO_EVENTS" in {f.code for f in one.attrs["findings"]}
