"""The shipped package is the generator's output, and plain pandas counts give the published figures."""

import pandas as pd

from pedcomm.synth import SHIPPED_SEED, write_package
from pedcomm.targets import count, targets, value

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
    from pedcomm.checks.survey import derive_challenge

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
