"""Site summaries (`pedcomm summarize`) and their meta-analysis (`pedcomm meta`): nothing row-level
leaves a site, small cells are suppressed with their complements, and the two-stage odds ratios
agree with the one-stage ones on the same sites."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pedcomm.cli import app
from pedcomm.analysis.suppress import CountTable, as_dict, published_numbers, single_suppressions, suppress

runner = CliRunner()
THRESHOLD = 11
ID_FIELDS = {"survey_parents": ["parent_id"], "survey_children": ["child_id"], "survey_clinicians": ["clinician_id"],
             "survey_relationships": ["relationship_id"]}
ALLOWED_KEYS = {  # every key a summary may hold: no room for a row-level column
    "format", "formatVersion", "site", "schemaVersion", "modelSpecification", "tool", "name", "version", "standard", "package",
    "descriptorSha256", "study", "settings", "method", "cluster", "correlation", "correction", "scale", "disclosure",
    "threshold",
    "zeros_suppressed", "rule", "overrides", "models", "title", "outcome", "terms", "status", "reason", "coef", "cov",
    "n_relationships", "events", "n_clusters", "warnings", "estimator", "separated", "tables", "unit", "rows", "columns", "cells", "row_totals",
    "column_totals", "total", "suppressed", "primary", "complementary", "notes"}


@pytest.fixture(scope="session")
def meta_out(summaries, pooled_sites, tmp_path_factory):
    out = tmp_path_factory.mktemp("meta") / "meta"
    r = runner.invoke(app, ["meta", *map(str, summaries[0]), "--out", str(out), "--one-stage", str(pooled_sites.out)])
    assert r.exit_code == 0, r.output
    return out


def _keys(obj, found):
    if isinstance(obj, dict):
        found |= set(obj)
        for v in obj.values():
            _keys(v, found)
    elif isinstance(obj, list):
        for v in obj:
            _keys(v, found)
    return found


def _lists(obj):
    if isinstance(obj, list):
        yield obj
        for v in obj:
            yield from _lists(v)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _lists(v)


# -- privacy: every summary file is scanned --------------------------------------------------------

def test_summaries_hold_no_row_level_value(summaries, synthetic_sites):
    files, strict = summaries
    for path, site in [*zip(files, synthetic_sites), (strict, synthetic_sites[0])]:
        text = path.read_text()
        summary = json.loads(text)
        assert _keys(summary, set()) <= ALLOWED_KEYS, _keys(summary, set()) - ALLOWED_KEYS
        for resource, cols in ID_FIELDS.items():
            frame = pd.read_csv(site / "data" / f"{resource}.csv", dtype=str)
            for col in cols:
                leaked = [v for v in frame[col] if f'"{v}"' in text or f"{v}" in text]
                assert not leaked, (path.name, resource, leaked[:3])
        terms = max(len(m["terms"]) for m in summary["models"])
        longest = max(len(x) for x in _lists(summary))
        assert longest <= terms, f"{path.name}: a list of {longest} values (models have {terms} terms)"


def test_no_unsuppressed_small_cell_and_no_lone_suppression(summaries):
    files, strict = summaries
    for path in [*files, strict]:
        summary = json.loads(path.read_text())
        threshold, zeros = summary["disclosure"]["threshold"], summary["disclosure"]["zeros_suppressed"]
        for table in summary["tables"]:
            for where, v in published_numbers(table):
                if v is not None:  # zeros are shown unless --suppress-zeros (as DataSHIELD and CMS do)
                    assert v >= threshold or (v == 0 and not zeros), (path.name, table["name"], where, v)
            assert single_suppressions(table) == [], (path.name, table["name"])
    strict_summary = json.loads(strict.read_text())
    assert strict_summary["disclosure"] == {**strict_summary["disclosure"], "threshold": 20, "zeros_suppressed": True}
    assert all(v is None or v >= 20 for t in strict_summary["tables"] for _, v in published_numbers(t))


def test_models_are_shared_with_covariances_and_counts(summaries):
    for path in summaries[0]:
        summary = json.loads(path.read_text())
        # the survey.yaml defaults (since issue 15: two-way clustering, bias-reduced covariance)
        assert summary["settings"] == {"method": "gee", "cluster": "clinician_id+parent_id", "correlation": "exchangeable",
                                       "correction": "bias_reduced", "scale": "log odds ratio"}
        for m in summary["models"]:
            assert m["status"] == "shared", (path.name, m.get("reason"))
            k = len(m["terms"])
            cov = np.array(m["cov"])
            assert cov.shape == (k, k) and np.allclose(cov, cov.T) and (np.diag(cov) > 0).all()
            assert THRESHOLD <= m["events"] <= m["n_relationships"] - THRESHOLD


# -- suppression ------------------------------------------------------------------------------------

def test_complementary_suppression_in_a_two_by_two_table():
    t = CountTable("t", "t", "relationships", ["a", "b"], ["x", "y"], np.array([[5, 40], [30, 60]]),
                   row_totals=True, column_totals=True, total=True)
    d = as_dict(t)
    # 5 is small; 40 then protects it in its row, 30 in its column, and 60 protects 30 in the second row
    assert d["cells"] == [[None, None], [None, None]]
    assert (d["row_totals"], d["column_totals"], d["total"]) == ([45, 90], [35, 100], 135)
    assert d["suppressed"] == {"primary": 1, "complementary": 3} and single_suppressions(d) == []
    one = CountTable("t", "t", "relationships", ["a", "b"], ["x", "y"], np.array([[5, 40], [30, 60]]), row_totals=True)
    _, hidden, _, _ = suppress(one)
    assert hidden[:2, :2].tolist() == [[True, True], [False, False]]  # rows only: 40 protects 5


def test_distributions_zero_cells_and_complements():
    race = CountTable("r", "r", "parents", ["a", "b", "c", "missing"], ["parents"], np.array([[120], [40], [7], [0]]),
                      column_totals=True)
    d = as_dict(race)
    assert d["cells"] == [[120], [None], [None], [0]] and d["column_totals"] == [167]  # 40 protects 7; the zero is shown
    strict = as_dict(race, zeros=True)
    assert strict["cells"] == [[120], [40], [None], [None]]  # the suppressed zero protects 7
    used = CountTable("s", "s", "relationships", ["x"], ["a", "b"], np.array([[25, 3]]), row_totals=True,
                      denominators=[30, 100])
    assert as_dict(used)["cells"] == [[None, None]]  # 30 - 25 = 5 did not use it: complement too small
    assert as_dict(used)["row_totals"] == [28]


# -- the meta-analysis -------------------------------------------------------------------------------

def test_meta_writes_pooled_odds_ratios_heterogeneity_forest_plots_and_tables(meta_out, summaries):
    est = pd.read_csv(meta_out / "meta_models.csv")
    assert len(est) == 17 and (est["k_sites"] == 4).all()
    assert est["i2"].between(0, 1).all() and (est["tau2"] >= 0).all()
    assert (est["ci_lower"] < est["odds_ratio"]).all() and (est["odds_ratio"] < est["ci_upper"]).all()
    for model in ("parent", "clinician"):
        assert (meta_out / f"forest_{model}.png").stat().st_size > 10_000 and (meta_out / f"forest_{model}.svg").exists()
    pooled = pd.read_csv(meta_out / "pooled_tables.csv")
    sites = [json.loads(p.read_text()) for p in summaries[0]]
    total = pooled[(pooled["table"] == "challenge_agreement") & (pooled["row"] == "total") & (pooled["column"] == "total")]
    assert total["known_sum"].item() == sum(next(t for t in s["tables"] if t["name"] == "challenge_agreement")["total"]
                                            for s in sites)
    assert ((pooled["sites_suppressed"] > 0) == pooled["shown"].str.startswith(">=")).all()
    index = (meta_out / "index.md").read_text()
    assert all(p.name in index for p in summaries[0]) and "sha256" in index
    # heterogeneity p-values: full precision for machines (never 0.0), journal style for people
    assert ((est["p_heterogeneity"] > 0) & (est["p_heterogeneity"] <= 1)).all()
    md = (meta_out / "meta_models.md").read_text()
    rows = [line for line in md.splitlines()[4:] if line.startswith("| ") and not line.startswith("| **")]
    shown = [line.rstrip(" |").rsplit("|", 1)[-1].strip() for line in rows[:len(est)]]
    assert len(shown) == len(est)
    assert all(re.fullmatch(r"<0\.001|>0\.99|0\.\d{2,3}", v) for v in shown), shown


def test_two_stage_odds_ratios_agree_with_the_one_stage_ones(meta_out):
    """The meta-analytic (two-stage) log odds ratios sit beside the one-stage ones (pooled rows, GEE
    clustered by clinician, site as a fixed effect) in one_stage_vs_meta.csv.

    Tolerance, per term: |difference| <= 1.5 standard errors of the one-stage estimate, and the mean
    absolute difference over the 17 terms <= 0.5 SE. Why: both are computed from the same ~1,900
    relationships of 4 sites with the same effects, so they differ only by how sites are weighted
    (random-effects weights vs one pooled fit) and by each site estimating its own working
    correlation and sandwich variance from ~50 clinicians. On 20 seeds of these synthetic sites the
    largest difference was 1.3 SE and the mean at most 0.36 SE (one-stage SEs 0.09 to 0.25 on the
    log scale, so 1.5 SE is an odds ratio within about 15-45%). Two independent studies of this size
    would differ by about 1.4 SE on average; the errors this guards against (a flipped outcome, a
    misaligned term, a variance taken for a standard error, a lost site) give differences of several
    SEs, e.g. a flipped odds ratio of 4.4 is 3 on the log scale, over 20 SEs.
    """
    cmp = pd.read_csv(meta_out / "one_stage_vs_meta.csv")
    assert len(cmp) == 17 and (cmp["n_sites"] == 4).all() and (cmp["k_sites"] == 4).all()
    ratio = (cmp["log_or_meta"] - cmp["log_or_one_stage"]).abs() / cmp["se_one_stage"]
    assert (ratio <= 1.5).all(), cmp.loc[ratio > 1.5, ["model", "term", "difference_in_se"]]
    assert ratio.mean() <= 0.5
    assert np.allclose(cmp["difference_in_se"].abs(), ratio, atol=1e-5)
    md = (meta_out / "one_stage_vs_meta.md").read_text()
    assert "One-stage OR (95% CI)" in md and "Two-stage OR (95% CI)" in md


def test_meta_refuses_incompatible_inputs_and_writes_nothing(summaries, tmp_path):
    files = summaries[0]
    r = runner.invoke(app, ["meta", str(files[0]), str(files[0]), "--out", str(tmp_path / "dup")])
    assert r.exit_code == 1 and "SUMMARY_INCOMPATIBLE" in r.stdout and "appears 2 times" in r.stdout
    assert not (tmp_path / "dup").exists()
    (tmp_path / "bad.json").write_text("{not json")
    r = runner.invoke(app, ["meta", str(files[0]), str(tmp_path / "bad.json"), "--out", str(tmp_path / "bad")])
    assert r.exit_code == 2 and "SUMMARY_UNREADABLE" in r.stdout and not (tmp_path / "bad").exists()


def test_summarize_refuses_an_invalid_package(synthetic_sites, tmp_path):
    import shutil

    site = tmp_path / "site"
    shutil.copytree(synthetic_sites[0], site)
    (site / "data/survey_clinicians.csv").write_text("clinician_id,site_id,role,sex,years_in_practice\n")
    r = runner.invoke(app, ["summarize", str(site), "--out", str(tmp_path / "s.json")])
    assert r.exit_code == 1 and "FOREIGN_KEY" in r.stdout and not (tmp_path / "s.json").exists()


def test_small_sites_withhold_their_models(synthetic_sites):
    from pedcomm.sites.summarize import summarize

    summary = summarize(synthetic_sites[0], threshold=120).summary  # fewer events than the threshold
    assert {m["status"] for m in summary["models"]} == {"withheld"}
    assert all("coef" not in m and "cov" not in m for m in summary["models"])


# -- issue 16: sharing rules that cannot be bypassed by accident ----------------------------------

def test_the_minimum_threshold_is_one_fact_in_code_schema_and_cli(tmp_path, synthetic_sites):
    from pedcomm.sites.summarize import summarize
    from pedcomm.sites.summary_rules import schema
    from pedcomm.analysis.suppress import DEFAULT_THRESHOLD, MAXIMUM_THRESHOLD, MINIMUM_THRESHOLD

    assert MINIMUM_THRESHOLD == 5 and DEFAULT_THRESHOLD == 11
    assert schema()["properties"]["disclosure"]["properties"]["threshold"]["minimum"] == MINIMUM_THRESHOLD
    assert schema()["properties"]["disclosure"]["properties"]["threshold"]["maximum"] == MAXIMUM_THRESHOLD
    with pytest.raises(ValueError, match="at least 5"):
        summarize(synthetic_sites[0], threshold=4)
    r = runner.invoke(app, ["summarize", str(synthetic_sites[0]), "--threshold", "4", "--out", str(tmp_path / "s.json")])
    assert r.exit_code == 2 and "OPTION_INVALID" in r.output and not (tmp_path / "s.json").exists()


def test_every_summary_pedcomm_writes_follows_the_published_schema_and_rules(summaries):
    from jsonschema import Draft202012Validator

    from pedcomm.sites.summarize import FORMAT_VERSION
    from pedcomm.sites.summary_rules import check, schema

    Draft202012Validator.check_schema(schema())
    for path in [*summaries[0], summaries[1]]:
        doc = json.loads(path.read_text())
        assert check(doc) == ([], []), path
        assert doc["modelSpecification"].startswith("sha256:") and doc["formatVersion"] == FORMAT_VERSION == "1.3"


def test_a_summary_below_the_minimum_is_refused_by_meta_even_if_consistent(summaries, tmp_path):
    """A summary re-written by hand with threshold 3 and its small counts: SUMMARY_DISCLOSURE."""
    doc = json.loads(summaries[0][1].read_text())
    doc["disclosure"]["threshold"] = 3
    (tmp_path / "low.json").write_text(json.dumps(doc))
    r = runner.invoke(app, ["meta", str(summaries[0][0]), str(tmp_path / "low.json"), "--out", str(tmp_path / "m")])
    assert r.exit_code == 2 and "SUMMARY_DISCLOSURE" in r.output and not (tmp_path / "m").exists()
