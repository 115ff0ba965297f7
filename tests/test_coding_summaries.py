"""`pedcomm summarize` and `pedcomm meta` for the coding study (issue 13): frequencies by discussion and
patient, intercoder agreement, the same suppression rules as the survey's, and pooling across sites.

Every expected number is computed here from the raw CSV files with plain pandas, not by pedcomm."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pedcomm.cli import app

runner = CliRunner()


@pytest.fixture(scope="session")
def coding_sites(tmp_path_factory) -> list[Path]:
    """Two SYNTHETIC coding sites (`pedcomm synth coding --sites 2`)."""
    out = tmp_path_factory.mktemp("coding-sites") / "sites"
    r = runner.invoke(app, ["synth", "coding", "--sites", "2", "--out", str(out)])
    assert r.exit_code == 0, r.output
    return [out / "SITE1", out / "SITE2"]


def summarize(pkg: Path, out: Path, *args: str) -> dict:
    r = runner.invoke(app, ["summarize", str(pkg), "--out", str(out), *args])
    assert r.exit_code == 0, r.output
    return json.loads(out.read_text())


def raw(pkg: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(pkg / "data" / f"{name}.csv", dtype=str, keep_default_na=False)


def expected_frequencies(pkg: Path) -> dict:
    """Per theme: coded discussions and patients with the theme, by the primary coder (raw files)."""
    p, d, s, c = (raw(pkg, n) for n in ("coding_patients", "coding_discussions", "coding_segments", "coding_codes"))
    analytic = set(p.loc[p["analytic_sample"].str.lower() == "true", "patient_id"])
    coded = d[d["patient_id"].isin(analytic) & (d["primary_coder_id"] != "")]
    s = s.merge(c[["code_id", "theme_id"]], on="code_id").merge(coded[["discussion_id", "primary_coder_id", "patient_id"]],
                                                                on="discussion_id")
    s = s[s["coder_id"] == s["primary_coder_id"]]
    return {"coded": len(coded), "patients": coded["patient_id"].nunique(),
            "discussions": s.groupby("theme_id")["discussion_id"].nunique().to_dict(),
            "by_patient": s.groupby("theme_id")["patient_id"].nunique().to_dict()}


def table(summary: dict, name: str) -> dict:
    return next(t for t in summary["tables"] if t["name"] == name)


def test_coding_summary_counts_against_the_raw_files(coding_sites, tmp_path):
    doc = summarize(coding_sites[0], tmp_path / "s.json")
    assert doc["study"] == "coding" and doc["site"] == "SITE1" and "models" not in doc
    want = expected_frequencies(coding_sites[0])
    threshold = doc["disclosure"]["threshold"]
    assert table(doc, "coding_discussions")["cells"][1] == [want["coded"]]
    for name, key, n in (("themes_by_discussion", "discussions", want["coded"]), ("themes_by_patient", "by_patient", want["patients"])):
        t = table(doc, name)
        for row, (cell,) in zip(t["rows"], t["cells"]):
            k = want[key].get(row, 0)
            small = (0 < k < threshold) or (0 < n - k < threshold)
            assert cell == (None if small else k), (name, row, k, cell)


def test_no_published_count_is_small_and_no_line_gives_one_back(coding_sites, tmp_path):
    from pedcomm.analysis.suppress import published_numbers, single_suppressions
    from pedcomm.sites.summary_rules import check

    doc = summarize(coding_sites[1], tmp_path / "s.json", "--threshold", "7")
    assert check(doc) == ([], [])
    for t in doc["tables"]:
        assert not [w for w, v in published_numbers(t) if v is not None and 0 < v < 7], t["name"]
        assert single_suppressions(t) == [], t["name"]
    # agreement statistics only from lines with nothing suppressed
    agreement = table(doc, "theme_agreement")
    for a in doc["agreement"]:
        if a["name"] in agreement["rows"]:
            line = agreement["cells"][agreement["rows"].index(a["name"])]
            assert (a["status"] == "shared") == (None not in line) or "undefined" in a.get("reason", "")


def agreeing_copy(pkg: Path, dest: Path) -> Path:
    """A copy of a site whose second coder applied exactly the primary coder's codes (perfect agreement)."""
    shutil.copytree(pkg, dest)
    d, s = raw(dest, "coding_discussions"), raw(dest, "coding_segments")
    double = d[d["second_coder_id"] != ""].set_index("discussion_id")
    primary = s["coder_id"] == s["discussion_id"].map(d.set_index("discussion_id")["primary_coder_id"])
    keep = s[~s["discussion_id"].isin(double.index) | primary]
    copies = keep[keep["discussion_id"].isin(double.index)].copy()
    copies["coder_id"] = copies["discussion_id"].map(double["second_coder_id"])
    copies["segment_id"] = [f"X{i:06d}" for i in range(len(copies))]
    pd.concat([keep, copies]).to_csv(dest / "data" / "coding_segments.csv", index=False)
    return dest


def test_agreement_is_shared_from_a_complete_table_and_equals_a_hand_computed_kappa(coding_sites, tmp_path):
    pkg = agreeing_copy(coding_sites[0], tmp_path / "agree")
    doc = summarize(pkg, tmp_path / "s.json", "--threshold", "5")
    t = table(doc, "theme_agreement")
    shared = [a for a in doc["agreement"] if a["status"] == "shared"]
    assert shared, doc["agreement"]
    for a in shared:
        both, first, second, neither = (t["cells"][t["rows"].index(a["name"])] if a["name"] in t["rows"]
                                        else t["column_totals"])
        assert first == second == 0  # the second coder copied the first
        n = both + neither
        po = (both + neither) / n
        pe = ((both + first) * (both + second) + (neither + first) * (neither + second)) / n**2
        assert a["n_discussions"] == n and a["percent_agreement"] == pytest.approx(po)
        assert a["kappa"] == pytest.approx((po - pe) / (1 - pe))


def test_meta_pools_coding_summaries(coding_sites, tmp_path):
    docs = [summarize(p, tmp_path / f"{p.name}.json") for p in coding_sites]
    r = runner.invoke(app, ["meta", *(str(tmp_path / f"{p.name}.json") for p in coding_sites), "--out", str(tmp_path / "m")])
    assert r.exit_code == 0, r.output
    freq = pd.read_csv(tmp_path / "m" / "coding_pooled_frequencies.csv", keep_default_na=False)
    coded = sum(table(d, "coding_discussions")["cells"][1][0] for d in docs)
    for _, row in freq[freq["table"] == "themes_by_discussion"].iterrows():
        values = [table(d, "themes_by_discussion")["cells"][table(d, "themes_by_discussion")["rows"].index(row["row"])][0]
                  for d in docs]
        if None in values:
            assert row["proportion"] == "" and row["at_least"] == sum(v for v in values if v is not None)
        else:
            assert int(row["count"]) == sum(values) and float(row["proportion"]) == pytest.approx(sum(values) / coded)
    assert (tmp_path / "m" / "coding_pooled_agreement.csv").is_file() and not list((tmp_path / "m").glob("forest_*"))


def test_pooled_agreement_of_complete_tables(coding_sites, tmp_path):
    """Two sites with published agreement tables: the all-discussions kappa is the summed table's."""
    docs = []
    for i, p in enumerate(coding_sites):
        pkg = agreeing_copy(p, tmp_path / f"a{i}")
        docs.append(summarize(pkg, tmp_path / f"a{i}.json", "--threshold", "5"))
    from pedcomm.studies.coding.meta import agreement

    pooled = agreement(docs).data.set_index("theme")
    for theme in pooled.index:
        rows = [table(d, "theme_agreement") for d in docs]
        lines = [t["cells"][t["rows"].index(theme)] if theme in t["rows"] else t["column_totals"] for t in rows]
        if any(v is None for line in lines for v in line):
            assert pd.isna(pooled.at[theme, "n_discussions"])
            continue
        both, first, second, neither = (sum(col) for col in zip(*lines))
        n = both + first + second + neither
        assert pooled.at[theme, "n_discussions"] == n
        assert pooled.at[theme, "percent_agreement"] == pytest.approx((both + neither) / n, abs=1e-6)


def test_meta_refuses_to_mix_studies(coding_sites, summaries, tmp_path):
    coding = tmp_path / "c.json"
    summarize(coding_sites[0], coding)
    r = runner.invoke(app, ["meta", str(summaries[0][0]), str(coding), "--out", str(tmp_path / "m")])
    assert r.exit_code == 1 and "SUMMARY_INCOMPATIBLE" in r.output and "different studies" in " ".join(r.output.split())


def test_agreement_shared_from_a_suppressed_line_is_refused(coding_sites, tmp_path):
    doc = summarize(coding_sites[0], tmp_path / "s.json")
    t = table(doc, "theme_agreement")
    i = next(i for i, line in enumerate(t["cells"]) if None in line)
    doc["agreement"][i] = {"name": t["rows"][i], "status": "shared", "n_discussions": 28, "percent_agreement": 0.9,
                           "kappa": 0.5, "se": 0.1}
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    r = runner.invoke(app, ["meta", str(tmp_path / "bad.json"), str(tmp_path / "s.json"), "--out", str(tmp_path / "m")])
    assert r.exit_code == 2 and "SUMMARY_DISCLOSURE" in r.output


def test_options_of_the_survey_models_are_refused_for_the_coding_study(coding_sites, tmp_path):
    r = runner.invoke(app, ["summarize", str(coding_sites[0]), "--study", "coding", "--method", "gee",
                            "--out", str(tmp_path / "s.json")])
    assert r.exit_code == 2 and "OPTION_INVALID" in r.output and not (tmp_path / "s.json").exists()
    r = runner.invoke(app, ["summarize", str(coding_sites[0]), "--method", "gee", "--out", str(tmp_path / "s.json")])
    assert r.exit_code == 1 and "do not apply" in r.output and not (tmp_path / "s.json").exists()


def test_the_published_summary_schema_is_the_generated_one():
    from pedcomm.sites.summary_schema import text
    from pedcomm.standard import SUMMARY_SCHEMA

    assert SUMMARY_SCHEMA.read_text(encoding="utf-8") == text(), \
        "run: python -m pedcomm.sites.summary_schema > validation/site-summary.schema.json"


def test_the_schema_takes_its_facts_from_their_homes():
    from pedcomm.sites.summary_schema import schema
    from pedcomm.studies.survey.analysis.design import config
    from pedcomm.validation.registry import parameter

    s = schema()
    threshold = s["properties"]["disclosure"]["properties"]["threshold"]
    assert (threshold["minimum"], threshold["maximum"]) == (parameter("SUMMARY_DISCLOSURE", "minimum_threshold"),
                                                            parameter("SUMMARY_DISCLOSURE", "maximum_threshold"))
    assert s["properties"]["study"]["enum"] == ["survey", "coding"]
    survey = next(x["then"] for x in s["allOf"] if x["if"]["properties"]["study"]["const"] == "survey")
    assert survey["properties"]["settings"]["properties"]["method"]["enum"] == config()["method"]["choices"]
    assert survey["properties"]["agreement"] is False
