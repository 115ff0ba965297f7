"""The page generators, on their own: fast, and on the failure paths the site build must not hide."""

from __future__ import annotations

import json
import shutil

import pytest

from pedcomm import docsgen, standard
from pedcomm.docsgen import checks, codebook, dictionary, md, reproduced
from pedcomm.validation import conformance
from pedcomm.validation.registry import specs

from .conftest import REPO


def test_catalogue_anchor_is_the_lower_case_code():
    page = checks.page()
    for code in specs():
        assert f"## {code}: " in page and f"{{#{code.lower()}}}" in page


def test_catalogue_shows_every_case_under_every_code_it_expects():
    by_code = checks.triggers(conformance.cases())
    for code, cases in by_code.items():
        section = checks.section(specs()[code], cases)
        for case in cases:
            assert f"**Case `{case['id']}`**" in section


def test_long_example_values_are_shortened():
    block = checks.case_block({"id": "x", "file": "cases.yaml", "what": "w", "expect_codes": ["CELL_LENGTH"],
                               "edits": [{"set": {"value": "x" * 5000}}]}, "CELL_LENGTH")
    assert "(5000 characters)" in block and "x" * 200 not in block


def test_assumptions_are_flagged_in_the_dictionary():
    flagged = [(e["name"], f["name"]) for e in standard.descriptor()["resources"]
               for f in standard.schema(e["name"])["fields"] if dictionary.ASSUMPTION in f.get("description", "")]
    assert flagged
    resource, field = flagged[0]
    f = standard.field(resource, field)
    block = dictionary.field_block(resource, f)
    assert '!!! warning "Assumption (unpublished)"' in block
    assert dictionary.split_assumption(f["description"])[1][1:] in block


def test_unknown_schema_properties_are_still_shown():
    block = dictionary.field_block("x", {"name": "a", "type": "string", "description": "d",
                                         "constraints": {"exotic": 3}, "rdfType": "http://example.org/a"})
    assert "exotic" in block and "rdfType" in block


def test_codebook_build_fails_when_the_schemas_exist_but_the_tables_do_not(monkeypatch, tmp_path):
    monkeypatch.setattr(codebook, "package_dir", lambda: tmp_path)
    with pytest.raises(codebook.CodebookMissing, match="coding_themes"):
        codebook.page()


def test_codebook_says_not_available_without_coding_resources(monkeypatch, tmp_path):
    (tmp_path / "schemas").mkdir()
    survey_only = {**standard.descriptor(), "resources": [r for r in standard.descriptor()["resources"]
                                                         if r["name"].startswith("survey_")]}
    monkeypatch.setattr(standard, "SCHEMAS", tmp_path / "schemas")
    monkeypatch.setattr(standard, "descriptor", lambda: survey_only)
    assert "Not available yet" in codebook.page()


def test_reproduced_page_says_not_available_without_the_command(monkeypatch):
    monkeypatch.setattr(reproduced, "command_exists", lambda: False)
    page, assets = reproduced.generate()
    assert "Not available yet" in page and assets == {}
    assert "Published targets" in page and "Methods and assumptions" in page


def test_reproduced_page_fails_when_the_command_fails(monkeypatch, tmp_path):
    if not reproduced.command_exists():
        pytest.skip("pedcomm reproduce is not part of this version")
    (tmp_path / "datapackage.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(reproduced, "package_dir", lambda: tmp_path)
    with pytest.raises(reproduced.ReproduceFailed):
        reproduced.generate()


def test_links_to_reproduction_files_are_rewritten():
    text = "[md](survey_models.md) · [csv](survey_models.csv) · ![f](forest.png) · [x](https://example.org/a.csv)"
    out = reproduced.rewrite_links(text, {"survey_models.md", "survey_models.csv", "forest.png"})
    assert out == ("[md](#table-survey-models) · [csv](reproduced/survey_models.csv) · ![f](reproduced/forest.png)"
                   " · [x](https://example.org/a.csv)")


def test_hook_turns_any_generator_error_into_a_build_error(monkeypatch):
    from mkdocs.exceptions import PluginError

    from pedcomm.docsgen import hook

    def boom(_):
        raise ValueError("a broken source")

    monkeypatch.setattr(docsgen, "generate", boom)
    with pytest.raises(PluginError, match="a broken source"):
        hook.on_pre_build({"docs_dir": "docs"})


def test_generate_writes_only_changes_and_removes_stale_files(monkeypatch, tmp_path):
    monkeypatch.setattr(reproduced, "generate", lambda: ("# page\n", {"a.csv": b"1\n"}))
    docs = tmp_path / "docs"
    (docs / "schemas").mkdir(parents=True)
    (docs / "schemas" / "stale.json").write_text("{}")
    first = docsgen.generate(docs)
    assert (docs / "checks.md").is_file() and (docs / "reproduced" / "a.csv").read_bytes() == b"1\n"
    assert not (docs / "schemas" / "stale.json").exists()
    assert json.loads((docs / "schemas" / "survey_parents.json").read_text()) == standard.schema("survey_parents")
    assert len(first) > 5 and docsgen.generate(docs) == []


def test_generated_files_are_ignored_by_git():
    lines = set((REPO / ".gitignore").read_text(encoding="utf-8").splitlines())
    assert [g for g in docsgen.GENERATED if f"/docs/{g}" not in lines] == []


def test_write_if_changed_and_demote(tmp_path):
    p = tmp_path / "a" / "b.md"
    assert md.write_if_changed(p, "x") and not md.write_if_changed(p, "x")
    assert md.demote("# A\n```\n# not a heading\n```\n## B", 2) == "### A\n```\n# not a heading\n```\n#### B\n"
    assert md.cell("a|b\nc") == "a\\|b c"


def test_generated_pages_are_not_committed():
    """Generated pages live only in the build: none of them may be hand-edited into git."""
    import subprocess

    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files", "docs"], cwd=REPO, capture_output=True, text=True).stdout.split()
    generated = [t for t in tracked if any(t == f"docs/{g}" or t.startswith(f"docs/{g}") for g in docsgen.GENERATED)]
    assert generated == []


# -- the simulation-study page (issue 15): generated from the benchmark's results file ---------------

def _fake_results(coverages: dict[tuple[str, str, str], list[float]]) -> dict:
    terms = ["rare_parent_exposure", "common_parent_exposure"]
    rows = []
    for (estimator, correction, clustering), covs in coverages.items():
        name = f"{estimator} {correction} {clustering}"
        for term, cov in zip(terms, covs):
            rows.append({"method": name, "estimator": estimator, "correction": correction, "clustering": clustering,
                         "term": term, "planted_or": 5.84, "exposed_share": 0.08, "level": "parent", "replicates": 500,
                         "failed": 0, "median_or": 6.01, "bias_log_or": 0.0512, "bias_mc_se": 0.0151,
                         "empirical_se": 0.47, "mean_ci_width_log": 1.9, "coverage": cov, "coverage_mc_se": 0.0097})
    return {"command": "python benchmarks/sim_or_coverage.py --reps 500", "pedcomm": "0", "python": "3.11", "seconds": 1,
            "replicates": 500, "seed": 7,
            "design": {"parents": 252, "clinicians": 78, "share_of_parents_with_two_clinicians": 0.34,
                       "copula_correlation_clinician": 0.15, "copula_correlation_parent": 0.3, "baseline_risk": 0.15,
                       "relationships_median": 338, "clinician_clusters_range": [74, 78], "events_median": 90,
                       "rare_exposure_relationships_median": 27},
            "default": {"method": "gee", "correction": "bias_reduced", "cluster": "clinician_id+parent_id"},
            "rows": rows}


def test_simulation_page_shows_the_results_file_and_judges_the_default(tmp_path, monkeypatch):
    from pedcomm.docsgen import simulation
    from pedcomm.studies.survey.analysis import design as survey_design

    path = tmp_path / "sim.json"
    path.write_text(json.dumps(_fake_results({("gee", "none", "clinician"): [0.921, 0.944],
                                              ("gee", "bias_reduced", "two_way"): [0.951, 0.962]})))
    page = simulation.page(path)
    assert "GENERATED" in page and "500 simulated studies (seed 7)" in page
    assert "92.1%" in page and "96.2%" in page and "+0.051 (0.015)" in page
    assert "| gee bias_reduced two_way | **default** | 95.1% | 96.2% | yes |" in page
    assert "| gee none clinician |  | 92.1% | 94.4% | no |" in page
    assert "within the band for every odds ratio" in page and "Results written with another default" not in page
    # a default outside the band is said to be, and results written for another default are flagged
    cfg = {**survey_design.config(), "method": {**survey_design.config()["method"], "correction": "none",
                                                  "cluster": "clinician_id"}}
    monkeypatch.setattr(survey_design, "config", lambda: cfg)
    page = simulation.page(path)
    assert "NOT within the band" in page and "Results written with another default" in page
    assert "Not run" in simulation.page(tmp_path / "missing.json")


def test_shipped_simulation_results_cover_the_default_within_93_to_97_percent():
    """The committed benchmark results (benchmarks/results/sim_or_coverage.json) were written with
    survey.yaml's current default, over at least 500 replicates, with a rare exposure and crossed
    clustering, and the default covers every planted odds ratio within 93-97%."""
    from pedcomm.docsgen import simulation
    from pedcomm.studies.survey.analysis.design import config

    result = simulation.load()
    assert result is not None and result["replicates"] >= 500
    key = simulation.default_key(config()["method"])
    rows = [r for r in result["rows"] if (r["estimator"], r["correction"], r["clustering"]) == key]
    assert rows and all(0.93 <= r["coverage"] <= 0.97 for r in rows), [(r["term"], r["coverage"]) for r in rows]
    assert any(r["exposed_share"] <= 0.1 for r in rows)  # a rare exposure
    assert result["design"]["share_of_parents_with_two_clinicians"] > 0  # parents crossed with clinicians
    methods = {(r["estimator"], r["correction"], r["clustering"]) for r in result["rows"]}
    assert {("gee", "none", "clinician"), ("gee", "bias_reduced", "clinician"), ("glm_cluster", "none", "clinician"),
            ("gee", "none", "two_way"), ("glm_cluster", "none", "two_way")} <= methods


def test_the_scale_page_shows_the_browser_benchmark():
    """benchmarks/results/browser.json (benchmarks/bench_browser.py) becomes the page's "In the browser" table."""
    from pedcomm.docsgen import scale

    result = {"meta": {"command": "python benchmarks/bench_browser.py", "date": "2026-12-07", "cpus": 2,
                       "chromium": "Chromium 156", "duckdb_wasm": "1.32.0", "uptime": "load average: 1.00"},
              "rows": [{"relationships": 100000, "rows": 1310272, "csv_mb": 50.7, "browser_s": 25.85, "cli_s": 12.9,
                        "browser_load": 1.5, "status": "valid"}]}
    text = "\n".join(scale.browser_section(result))
    assert "| 100,000 | 1,310,272 | 51 | 25.9 | 12.9 | 2.0 | valid | 1.5 |" in text
    assert "DuckDB-WASM 1.32.0" in text and "Chromium 156" in text
    assert "No results yet" in "\n".join(scale.browser_section(None))
    assert "## In the browser" in scale.page()
