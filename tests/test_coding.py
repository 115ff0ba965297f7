"""The transcript-coding study: shipped data reproduce the published figures with plain pandas,
a coding-only package validates on its own, and its rules catch what they should."""

import json
import shutil
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pedcomm import standard
from pedcomm.validation.identifiers import identifier_kinds
from pedcomm.cli import app
from pedcomm.validation.conformance import SUITE
from pedcomm.studies.coding.synth import generate, per_patient_counts
from pedcomm.standard.targets import value
from pedcomm.validation.run import validate

from .conftest import REPO

CODING = standard.resource_names("coding")


def _read(folder, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / "data" / f"{name}.csv")


@pytest.fixture(scope="module")
def data():
    return {n: _read(REPO, n) for n in CODING}


def test_shipped_data_give_every_published_figure(data):
    p, d = data["coding_patients"], data["coding_discussions"]
    analytic = p[p["analytic_sample"]]
    discussions = d[d["patient_id"].isin(analytic["patient_id"])]
    per_patient = discussions.groupby("patient_id").size()
    k = len(analytic)
    counted = {
        "dyads.enrolled.n": len(p),
        "patients.analytic.n": k,
        "patients.female.n": (analytic["sex"] == "female").sum(),
        "patients.race.white.n": (analytic["race"] == "white").sum(),
        "patients.died.n": analytic["died"].sum(),
        "discussions.n": len(discussions),
        "discussions.minutes": discussions["duration_minutes"].sum(),
        "discussions.per_patient.median": per_patient.median(),
        "discussions.per_patient.min": per_patient.min(),
        "discussions.per_patient.max": per_patient.max(),
        "oncologists.n": discussions["primary_oncologist_id"].nunique(),
        "codebook.codes.n": len(data["coding_codes"]),
        "codebook.themes.n": len(data["coding_themes"]),
    }
    for key, got in counted.items():
        assert got == value(f"coding.{key}"), key
    for what in ("female", "race.white", "died"):
        pct = Fraction(int(counted[f"patients.{what}.n"]), k) * 100
        assert round(float(pct), 1) == value(f"coding.patients.{what}.pct"), what
    # the analytic sample is exactly the patients whose disease progressed
    assert (p["analytic_sample"] == p["progressed"]).all()


def test_published_themes_and_illustrative_codes(data):
    themes, codes = data["coding_themes"], data["coding_codes"]
    assert [n.lower() for n in themes["name"]] == [
        "human connection", "empathy", "presence", "partnering", "inclusivity", "humor", "honesty"]
    assert (themes["name_source"] == "published").all()
    assert (themes["definition_source"] == "illustrative").all()
    assert (codes["name_source"] == "illustrative").all()
    assert set(codes["theme_id"]) == set(themes["theme_id"])


def test_code_frequencies_are_uneven_and_humor_rarer(data):
    d, s, codes = data["coding_discussions"], data["coding_segments"], data["coding_codes"]
    primary = s.merge(d[["discussion_id", "primary_coder_id"]], on="discussion_id")
    primary = primary[primary["coder_id"] == primary["primary_coder_id"]]
    freq = primary["code_id"].value_counts().reindex(codes["code_id"], fill_value=0)
    assert freq.min() > 0 and freq.max() >= 4 * freq.min()
    theme = primary["code_id"].map(codes.set_index("code_id")["theme_id"])
    presence = pd.crosstab(primary["discussion_id"], theme).reindex(d["discussion_id"], fill_value=0).gt(0).mean()
    assert presence.drop("humor").min() > 0.6
    assert presence["humor"] < 0.5


def test_double_coding_allows_imperfect_agreement(data):
    d, s, codes = data["coding_discussions"], data["coding_segments"], data["coding_codes"]
    double = d[d["second_coder_id"].notna()]
    assert 0.15 <= len(double) / len(d) <= 0.25
    assert (double["second_coder_id"] != double["primary_coder_id"]).all()

    def presence(col):
        m = s.merge(double[["discussion_id", col]], on="discussion_id")
        m = m[m["coder_id"] == m[col]]
        return pd.crosstab(m["discussion_id"], m["code_id"]).reindex(
            index=double["discussion_id"], columns=codes["code_id"], fill_value=0).gt(0).to_numpy().ravel()

    a, b = presence("primary_coder_id"), presence("second_coder_id")
    po = (a == b).mean()
    pe = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    kappa = (po - pe) / (1 - pe)
    assert 0.4 < kappa < 0.9


def test_shipped_coding_part_is_clean(shipped):
    coding = [f for f in shipped.report.findings if f.resource and f.resource.startswith("coding_")]
    assert coding == []
    assert set(CODING) <= set(shipped.tables)


def test_valid_coding_example_has_no_findings():
    result = validate(SUITE / "valid_coding")
    assert result.report.findings == []
    assert sorted(result.tables) == sorted(CODING)


def test_valid_coding_example_passes_frictionless():
    import frictionless

    report = frictionless.validate(SUITE / "valid_coding" / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type"])


def test_synth_coding_command_writes_a_valid_coding_only_package(tmp_path):
    out = tmp_path / "pkg"
    result = CliRunner().invoke(app, ["synth", "coding", "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    desc = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in desc["resources"]] == CODING
    assert all(r["description"].endswith(standard.SYNTHETIC_NOTE) for r in desc["resources"])
    report = validate(out).report
    assert report.findings == [] and report.exit_code == 0


def test_generator_is_reproducible_per_seed():
    a, b = generate(11), generate(11)
    for name in CODING:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["coding_segments"].equals(generate(12)["coding_segments"])


def test_segments_with_codes_missing_from_the_codebook_fail_with_foreign_key(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "data").mkdir(parents=True)
    shutil.copytree(REPO / "schemas", pkg / "schemas")
    for n in CODING:
        shutil.copy(REPO / "data" / f"{n}.csv", pkg / "data")
    # a site's own id: with the example's (EXAMPLE) these edited rows would also get SITE_IDENTITY_EXAMPLE
    desc = standard.build_descriptor(CODING, synthetic=True, name="site", title="site", description="site", site="SITE1")
    (pkg / "datapackage.json").write_text(standard.dumps(desc), encoding="utf-8")
    codes = _read(pkg, "coding_codes")
    dropped = ["HC05", "PR04"]  # rare codes of themes that keep other codes
    codes[~codes["code_id"].isin(dropped)].to_csv(pkg / "data" / "coding_codes.csv", index=False)
    segments = _read(pkg, "coding_segments")
    expected_rows = sorted((segments.index[segments["code_id"].isin(dropped)] + 2).tolist())  # header = row 1
    assert expected_rows

    report = validate(pkg, max_listed=10_000).report
    assert report.codes() == {"FOREIGN_KEY"}
    got = [f for f in report.findings if f.code == "FOREIGN_KEY"]
    assert {(f.resource, f.field) for f in got} == {("coding_segments", "code_id")}
    assert sorted(f.row for f in got) == expected_rows
    assert report.exit_code == 1


@pytest.mark.parametrize("text, kinds", [
    ("Dr. Smith will see you next week.", "a personal name"),
    ("My name is Anna and I am her aunt.", "a personal name"),
    ("The scan on 3/14/2019 was clear.", "a date"),
    ("We started on 2019-03-14.", "a date"),
    ("It was on March 14th, right before the holidays.", "a date"),
    ("Call me at (901) 555-0142 tonight.", "a phone number"),
    ("Write to mom.smith@example.org", "an e-mail address"),
    ("Her MRN is 4471.", "a record or other identifying number"),
    ("The number is 12345678.", "a record or other identifying number"),
    ("Dr. Jones said 901-555-0142", "a personal name and a phone number"),
    ("I remember [NAME] telling me about the soccer team.", ""),
    ("Dr. [NAME] will join us. See you in May.", ""),
    ("The scan in six weeks, around 3 pm, with 2 doses.", ""),
    ("We have plenty of time today. There is no rush.", ""),
])
def test_excerpt_screen(text, kinds):
    assert identifier_kinds(pd.Series([text], dtype="str")).tolist() == [kinds]


def test_excerpt_findings_never_echo_the_excerpt(tmp_path):
    from pedcomm.validation.conformance import cases, materialize

    case = next(c for c in cases() if c["id"] == "coding-excerpt-name-and-date")
    pkg = materialize(case, tmp_path)
    for reveal, shown in ((False, False), (True, True)):
        report = validate(pkg, reveal_values=reveal).report
        (f,) = [f for f in report.findings if f.code == "EXCERPT_IDENTIFIER"]
        assert ("Smith" in f.value + f.message) is shown


def test_per_patient_counts_meet_every_constraint():
    for seed in range(20):
        x = per_patient_counts(np.random.default_rng(seed), 17, 141, 7, 1, 19)
        assert (x.sum(), np.median(x), x.min(), x.max()) == (141, 7, 1, 19)
    with pytest.raises(ValueError):
        per_patient_counts(np.random.default_rng(0), 17, 400, 7, 1, 19)
