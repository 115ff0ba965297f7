"""The shipped package is the generator's output, and plain pandas counts give the published figures."""

import pandas as pd

from pedcomm.synth import SHIPPED_SEED, write_package
from pedcomm.standard.targets import count, targets, value

from .conftest import snapshot


def test_shipped_data_is_exactly_the_generator_output(repo, tmp_path):
    out = write_package("all", seed=SHIPPED_SEED, out=tmp_path / "regen")
    regen = snapshot(out / "data")
    shipped = snapshot(repo / "data")
    assert regen.keys() == shipped.keys()
    for name in regen:
        assert regen[name] == shipped[name], f"data/{name} differs from `pedcomm synth all --seed {SHIPPED_SEED}`"
    assert (out / "datapackage.json").read_bytes() == (repo / "datapackage.json").read_bytes()
    for p in (out / "schemas").iterdir():
        assert p.read_bytes() == (repo / "schemas" / p.name).read_bytes()


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a = snapshot(write_package("survey", seed=5, out=tmp_path / "a"))
    b = snapshot(write_package("survey", seed=5, out=tmp_path / "b"))
    c = snapshot(write_package("survey", seed=6, out=tmp_path / "c"))
    assert a == b
    assert a["data/survey_parents.csv"] != c["data/survey_parents.csv"]


def test_everything_says_synthetic(repo):
    import json

    d = json.loads((repo / "datapackage.json").read_text())
    assert "SYNTHETIC" in d["title"] and "SYNTHETIC" in d["description"]
    assert all("SYNTHETIC" in r["description"] for r in d["resources"])


def test_published_survey_counts_with_plain_pandas(repo):
    """Plain pandas on the shipped CSVs gives every published survey count (validation/targets.csv)."""
    read = lambda n: pd.read_csv(repo / f"data/{n}.csv", keep_default_na=False, dtype=str)  # noqa: E731
    parents, clinicians, rel = read("survey_parents"), read("survey_clinicians"), read("survey_relationships")
    assert len(parents) == count("survey.parents.n")
    assert (parents["sex"] == "female").sum() == count("survey.parents.women.n")
    race = parents["race_ethnicity"].replace("", "missing").value_counts().to_dict()
    assert race == {r: count(f"survey.parents.race.{r}.n")
                    for r in ("asian", "black", "hispanic", "white", "other", "missing")}
    assert len(clinicians) == count("survey.clinicians.n")
    assert (clinicians["sex"] == "female").sum() == count("survey.clinicians.women.n")
    assert clinicians["role"].value_counts().to_dict() == {
        r: count(f"survey.clinicians.role.{r}.n") for r in ("attending", "fellow", "nurse_practitioner")}
    assert len(rel) == count("survey.relationships.n")
    paired = rel[(rel["parent_report"] == "true") & (rel["clinician_report"] == "true")]
    n = len(paired)
    assert n == count("survey.relationships.paired.n")
    both = ((paired["parent_challenging"] == "true") & (paired["clinician_challenging"] == "true")).sum()
    by_parent = (paired["parent_challenging"] == "true").sum()
    by_clinician = (paired["clinician_challenging"] == "true").sum()
    # the published percentages of the 338, at the published rounding (1 decimal)
    assert round(100 * both / n, 1) == value("survey.challenging.both.pct")
    assert round(100 * by_parent / n, 1) == value("survey.challenging.parent.pct")
    assert round(100 * by_clinician / n, 1) == value("survey.challenging.clinician.pct")
    # and the implied 2x2 (derived in published-facts.md, not printed in the article)
    assert (both, by_parent - both, by_clinician - both, n - by_parent - by_clinician + both) == (33, 48, 94, 163)


def test_flags_derive_from_responses_not_stored_freely(shipped):
    from pedcomm.studies.survey.rules import derive_challenge

    t = shipped.tables
    for who in ("parent", "clinician"):
        derived = derive_challenge(t["survey_responses"], t["survey_items"], who)
        stored = t["survey_relationships"].set_index("relationship_id")[f"{who}_challenging"].dropna()
        assert (derived.loc[stored.index].astype(bool) == stored.astype(bool)).all()
        assert len(stored) == (676 if who == "parent" else 338)


def test_targets_file_is_the_only_source_of_counts():
    # every survey count the generator uses is a target record with its source
    for key in ("survey.parents.n", "survey.clinicians.n", "survey.relationships.n", "survey.relationships.paired.n"):
        assert targets()[key].source


# -- generator and plausibility (issue 15) ----------------------------------------------------------

def _relationships(n, paired_every=2):
    import numpy as np

    return pd.DataFrame({"relationship_id": [f"R{i}" for i in range(n)], "parent_report": True,
                         "clinician_report": np.arange(n) % paired_every == 0})


def test_refusals_are_independent_of_the_answer_and_never_empty_a_report(monkeypatch):
    """Refusals fall on favourable and unfavourable answers alike: with refusals drawn before the
    answers, challenging and non-challenging reports lose items at the same rate, (p - p^3) / (1 - p^3)
    for 3 items (a report never loses all three). Before issue 15 only favourable answers were refused,
    so challenging reports lost fewer items."""
    import numpy as np

    from pedcomm.studies.survey import synth as S

    monkeypatch.setattr(S, "REFUSAL_RATE", 0.3)
    n = 4000
    rel = _relationships(n)
    yp = (np.arange(n) % 4 < 2).astype(float)  # half the reports challenging
    yc = np.where(rel["clinician_report"], (np.arange(n) % 3 == 0).astype(float), np.nan)
    items, resp = S._responses(np.random.default_rng(1), rel, yp, yc)
    refused = resp["response"].astype(str) == "-7"
    parent = resp["respondent"] == "parent"
    flag = resp["relationship_id"].map(dict(zip(rel["relationship_id"], yp)))
    expected = (0.3 - 0.3 ** 3) / (1 - 0.3 ** 3)
    for challenging in (0.0, 1.0):
        rate = refused[parent & (flag == challenging)].mean()
        assert abs(rate - expected) < 4 * np.sqrt(expected * (1 - expected) / (3 * n / 2)), (challenging, rate)
    assert not refused.groupby([resp["relationship_id"], resp["respondent"]]).all().any()
    # the flags the validator derives are the calibrated ones, also with many refusals
    from pedcomm.studies.survey.rules import derive_challenge

    typed = resp.assign(response=pd.to_numeric(resp["response"].astype(str).replace("-7", np.nan)))
    derived = derive_challenge(typed, items, "parent", rel["relationship_id"])
    assert (derived.astype(float).to_numpy() == yp).all()
    derived_c = derive_challenge(typed, items, "clinician", rel["relationship_id"][rel["clinician_report"]])
    assert (derived_c.astype(float).to_numpy() == yc[rel["clinician_report"].to_numpy()]).all()


def test_a_report_whose_every_item_is_refused_is_not_given_an_answer():
    """The old generator set the first item of an all-refused report to 4, which on the clinician
    scale (rcsc_time, higher is worse, cutoff 4) made the report challenging; now no response is
    ever invented: every value is a drawn answer within the item's range or the refusal code."""
    import numpy as np

    from pedcomm.studies.survey import synth as S

    assert not hasattr(S, "_ensure_answered")
    rel = _relationships(500, paired_every=1)
    items, resp = S._responses(np.random.default_rng(3), rel, np.zeros(500), np.zeros(500))
    typed = pd.to_numeric(resp["response"].astype(str).replace("-7", np.nan))
    lo = resp["item_id"].map(items.set_index("item_id")["response_min"])
    hi = resp["item_id"].map(items.set_index("item_id")["response_max"])
    assert typed.dropna().between(lo[typed.notna()], hi[typed.notna()]).all()


def test_prior_visits_fit_the_days_since_diagnosis(repo):
    rel = pd.read_csv(repo / "data" / "survey_relationships.csv", dtype=str)
    children = pd.read_csv(repo / "data" / "survey_children.csv", dtype=str)
    days = rel["parent_id"].map(children.set_index("parent_id")["days_since_diagnosis"].astype(int))
    visits = rel["prior_visits"].astype(int)
    assert (visits >= 3).all() and (visits <= days).all()
    rate = (visits / days * 7).median()  # visits a week
    assert 0.5 < rate < 3, rate


def test_visit_rate_check_reads_its_threshold_and_skips_unknown_days(tmp_path):
    """RELATIONSHIP_VISIT_RATE: more prior visits than max_visits_per_day x days since diagnosis
    (validation/checks.yaml); a relationship whose child has no days_since_diagnosis is not checked."""
    from pedcomm.validation.conformance import materialize
    from pedcomm.validation.registry import parameter
    from pedcomm.validation.run import validate

    assert parameter("RELATIONSHIP_VISIT_RATE", "max_visits_per_day") == 1
    # valid package: R1 belongs to P1 (child C1, 40 days); R2, R3 to P2 (75 days)
    at_limit = materialize({"edits": [{"set": {"resource": "survey_relationships", "row": 2, "field": "prior_visits",
                                                "value": 40}}]}, tmp_path / "a")
    assert "RELATIONSHIP_VISIT_RATE" not in validate(at_limit).report.codes()
    over = materialize({"edits": [{"set": {"resource": "survey_relationships", "row": 3, "field": "prior_visits",
                                           "value": 76}}]}, tmp_path / "b")
    findings = [f for f in validate(over).report.findings if f.code == "RELATIONSHIP_VISIT_RATE"]
    assert [(f.row, f.value) for f in findings] == [(3, "76")] and "75 days" in findings[0].message
    unknown = materialize({"edits": [{"set": {"resource": "survey_children", "row": 2, "field": "days_since_diagnosis",
                                              "value": ""}},
                                     {"set": {"resource": "survey_relationships", "row": 2, "field": "prior_visits",
                                              "value": 900}}]}, tmp_path / "c")
    assert "RELATIONSHIP_VISIT_RATE" not in validate(unknown).report.codes()
