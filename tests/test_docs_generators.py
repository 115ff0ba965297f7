"""The page generators, on their own: fast, and on the failure paths the site build must not hide."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pedcomm import conformance, docsgen, standard
from pedcomm.docsgen import checks, codebook, dictionary, md, reproduced
from pedcomm.registry import specs

REPO = Path(__file__).resolve().parents[1]


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
