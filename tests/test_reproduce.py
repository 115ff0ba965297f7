"""`pedcomm reproduce` on the shipped SYNTHETIC package: run twice per session, then checked
against validation/targets.csv and against computations made here from the raw CSV files."""

from __future__ import annotations

import csv
import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pedcomm import __version__
from pedcomm.cli import app
from pedcomm.studies.survey.analysis.design import config

from .conftest import REPO

TABLES = ["survey_characteristics", "survey_prevalence", "survey_agreement", "survey_models",
          "survey_sensitivity", "survey_strategies", "comparison", "comparison_odds_ratios"]
runner = CliRunner()


def run_cli(*args):
    return runner.invoke(app, ["reproduce", *map(str, args)])


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """Two default runs on the shipped package (default PATH), into two folders."""
    base = tmp_path_factory.mktemp("reproduce")
    results = [run_cli("--out", base / name) for name in ("first", "second")]
    return base / "first", base / "second", results


@pytest.fixture(scope="session")
def out(runs):
    return runs[0]


def published_targets(study="survey") -> list[dict]:
    with open(REPO / "validation" / "targets.csv", newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["study"] == study]


def at(value, decimals) -> str:
    return str(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP))


def read_raw(name: str) -> pd.DataFrame:
    return pd.read_csv(REPO / "data" / f"{name}.csv", dtype=str, keep_default_na=False)


def raw_design(model: str) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """The model's complete-case design, built here from the raw CSV files, independently of
    pedcomm.analysis (the definitions are those of survey.yaml, checked below)."""
    missing = {"", "-7", "-8", "-9"}

    def num(s):
        return pd.to_numeric(s.where(~s.isin(missing)), errors="coerce")

    def flag(cond, known):
        return cond.astype(float).where(known)

    par, cli, rel = read_raw("survey_parents"), read_raw("survey_clinicians"), read_raw("survey_relationships")
    race = par["race_ethnicity"]
    has_race = ~race.isin(missing)
    edu = par["education"]
    p = pd.DataFrame({
        "parent_id": par["parent_id"],
        "parent_male": flag(par["sex"] == "male", ~par["sex"].isin(missing)),
        "race_black": flag(race == "black", has_race),
        "race_hispanic": flag(race == "hispanic", has_race),
        "race_asian_other": flag(race.isin(["asian", "other"]), has_race),
        "hs_or_less": flag(edu.isin(["less_than_high_school", "high_school"]), ~edu.isin(missing)),
        "anxiety": flag(num(par["hads_anxiety"]) >= 8, num(par["hads_anxiety"]).notna()),
        "mixed_messages_common": flag(num(par["mixed_messages"]) >= 4, num(par["mixed_messages"]).notna()),
        "less_pc_transitions": flag(num(par["pc_transitions"]) < 3, num(par["pc_transitions"]).notna()),
    })
    years = num(cli["years_in_practice"])
    c = pd.DataFrame({
        "clinician_id": cli["clinician_id"],
        "years_10_19": flag((years >= 10) & (years <= 19), years.notna()),
        "years_20_plus": flag(years >= 20, years.notna()),
        "clinician_female": flag(cli["sex"] == "female", ~cli["sex"].isin(missing)),
    })
    r = rel[(rel["parent_report"] == "true") & (rel["clinician_report"] == "true")].copy()
    outcome = {"parent": "parent_challenging", "clinician": "clinician_challenging"}[model]
    r["y"] = r[outcome].map({"true": 1.0, "false": 0.0})
    f = r.merge(p, on="parent_id", how="left").merge(c, on="clinician_id", how="left")
    cols = config()["models"][model]["covariates"]
    f = f.dropna(subset=["y", *cols]).reset_index(drop=True)
    X = f[cols].astype(float)
    X.insert(0, "const", 1.0)
    return X, f["y"].to_numpy(), f[["parent_id", "clinician_id"]]


def test_survey_yaml_definitions_are_the_ones_the_independent_design_uses():
    d = config()["definitions"]
    assert (d["anxiety"]["rule"], d["mixed_messages_common"]["rule"], d["less_pc_transitions"]["rule"]) == (">= 8", ">= 4", "< 3")
    assert d["hs_or_less"]["rule"] == "in [less_than_high_school, high_school]"
    assert d["years_band"]["bands"] == {"<10": [0, 9], "10-19": [10, 19], ">=20": [20, 99]}
    assert d["race_group"]["groups"] == {"white": ["white"], "black": ["black"], "hispanic": ["hispanic"],
                                         "asian_other": ["asian", "other"]}


def test_runs_succeed_and_write_every_rendering(runs):
    first, second, results = runs
    for res in results:
        assert res.exit_code == 0, res.output
        assert "index.md" in res.output
    for name in TABLES:
        for ext in ("csv", "md", "html", "tex"):
            assert (first / f"{name}.{ext}").stat().st_size > 0, f"{name}.{ext}"
    for name in ("index.md", "forest.png", "forest.svg"):
        assert (first / name).stat().st_size > 0
    assert (first / "forest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")], "temporary folders left behind"


def test_two_runs_are_byte_identical(runs):
    first, second, _ = runs
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        if name.endswith((".csv", ".md")):
            assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # figures and manuscript renderings too (not required, but they are deterministic here)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_comparison_has_every_published_target_at_published_rounding(out):
    comp = pd.read_csv(out / "comparison.csv", dtype=str, keep_default_na=False)
    # machine keys for machines, the target's label and its source for people
    assert list(comp.columns) == ["study", "target", "label", "published", "reproduced", "status", "source"]
    assert not comp.duplicated(["study", "target"]).any()
    comp = comp[comp["study"] == "survey"]
    targets = published_targets()
    assert list(comp["target"]) == [t["target"] for t in targets]
    for t, (_, row) in zip(targets, comp.iterrows()):
        assert (row["label"], row["source"]) == (t["label"], t["source"]) and row["label"]
        assert row["published"] == at(t["published"], t["decimals"])
        decimals = int(t["decimals"])
        assert len(row["reproduced"].partition(".")[2]) == decimals, row["target"]


def test_calibration_counts_exact_and_odds_ratios_within(out):
    comp = pd.read_csv(out / "comparison.csv", dtype=str, keep_default_na=False)
    comp = comp[comp["study"] == "survey"].set_index("target")
    for t in published_targets():
        status = comp.loc[t["target"], "status"]
        if t["statistic"] == "odds ratio":
            assert status in ("exact", "within"), t["target"]
        elif t["note"]:
            assert status in ("exact", "published_inconsistent"), t["target"]
        else:
            assert status == "exact", (t["target"], comp.loc[t["target"]].to_dict())
    # the publication's own inconsistency is reported, not fudged: the reproduced percentage is the
    # raw count over the raw denominator, and differs from the published one
    par = read_raw("survey_parents")
    t = {r["target"]: r for r in published_targets()}["parents.race.other.pct"]
    correct = at(Decimal(100 * int((par["race_ethnicity"] == "other").sum())) / Decimal(len(par)), 1)
    row = comp.loc["parents.race.other.pct"]
    assert (row["published"], row["reproduced"], row["status"]) == (at(t["published"], 1), correct, "published_inconsistent")
    assert row["published"] != row["reproduced"]
    assert comp.loc["parents.race.other.n", "status"] == "exact"


def test_counts_and_percentages_against_raw_files(out):
    par, cli, rel = read_raw("survey_parents"), read_raw("survey_clinicians"), read_raw("survey_relationships")
    comp = pd.read_csv(out / "comparison.csv", dtype=str, keep_default_na=False)
    comp = comp[comp["study"] == "survey"].set_index("target")["reproduced"]
    n = len(par)
    for code in ("asian", "black", "hispanic", "white", "other"):
        k = int((par["race_ethnicity"] == code).sum())
        assert comp[f"parents.race.{code}.n"] == str(k)
        assert comp[f"parents.race.{code}.pct"] == at(Decimal(100 * k) / Decimal(n), 1)
    assert comp["parents.race.missing.n"] == str(int((par["race_ethnicity"] == "").sum()))
    assert comp["clinicians.role.fellow.n"] == str(int((cli["role"] == "fellow").sum()))
    paired = rel[(rel["parent_report"] == "true") & (rel["clinician_report"] == "true")]
    assert comp["relationships.paired.n"] == str(len(paired))
    both = int(((paired["parent_challenging"] == "true") & (paired["clinician_challenging"] == "true")).sum())
    assert comp["challenging.both.pct"] == at(Decimal(100 * both) / Decimal(len(paired)), 1)
    # the 2x2 and kappa in the agreement table
    agree = pd.read_csv(out / "survey_agreement.csv").set_index("key")
    pc, cc = paired["parent_challenging"] == "true", paired["clinician_challenging"] == "true"
    a, b, c, d = (int(x.sum()) for x in (pc & cc, pc & ~cc, ~pc & cc, ~pc & ~cc))
    assert [int(agree.loc[k, "n"]) for k in ("both", "parent_only", "clinician_only", "neither")] == [a, b, c, d]
    N = a + b + c + d
    po, pe = (a + d) / N, ((a + b) * (a + c) + (c + d) * (b + d)) / N**2
    assert agree.loc["kappa", "value"] == pytest.approx((po - pe) / (1 - pe), abs=1e-6)
    assert agree.loc["mcnemar", "value"] == pytest.approx((abs(b - c) - 1) ** 2 / (b + c), abs=1e-6)
    # Wilson CI for prevalence, from the formula
    prev = pd.read_csv(out / "survey_prevalence.csv").set_index("key")
    z, k = 1.959963984540054, both
    centre = (k + z * z / 2) / (N + z * z)
    half = z * np.sqrt(N) / (N + z * z) * np.sqrt(k / N * (1 - k / N) + z * z / (4 * N))
    assert prev.loc["challenging.both", "ci_lower"] == pytest.approx(100 * (centre - half), abs=1e-5)
    assert prev.loc["challenging.both", "ci_upper"] == pytest.approx(100 * (centre + half), abs=1e-5)


def test_default_gee_models_against_a_fit_on_the_raw_design(out):
    """Estimates: statsmodels' GEE on the independent design. Standard errors (default since issue 15:
    two-way clustered by clinician and parent, each term bias-reduced): the sandwich written out in
    tests/test_models.py from statsmodels' estimates and working correlation."""
    import statsmodels.api as sm

    from .independent import two_way_by_hand

    models = pd.read_csv(out / "survey_models.csv")
    for name in ("parent", "clinician"):
        X, y, ids = raw_design(name)
        codes = pd.factorize(ids["clinician_id"])[0]
        res = sm.GEE(y, X, groups=codes, family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable()).fit(maxiter=100)
        got = models[models["model"] == name].set_index("term")
        np.testing.assert_allclose(got.loc[X.columns, "log_or"], res.params, atol=1e-6)
        parents = pd.factorize(ids["parent_id"])[0]
        cov = two_way_by_hand(X.to_numpy(), y, codes, np.asarray(res.params), float(res.model.cov_struct.dep_params),
                              codes, parents, bias_reduced=True)
        np.testing.assert_allclose(got.loc[X.columns, "se"], np.sqrt(np.diag(cov)), atol=1e-6)
        assert (got["n_relationships"] == len(y)).all()
        assert (got["n_parents"] == ids["parent_id"].nunique()).all()
        assert (got["n_clinicians"] == ids["clinician_id"].nunique()).all()


def test_glm_models_equal_maximum_likelihood_on_the_raw_design(shipped):
    """The cluster-robust GLM option against scipy's maximum likelihood on the independent design."""
    from pedcomm.studies.survey.analysis.design import analysis_frame
    from pedcomm.studies.survey.analysis.models import ModelSettings, fit

    from .independent import ml_logit

    frame = analysis_frame(shipped.tables)
    for name in ("parent", "clinician"):
        X, y, _ = raw_design(name)
        m = fit(frame, name, ModelSettings.from_config("glm_cluster", "parent"))
        assert m.terms == list(X.columns)
        np.testing.assert_allclose(m.coef, ml_logit(X.to_numpy(), y), atol=1e-6)


def test_characteristics_count_missing_values(shipped):
    """Blank (missing) cells are counted in a 'Missing' row and kept in the denominators."""
    from pedcomm.studies.survey.analysis.characteristics import characteristics

    t = {k: v.copy() for k, v in shipped.tables.items()}
    t["survey_clinicians"].loc[t["survey_clinicians"].index[:3], "years_in_practice"] = pd.NA
    t["survey_children"].loc[t["survey_children"].index[:2], "age_years"] = pd.NA
    t["survey_clinicians"].loc[t["survey_clinicians"].index[:1], "sex"] = pd.NA
    table, values = characteristics(t)
    n_clin = len(t["survey_clinicians"])
    assert values["clinicians.years.missing.n"].value == 3
    assert values["children.age.missing.n"].value == 2
    assert values["clinicians.sex.missing.n"].value == 1
    years = table.data[(table.data["group"] == "Clinicians") & (table.data["characteristic"] == "Years in practice")]
    assert years["n"].sum() == n_clin and (years["denominator"] == n_clin).all()


def test_index_records_inputs_tool_settings_and_assumptions(out):
    index = (out / "index.md").read_text(encoding="utf-8")
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    files = ["datapackage.json"] + [r["path"] for r in descriptor["resources"]]
    manifest = "".join(f"{hashlib.sha256((REPO / f).read_bytes()).hexdigest()}  {f}\n" for f in sorted(files))
    assert f"sha256:{hashlib.sha256(manifest.encode()).hexdigest()}" in index
    for f in files:
        assert hashlib.sha256((REPO / f).read_bytes()).hexdigest() in index
    assert f"pedcomm {__version__}" in index
    assert "method: gee (survey.yaml default)" in index
    assert "cluster: clinician_id+parent_id (survey.yaml default)" in index  # two-way since issue 15
    assert "correction: bias_reduced (survey.yaml default)" in index
    assert "working correlation: exchangeable" in index
    cfg = config()
    for d in [*cfg["definitions"].values(), *cfg["models"].values(), cfg["population"], cfg["method"],
              cfg["uncertainty"], cfg["sensitivity"]]:
        assert d["assumption"] in index
    # what a comparison on synthetic data can and cannot show (issue 15)
    assert "agreement with the published numbers is therefore by construction" in index
    assert "simulation study" in index and "does not declare itself synthetic" not in index
    for name in TABLES:
        assert f"({name}.csv)" in index and f"({name}.html)" in index
    assert "published_inconsistent" in index and "Wilson" in (out / "survey_prevalence.md").read_text()
    assert "SYNTHETIC" in index


def test_tables_do_not_list_participants(out):
    for name in TABLES:
        text = (out / f"{name}.csv").read_text()
        assert "P0001" not in text and "R00001" not in text and "K001" not in text


def test_method_and_cluster_options_are_written(tmp_path):
    res = run_cli("--out", tmp_path / "o", "--method", "glm_cluster", "--cluster", "parent")
    assert res.exit_code == 0, res.output
    index = (tmp_path / "o" / "index.md").read_text()
    assert "method: glm_cluster (chosen with --method)" in index
    assert "cluster: parent_id (chosen with --cluster)" in index
    assert "not applicable (GLM)" in index
    models = (tmp_path / "o" / "survey_models.md").read_text()
    assert "clustered by parent" in models and "parent_id" not in models  # in words for people


def test_bad_option_exits_2(tmp_path):
    res = run_cli("--out", tmp_path / "o", "--method", "ols")
    assert res.exit_code == 2 and "unknown method" in res.output
    assert not (tmp_path / "o").exists()


def test_missing_package_exits_2_with_summary_and_writes_nothing(tmp_path):
    res = run_cli(tmp_path / "nowhere", "--out", tmp_path / "o")
    assert res.exit_code == 2
    assert "PACKAGE_UNREADABLE" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_invalid_package_exits_1_with_summary_and_writes_nothing(tmp_path, copy_of_shipped):
    pkg = copy_of_shipped
    path = pkg / "data" / "survey_parents.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(",female,", ",femme,").replace(",male,", ",femme,")
    path.write_text("".join(lines), encoding="utf-8")
    res = run_cli(pkg, "--out", tmp_path / "o")
    assert res.exit_code == 1, res.output
    assert "INVALID" in res.output and "Nothing was written" in res.output
    assert not (tmp_path / "o").exists()


def test_existing_output_needs_force(tmp_path, runs):
    target = tmp_path / "o"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    res = run_cli("--out", target)
    assert res.exit_code == 2 and "--force" in res.output
    assert (target / "keep.txt").read_text() == "mine"


def test_failure_leaves_no_output(tmp_path, monkeypatch):
    from pedcomm.reproduce import run as mod

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(mod, "forest_plot", boom)
    res = run_cli("--out", tmp_path / "o")
    assert res.exit_code == 1 and "disk full" in res.output and "Nothing was written" in res.output
    assert list(tmp_path.iterdir()) == []


def test_a_study_absent_from_the_package_is_skipped(tmp_path, monkeypatch):
    """A second study plugs in through its record; one whose resources are absent is skipped."""
    import pedcomm.studies
    from pedcomm.reproduce import run as mod
    from pedcomm.studies import Study, get

    called = []
    absent = Study(name="absent_study", prefix="absent_", title="A study not in the package",
                   reproduce=lambda t, o: called.append(1))
    monkeypatch.setattr(pedcomm.studies, "registered", lambda: (get("survey"), absent))
    outcome = mod.reproduce(REPO / "datapackage.json", tmp_path / "o")
    assert outcome.skipped == ["absent_study"] and not called
    assert "A study not in the package: its resources are not in the package." in (tmp_path / "o" / "index.md").read_text()
    monkeypatch.setattr(pedcomm.studies, "registered", lambda: (absent,))
    with pytest.raises(mod.NothingToReproduce):
        mod.reproduce(REPO / "datapackage.json", tmp_path / "p")
    assert not (tmp_path / "p").exists()


# -- issue 15: clustered intervals, options, refusals, sensitivity, p-values, wording ----------------

def test_cluster_site_on_two_sites_is_refused_with_a_code_and_writes_nothing(tmp_path):
    res = run_cli("--out", tmp_path / "o", "--cluster", "site")
    assert res.exit_code == 1, res.output
    assert "CLUSTERS_TOO_FEW" in res.output and "leaves 2 clusters" in res.output
    assert "Nothing was written" in res.output or "nothing was written" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "o").exists()


def test_bad_correction_exits_2(tmp_path):
    res = run_cli("--out", tmp_path / "o", "--correction", "hc3")
    assert res.exit_code == 2 and "unknown correction" in res.output and not (tmp_path / "o").exists()


def test_correction_and_one_way_options_are_written(tmp_path):
    res = run_cli("--out", tmp_path / "o", "--cluster", "clinician", "--correction", "none")
    assert res.exit_code == 0, res.output
    index = (tmp_path / "o" / "index.md").read_text()
    assert "correction: none (chosen with --correction)" in index and "cluster: clinician_id (chosen with --cluster)" in index
    models = pd.read_csv(tmp_path / "o" / "survey_models.csv")
    assert (models["ci_method"] == "Wald, GEE, uncorrected sandwich clustered by clinician_id").all()
    # the old default: statsmodels' robust GEE standard errors on the independent raw design
    import statsmodels.api as sm

    X, y, ids = raw_design("clinician")
    fit = sm.GEE(y, X, groups=pd.factorize(ids["clinician_id"])[0], family=sm.families.Binomial(),
                 cov_struct=sm.cov_struct.Exchangeable()).fit(maxiter=100)
    got = models[models["model"] == "clinician"].set_index("term")
    np.testing.assert_allclose(got.loc[X.columns, "se"], fit.bse, atol=1e-6)


def raw_pairs():
    rel = read_raw("survey_relationships")
    paired = rel[(rel["parent_report"] == "true") & (rel["clinician_report"] == "true")]
    return paired[(paired["parent_challenging"] != "") & (paired["clinician_challenging"] != "")]


def test_prevalence_clustered_se_equals_statsmodels_two_way_cluster_robust_mean(out):
    """A prevalence is the mean of a 0/1 flag: OLS on a constant with statsmodels' two-way
    cluster-robust covariance (clinician, parent) gives its clustered standard error."""
    import statsmodels.api as sm

    prev = pd.read_csv(out / "survey_prevalence.csv").set_index("key")
    paired = raw_pairs()
    for key, col in (("challenging.clinician", "clinician_challenging"), ("challenging.parent", "parent_challenging")):
        y = (paired[col] == "true").astype(float).to_numpy()
        groups = np.column_stack([pd.factorize(paired["clinician_id"])[0], pd.factorize(paired["parent_id"])[0]])
        fit = sm.OLS(y, np.ones((len(y), 1))).fit(cov_type="cluster", cov_kwds={"groups": groups})
        assert prev.loc[key, "se_clustered"] == pytest.approx(100 * float(fit.bse[0]), abs=1e-5)
        assert prev.loc[key, "se_naive"] == pytest.approx(100 * np.sqrt(y.mean() * (1 - y.mean()) / len(y)), abs=1e-5)
        assert prev.loc[key, "clustered_ci_lower"] < prev.loc[key, "percent"] < prev.loc[key, "clustered_ci_upper"]
    assert prev["clustered_ci_method"].str.contains("clustered by clinician_id and parent_id").all()
    assert prev["ci_method"].str.startswith("Wilson").all()
    md = (out / "survey_prevalence.md").read_text()
    assert "(treating relationships as independent)" in md and "(clustered)" in md and "clinicians" in md


def test_agreement_has_clustered_mcnemar_and_intervals_beside_the_naive_ones(out):
    agree = pd.read_csv(out / "survey_agreement.csv").set_index("key")
    paired = raw_pairs()
    p, c = (paired["parent_challenging"] == "true").to_numpy(), (paired["clinician_challenging"] == "true").to_numpy()
    d = (p & ~c).astype(float) - (~p & c).astype(float)
    cli, par = paired["clinician_id"].to_numpy(), paired["parent_id"].to_numpy()
    pair = np.array([f"{a}|{b}" for a, b in zip(cli, par)])

    def v(ids):  # Durkalski: sum over clusters of (b_g - c_g)^2
        return sum(d[ids == g].sum() ** 2 for g in np.unique(ids))

    x2 = d.sum() ** 2 / (v(cli) + v(par) - v(pair))
    assert agree.loc["mcnemar_clustered", "value"] == pytest.approx(x2, abs=1e-6)
    assert agree.loc["kappa", "clustered_ci_lower"] < agree.loc["kappa", "value"] < agree.loc["kappa", "clustered_ci_upper"]
    assert (agree.loc["kappa", "clustered_ci_upper"] - agree.loc["kappa", "clustered_ci_lower"]
            >= 0.9 * (agree.loc["kappa", "ci_upper"] - agree.loc["kappa", "ci_lower"]))
    assert agree.loc["difference", "value"] == pytest.approx(100 * (c.mean() - p.mean()), abs=1e-6)
    for key in ("kappa", "difference", "mcnemar_clustered"):
        assert "clustered by clinician_id and parent_id" in agree.loc[key, "clustered_method"] or \
            "clinician_id and parent_id" in agree.loc[key, "clustered_method"]


def test_sensitivity_variants_against_fits_on_the_raw_design(out, shipped):
    """Each variant's odds ratios against statsmodels/scipy on designs built here from the raw files."""
    import statsmodels.api as sm

    from .independent import ml_logit

    sens = pd.read_csv(out / "survey_sensitivity.csv", keep_default_na=False, na_values=[""])
    variants = {v["id"] for v in config()["sensitivity"]["variants"]}
    assert set(sens["variant"]) == {"default"} | variants

    def gee(X, y, ids):
        return sm.GEE(y, X, groups=pd.factorize(ids["clinician_id"])[0], family=sm.families.Binomial(),
                      cov_struct=sm.cov_struct.Exchangeable()).fit(maxiter=100).params

    def got(variant, model):
        return sens[(sens["variant"] == variant) & (sens["model"] == model)].set_index("term")["odds_ratio"]

    X, y, ids = raw_design("parent")
    np.testing.assert_allclose(got("default", "parent"), np.exp(gee(X, y, ids))[1:], rtol=1e-5)
    np.testing.assert_allclose(got("glm", "parent"), np.exp(ml_logit(X.to_numpy(), y))[1:], rtol=1e-5)
    # anxiety as HADS-A >= 11, from the raw parents file
    par = read_raw("survey_parents").set_index("parent_id")
    hads = pd.to_numeric(par["hads_anxiety"].where(~par["hads_anxiety"].isin(["", "-7", "-8", "-9"])))
    X11 = X.copy()
    X11["anxiety"] = (hads.loc[ids["parent_id"]].to_numpy() >= 11).astype(float)
    np.testing.assert_allclose(got("anxiety_hads_11", "parent")["anxiety"], np.exp(gee(X11, y, ids)["anxiety"]), rtol=1e-5)
    # Hispanic vs non-Hispanic: one ethnicity term, the race terms left out
    Xh = X.drop(columns=["race_black", "race_asian_other"])
    np.testing.assert_allclose(got("hispanic_vs_non_hispanic", "parent")["race_hispanic"],
                               np.exp(gee(Xh, y, ids)["race_hispanic"]), rtol=1e-5)
    assert "race_black" not in got("hispanic_vs_non_hispanic", "parent").index
    # the parent model on every parent report: more relationships than the paired population
    assert (sens[(sens["variant"] == "all_parent_reports")]["n_relationships"] > 600).all()
    assert set(sens[sens["variant"] == "all_parent_reports"]["model"]) == {"parent"}
    md = (out / "survey_sensitivity.md").read_text()
    assert all(v["label"] in md for v in config()["sensitivity"]["variants"])


def test_every_reproduced_odds_ratio_interval_names_its_method(out):
    ors = pd.read_csv(out / "comparison_odds_ratios.csv")
    models = pd.read_csv(out / "survey_models.csv")
    assert (ors["reproduced_ci_method"] == models["ci_method"].iloc[0]).all()
    assert models["ci_method"].iloc[0] == "Wald, GEE, bias-reduced (Mancl-DeRouen) sandwich clustered by clinician_id and parent_id"
    assert "Reproduced 95% CIs: Wald, GEE, bias-reduced" in (out / "comparison_odds_ratios.md").read_text()
    assert "Estimation (every CI and p-value of this table)" in (out / "survey_models.md").read_text()


def test_p_values_are_never_zero_and_print_as_journals_do(out):
    import re

    for name in ("survey_models", "survey_agreement", "survey_sensitivity"):
        data = pd.read_csv(out / f"{name}.csv")
        for col in [c for c in data.columns if c.endswith("p_value")]:
            assert (data[col].dropna() > 0).all(), (name, col)
    md = (out / "survey_models.md").read_text()
    cells = [line.rstrip(" |").rsplit("|", 1)[-1].strip() for line in md.splitlines()[4:]
             if line.startswith("| ") and not line.startswith("| **")]  # not the row groups' rows
    assert cells and all(re.fullmatch(r"<0\.001|>0\.99|0\.\d{2,3}", c) for c in cells), cells
    assert "0.0 " not in (out / "index.md").read_text()


def test_non_synthetic_input_reads_as_a_replication(tmp_path, copy_of_shipped):
    p = copy_of_shipped / "datapackage.json"
    d = json.loads(p.read_text())
    d["keywords"] = [k for k in d.get("keywords", []) if k != "synthetic data"]
    p.write_text(json.dumps(d, indent=2))
    res = run_cli(copy_of_shipped, "--out", tmp_path / "o")
    assert res.exit_code == 0, res.output
    index = (tmp_path / "o" / "index.md").read_text()
    assert "does not declare itself synthetic" in index and "replication" in index
    assert "by construction" not in index
