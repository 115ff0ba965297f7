"""The coding study's reproduction: counts, co-occurrence, course positions and intercoder agreement on
a tiny hand-built package whose answers are worked out by hand below, then `pedcomm reproduce` on the
shipped SYNTHETIC package (run twice per session): every coding target exact, files deterministic."""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pedcomm.analysis.agreement import cohen_kappa, cohen_kappa_2x2
from pedcomm.cli import app
from pedcomm.studies.coding.analysis.agreement import agreement_frame, span_overlap
from pedcomm.studies.coding.analysis.cohort import cohort
from pedcomm.studies.coding.analysis.cooccurrence import cooccurrence, cooccurrence_counts
from pedcomm.studies.coding.analysis.course import course_counts
from pedcomm.studies.coding.analysis.design import config, frame
from pedcomm.studies.coding.analysis.discussions import discussions
from pedcomm.studies.coding.analysis.frequencies import frequencies
from pedcomm.analysis.labels import in_words
from pedcomm.cli import app

from .conftest import REPO

TABLES = ["coding_cohort", "coding_discussions", "coding_codebook", "coding_frequencies", "coding_cooccurrence",
          "coding_course", "coding_agreement"]
FIGURES = ["coding_cooccurrence_heatmap", "coding_course_plot"]


# -- a tiny package ---------------------------------------------------------------------------------
#
# Patients: P1 (analytic, female, white, died on day 130), P2 (analytic, male, black, alive),
# P3 (enrolled, not analytic: its discussion D6 and segments must be ignored).
# Discussions (sequence, day, setting, minutes, status, primary coder, second coder):
#   D1 P1 1 day 0   clinic     10 stable       R1 R2   -> before progression
#   D2 P1 2 day 20  inpatient  20 progression  R1 -    -> first progression
#   D3 P1 3 day 50  clinic     30 stable       R2 R1   -> last 90 days of life (death day 130)
#   D4 P2 1 day 5   telephone   5 response     R1 R2   -> no progression recorded
#   D5 P2 2 day 40  clinic     15 (blank)      -  -    -> not coded
#   D6 P3 1 day 0   clinic     60 stable       R1 -    -> not in the analytic sample
# Codebook: theme T1 (codes A1, A2), theme T2 (codes B1, B2; B2 never applied).

def tiny() -> dict[str, pd.DataFrame]:
    themes = pd.DataFrame({"theme_id": ["T1", "T2"], "name": ["Alpha", "Beta"], "definition": ["a", "b"],
                           "name_source": ["published", "published"], "definition_source": ["illustrative"] * 2})
    codes = pd.DataFrame({"code_id": ["A1", "A2", "B1", "B2"], "theme_id": ["T1", "T1", "T2", "T2"],
                          "name": ["a one", "a two", "b one", "b two"], "definition": ["x", "y", "z", "w"],
                          "name_source": ["illustrative"] * 4, "definition_source": ["illustrative"] * 4})
    patients = pd.DataFrame({
        "patient_id": ["P1", "P2", "P3"], "sex": ["female", "male", "female"], "race": ["white", "black", "white"],
        "ethnicity": ["not_hispanic", "hispanic", "not_hispanic"], "age_years": [5, 9, 12],
        "diagnosis_group": ["solid", "cns", "solid"], "projected_survival_50_or_less": [True] * 3,
        "progressed": [True, True, False], "analytic_sample": [True, True, False], "died": [True, False, False],
        "death_study_day": pd.array([130, None, None], dtype="Int64")})
    clinicians = pd.DataFrame({"clinician_id": ["C1", "C2", "C3"], "role": ["oncologist"] * 3,
                               "sex": ["female", "male", "male"], "years_in_practice": [10, 20, 5]})
    d = pd.DataFrame(
        [("D1", "P1", "C1", 0, 1, "clinic", 10.0, "stable", "R1", "R2"),
         ("D2", "P1", "C1", 20, 2, "inpatient", 20.0, "progression", "R1", None),
         ("D3", "P1", "C1", 50, 3, "clinic", 30.0, "stable", "R2", "R1"),
         ("D4", "P2", "C2", 5, 1, "telephone", 5.0, "response", "R1", "R2"),
         ("D5", "P2", "C2", 40, 2, "clinic", 15.0, None, None, None),
         ("D6", "P3", "C3", 0, 1, "clinic", 60.0, "stable", "R1", None)],
        columns=["discussion_id", "patient_id", "primary_oncologist_id", "study_day", "sequence", "setting",
                 "duration_minutes", "disease_status", "primary_coder_id", "second_coder_id"])
    seg = pd.DataFrame(
        [("D1", "A1", "R1", 0, 10), ("D1", "A1", "R1", 20, 30), ("D1", "B1", "R1", 5, 15),  # primary
         ("D1", "A1", "R2", 5, 25), ("D1", "A2", "R2", 40, 50),  # second
         ("D2", "A2", "R1", 0, 10), ("D2", "B1", "R3", 0, 5),  # R3 is neither coder of D2: ignored
         ("D3", "B1", "R2", 0, 20),  # primary (R2)
         ("D3", "B1", "R1", 10, 30), ("D3", "A1", "R1", 0, 5),  # second (R1)
         ("D4", "A1", "R1", 0, 4),  # primary; the second coder applied nothing
         ("D6", "A1", "R1", 0, 10)],  # not in the analytic sample
        columns=["discussion_id", "code_id", "coder_id", "start_seconds", "end_seconds"])
    seg.insert(0, "segment_id", [f"S{i}" for i in range(len(seg))])
    seg["speaker_role"] = "primary_oncologist"
    seg["excerpt"] = None
    return {"coding_themes": themes, "coding_codes": codes, "coding_patients": patients,
            "coding_clinicians": clinicians, "coding_discussions": d, "coding_segments": seg}


@pytest.fixture
def c():
    return frame(tiny())


def kappa_by_hand(a, b, c_, d):
    n = a + b + c_ + d
    po = (a + d) / n
    pe = (a + b) / n * (a + c_) / n + (c_ + d) / n * (b + d) / n
    return (po - pe) / (1 - pe)


# -- population, cohort, discussions ----------------------------------------------------------------

def test_analysed_population_and_coder(c):
    assert list(c.patients["patient_id"]) == ["P1", "P2"]
    assert list(c.discussions["discussion_id"]) == ["D1", "D2", "D3", "D4", "D5"]
    assert list(c.coded["discussion_id"]) == ["D1", "D2", "D3", "D4"]  # D5 has no primary coder
    assert list(c.double["discussion_id"]) == ["D1", "D3", "D4"]
    # the primary coder's segments only (R3's segment in D2 and P3's discussion are ignored)
    assert sorted(zip(c.segments["discussion_id"], c.segments["code_id"])) == [
        ("D1", "A1"), ("D1", "A1"), ("D1", "B1"), ("D2", "A2"), ("D3", "B1"), ("D4", "A1")]
    assert sorted(zip(c.second["discussion_id"], c.second["code_id"])) == [
        ("D1", "A1"), ("D1", "A2"), ("D3", "A1"), ("D3", "B1")]


def test_cohort_counts_and_targets(c):
    table, values = cohort(c)
    v = {k: x.value for k, x in values.items()}
    assert (v["dyads.enrolled.n"], v["patients.analytic.n"], v["patients.female.n"]) == (3, 2, 1)
    assert (v["patients.race.white.n"], v["patients.died.n"], v["oncologists.n"]) == (1, 1, 2)  # C3 is P3's
    assert v["patients.female.pct"] == 50 and v["patients.died.pct"] == 50
    assert values["patients.female.pct"].denominator == "patients.analytic.n"
    assert v["patients.analytic.pct"] == pytest.approx(200 / 3)
    row = table.data.set_index("key").loc["patients.race.black"]
    assert (row["n"], row["denominator"]) == (1, 2)


def test_discussions_per_patient_minutes_and_settings(c):
    table, values = discussions(c)
    v = {k: x.value for k, x in values.items()}
    assert v["discussions.n"] == 5 and v["discussions.minutes"] == 80  # D1-D5, coded or not
    assert (v["discussions.per_patient.median"], v["discussions.per_patient.min"],
            v["discussions.per_patient.max"]) == (2.5, 2, 3)
    data = table.data.set_index("key")
    clinic = data.loc["discussions.setting.clinic"]
    assert (clinic["n"], clinic["minutes"], clinic["median"]) == (3, 55, 15)  # D1, D3, D5
    assert data.loc["discussions", ["q1", "q3"]].tolist() == [10, 20]  # durations 5 10 15 20 30, linear
    assert data.loc["discussions.status.missing", "n"] == 1


def test_a_patient_without_discussions_counts_zero():
    t = tiny()
    t["coding_patients"].loc[2, "analytic_sample"] = True  # P3 (with D6) joins
    extra = t["coding_patients"].iloc[[0]].assign(patient_id="P4", died=False, death_study_day=pd.NA)
    t["coding_patients"] = pd.concat([t["coding_patients"], extra], ignore_index=True)
    _, values = discussions(frame(t))
    assert values["discussions.per_patient.min"].value == 0  # P4: 3, 2, 1, 0 discussions
    assert values["discussions.per_patient.median"].value == 1.5


# -- frequencies, co-occurrence, course -------------------------------------------------------------

def test_frequencies_by_hand(c):
    f = frequencies(c).data
    got = {(r.level, r.code_id or r.theme_id): (r.segments, r.discussions, r.patients)
           for r in f.itertuples(index=False)}
    assert got == {("theme", "T1"): (4, 3, 2), ("code", "A1"): (3, 2, 2), ("code", "A2"): (1, 1, 1),
                   ("theme", "T2"): (2, 2, 1), ("code", "B1"): (2, 2, 1), ("code", "B2"): (0, 0, 0)}
    assert list(f["code_id"]) == ["", "A1", "A2", "", "B1", "B2"]  # theme, then its codes
    assert (f["discussions_denominator"] == 4).all() and (f["patients_denominator"] == 2).all()
    a1 = f.set_index("code_id").loc["A1"]
    assert (a1["discussions_percent"], a1["patients_percent"]) == (50.0, 100.0)


def test_cooccurrence_by_hand(c):
    # themes per coded discussion: D1 {T1, T2}, D2 {T1}, D3 {T2}, D4 {T1}
    m = cooccurrence_counts(c)
    assert m.to_numpy().tolist() == [[3, 1], [1, 2]]
    table, figure = cooccurrence(c)
    row = table.data.set_index(["theme_a", "theme_b"]).loc[("T1", "T2")]
    assert (row["discussions"], row["denominator"], row["percent"], row["jaccard"]) == (1, 4, 25.0, 0.25)
    assert figure.name == "coding_cooccurrence_heatmap"


def test_course_positions_by_hand(c):
    assert dict(zip(c.coded["discussion_id"], c.coded["position"])) == {
        "D1": "before_progression", "D2": "first_progression", "D3": "end_of_life", "D4": "no_progression_recorded"}
    counts = course_counts(c).set_index(["position", "theme_id"])
    assert counts.loc[("before_progression", "T1"), ["discussions_with_theme", "discussions", "patients"]].tolist() == [1, 1, 1]
    assert counts.loc[("end_of_life", "T1"), "discussions_with_theme"] == 0
    assert counts.loc[("end_of_life", "T2"), "discussions_with_theme"] == 1
    assert counts.loc[("after_progression", "T1"), "discussions"] == 0


def test_end_of_life_window_is_configured():
    days = config()["course"]["end_of_life_days"]
    assert f"at most {days} days before death" in config()["course"]["assumption"]
    t = tiny()
    t["coding_patients"].loc[0, "death_study_day"] = 50 + days + 1  # D3 now just outside the window
    c = frame(t)
    assert c.coded.set_index("discussion_id").at["D3", "position"] == "after_progression"


# -- intercoder agreement ---------------------------------------------------------------------------

def test_presence_agreement_per_code_by_hand(c):
    a = agreement_frame(c).set_index("name")
    # double-coded D1, D3, D4; (primary, second) presence per discussion
    # A1: D1 yes/yes, D3 no/yes, D4 yes/no      -> 1, 1, 1, 0
    # A2: D1 no/yes,  D3 no/no,  D4 no/no       -> 0, 0, 1, 2
    # B1: D1 yes/no,  D3 yes/yes, D4 no/no      -> 1, 1, 0, 1
    # B2: never                                  -> 0, 0, 0, 3
    cells = {"a one": (1, 1, 1, 0), "a two": (0, 0, 1, 2), "b one": (1, 1, 0, 1), "b two": (0, 0, 0, 3),
             "Alpha": (1, 1, 1, 0), "Beta": (1, 1, 0, 1),
             "All codes (pooled)": (2, 2, 2, 6), "All themes (pooled)": (2, 2, 1, 1)}
    for name, want in cells.items():
        assert tuple(a.loc[name, ["both", "primary_only", "second_only", "neither"]]) == want, name
        assert a.loc[name, "percent_agreement"] == pytest.approx(100 * (want[0] + want[3]) / sum(want), abs=1e-6)
    assert (a["discussions"] == 3).all()
    # kappas worked out by hand: A1 (1/3 - 5/9) / (4/9) = -0.5; A2 (2/3 - 2/3) / (1/3) = 0;
    # B1 (2/3 - 4/9) / (5/9) = 0.4; pooled codes (2/3 - 5/9) / (4/9) = 0.25; pooled themes (1/2 - 1/2) / (1/2) = 0
    hand = {"a one": -0.5, "a two": 0.0, "b one": 0.4, "Alpha": -0.5, "Beta": 0.4, "All codes (pooled)": 0.25,
            "All themes (pooled)": 0.0}
    for name, k in hand.items():
        assert a.loc[name, "kappa"] == pytest.approx(k, abs=1e-6), name
        assert a.loc[name, "kappa"] == pytest.approx(kappa_by_hand(*cells[name]), abs=1e-6), name
    # B2: neither coder ever applied it, so chance agreement is 1 and kappa is undefined
    assert math.isnan(a.loc["b two", "kappa"]) and math.isnan(a.loc["b two", "kappa_ci_lower"])
    assert a.loc["b two", "percent_agreement"] == 100
    assert (a["kappa_ci_lower"].dropna() >= -1).all() and (a["kappa_ci_upper"].dropna() <= 1).all()


def test_span_overlap_by_hand(c):
    a = agreement_frame(c).set_index("name")
    # A1: D1 primary [0,10] u [20,30], second [5,25]: intersection 5 + 5 = 10 s, union [0,30] = 30 s;
    #     D3 second only [0,5]: 0 / 5; D4 primary only [0,4]: 0 / 4      -> pooled 10 / 39
    # A2: D1 second only [40,50]: 0 / 10                                  -> 0
    # B1: D1 primary only [5,15]: 0 / 10; D3 [0,20] vs [10,30]: 10 / 30   -> 10 / 40
    # T1: D1 primary [0,10] u [20,30] vs second [5,25] u [40,50]: 10 / 40; D3 0 / 5; D4 0 / 4 -> 10 / 49
    spans = {"a one": (3, 10, 39), "a two": (1, 0, 10), "b one": (2, 10, 40), "Alpha": (3, 10, 49),
             "Beta": (2, 10, 40), "All codes (pooled)": (6, 20, 89), "All themes (pooled)": (5, 20, 89)}
    for name, (units, inter, union) in spans.items():
        row = a.loc[name]
        assert (row["span_units"], row["span_intersection_seconds"], row["span_union_seconds"]) == (units, inter, union), name
        assert row["span_iou"] == pytest.approx(inter / union, abs=1e-6), name
    assert a.loc["b two", "span_units"] == 0 and math.isnan(a.loc["b two", "span_iou"])


def test_span_overlap_merges_each_coders_own_overlaps():
    first = pd.DataFrame({"u": ["x", "x", "y"], "start_seconds": [0.0, 5.0, 0.0], "end_seconds": [10.0, 15.0, 2.0]})
    second = pd.DataFrame({"u": ["x", "x"], "start_seconds": [10.0, 15.0], "end_seconds": [15.0, 20.0]})
    got = span_overlap(first, second, ["u"]).set_index("u")
    # x: first covers [0,15] once (not 20 s), second [10,20] (touching spans): both [10,15] = 5, either [0,20] = 20
    assert got.loc["x"].tolist() == [5.0, 20.0]
    assert got.loc["y"].tolist() == [0.0, 2.0]


def test_vectorized_kappa_is_the_survey_kappa():
    """cohen_kappa_2x2 (per code) and cohen_kappa (survey) are one implementation."""
    cells = np.array([[33, 48, 94, 163], [12, 4, 0, 12], [5, 0, 0, 23], [0, 0, 0, 9], [9, 0, 0, 0]])
    many = cohen_kappa_2x2(*cells.T)
    for (a, b, c_, d), row in zip(cells, many.itertuples(index=False)):
        if a + b + c_ + d in (a, d):
            assert math.isnan(row.kappa)  # both raters used one category only: undefined
            continue
        one = cohen_kappa([[a, b], [c_, d]])
        assert (row.kappa, row.se, row.lower, row.upper) == pytest.approx((one.kappa, one.se, one.lower, one.upper), rel=1e-12)
        assert row.kappa == pytest.approx(kappa_by_hand(a, b, c_, d), abs=1e-12)


# -- the shipped package, end to end ----------------------------------------------------------------

runner = CliRunner()


@pytest.fixture(scope="session")
def coding_runs(tmp_path_factory):
    """Two default runs on the shipped package, into two folders (as tests/test_reproduce.py)."""
    base = tmp_path_factory.mktemp("coding-reproduce")
    results = [runner.invoke(app, ["reproduce", "--out", str(base / name)]) for name in ("first", "second")]
    return base / "first", base / "second", results


@pytest.fixture(scope="session")
def out(coding_runs):
    first, _, results = coding_runs
    for res in results:
        assert res.exit_code == 0, res.output
    return first


def coding_targets() -> list[dict]:
    with open(REPO / "validation" / "targets.csv", newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["study"] == "coding"]


def raw(name: str) -> pd.DataFrame:
    return pd.read_csv(REPO / "data" / f"{name}.csv", dtype=str, keep_default_na=False)


def test_every_published_coding_target_is_in_targets_csv():
    names = {t["target"] for t in coding_targets()}
    assert names == {
        "dyads.enrolled.n", "patients.analytic.n", "patients.female.n", "patients.female.pct", "patients.race.white.n",
        "patients.race.white.pct", "patients.died.n", "patients.died.pct", "oncologists.n", "discussions.n",
        "discussions.minutes", "discussions.per_patient.median", "discussions.per_patient.min",
        "discussions.per_patient.max", "codebook.codes.n", "codebook.themes.n"}


def test_every_coding_target_is_exact(out):
    comp = pd.read_csv(out / "comparison.csv", dtype=str, keep_default_na=False)
    comp = comp[comp["study"] == "coding"]
    assert list(comp["target"]) == [t["target"] for t in coding_targets()]
    bad = comp[comp["status"] != "exact"]
    assert bad.empty, bad.to_dict("records")
    assert (comp["published"] == comp["reproduced"]).all()


def test_coding_outputs_are_written_and_listed(out):
    index = (out / "index.md").read_text(encoding="utf-8")
    for name in TABLES:
        for ext in ("csv", "md", "html", "tex"):
            assert (out / f"{name}.{ext}").stat().st_size > 0, f"{name}.{ext}"
            assert f"({name}.{ext})" in index
    for name in FIGURES:
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / f"{name}.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
        assert (out / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"
        assert all(f"]({name}.{ext})" in index for ext in ("png", "svg", "pdf"))
        assert any(line.startswith("![") and line.endswith(f"]({name}.png)") for line in index.splitlines())
    assert "## Transcript-coding study" in index and "src/pedcomm/studies/coding/coding.yaml" in index
    for _, what in [(k, v["assumption"]) for k, v in config().items() if isinstance(v, dict) and "assumption" in v]:
        assert in_words(what) in index  # as written in coding.yaml, variable names in words
    assert "each discussion's primary coder" in index
    assert "no reproduction of it yet" not in index


def test_two_runs_write_identical_coding_files(coding_runs):
    first, second, _ = coding_runs
    names = sorted(p.name for p in first.iterdir() if p.name.startswith("coding_"))
    assert len(names) == 4 * len(TABLES) + 3 * len(FIGURES)
    for name in names + ["comparison.csv", "index.md"]:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_shipped_counts_against_raw_files(out):
    """Frequencies and one code's agreement, recomputed here from the raw CSV files with plain pandas."""
    pat, dis, seg = raw("coding_patients"), raw("coding_discussions"), raw("coding_segments")
    analytic = set(pat.loc[pat["analytic_sample"] == "true", "patient_id"])
    d = dis[dis["patient_id"].isin(analytic) & (dis["primary_coder_id"] != "")]
    s = seg.merge(d[["discussion_id", "patient_id", "primary_coder_id", "second_coder_id"]], on="discussion_id")
    primary = s[s["coder_id"] == s["primary_coder_id"]]
    freq = pd.read_csv(out / "coding_frequencies.csv", keep_default_na=False).set_index("code_id")
    for code in ("HC01", "HU02", "HO04"):
        p = primary[primary["code_id"] == code]
        assert freq.loc[code, "segments"] == len(p)
        assert freq.loc[code, "discussions"] == p["discussion_id"].nunique()
        assert freq.loc[code, "patients"] == p["patient_id"].nunique()
        assert freq.loc[code, "discussions_denominator"] == len(d)
    double = d[d["second_coder_id"] != ""]["discussion_id"]
    second = s[(s["coder_id"] == s["second_coder_id"]) & s["discussion_id"].isin(double)]
    agree = pd.read_csv(out / "coding_agreement.csv", keep_default_na=False).set_index("code_id")
    for code in ("HC01", "PA05"):
        one = set(primary.loc[(primary["code_id"] == code) & primary["discussion_id"].isin(double), "discussion_id"])
        two = set(second.loc[second["code_id"] == code, "discussion_id"])
        a, b, c_ = len(one & two), len(one - two), len(two - one)
        d_ = len(double) - a - b - c_
        row = agree.loc[code]
        assert (row["both"], row["primary_only"], row["second_only"], row["neither"]) == (a, b, c_, d_)
        assert float(row["kappa"]) == pytest.approx(kappa_by_hand(a, b, c_, d_), abs=1e-6)


def test_coding_tables_do_not_list_participants_or_excerpts(out):
    excerpts = [e for e in raw("coding_segments")["excerpt"] if e][:20]
    for name in TABLES:
        text = (out / f"{name}.csv").read_text(encoding="utf-8")
        assert not any(f"PT{i:02d}" in text for i in range(1, 34)), name
        assert "DS001" not in text and "SG00001" not in text, name
        assert not any(e in text for e in excerpts), name


@pytest.mark.parametrize("variant", ["tiny", "no_double_coding", "no_segments"])
def test_the_whole_study_runs_on_small_packages(variant, tmp_path):
    """Every table and figure, also without double coding or without any coded segment."""
    from pedcomm.analysis.render_tables import write_table
    from pedcomm.analysis.result import Options
    from pedcomm.studies.coding.analysis.run import run

    t = tiny()
    if variant == "no_double_coding":
        t["coding_discussions"]["second_coder_id"] = None
    if variant == "no_segments":
        t["coding_segments"] = t["coding_segments"].iloc[0:0]
    result = run(t, Options())
    assert [x.name for x in result.tables] == TABLES
    for table in result.tables:
        write_table(table, tmp_path)
    for figure in result.figures:
        assert figure.draw(tmp_path, False) == [f"{figure.name}.png", f"{figure.name}.svg", f"{figure.name}.pdf"]
    agree = result.tables[-1].data.set_index("name")
    if variant == "no_double_coding":
        assert (agree["discussions"] == 0).all() and agree["kappa"].isna().all()
    if variant == "no_segments":
        freq = result.tables[3].data
        assert (freq["segments"] == 0).all() and (freq["discussions"] == 0).all()
    assert result.values["discussions.n"].value == 5
