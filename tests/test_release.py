"""The standard as a release (`pedcomm standard`), the descriptor profile, versions and the self-test."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
import sys

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from pedcomm import __version__, standard
from pedcomm.cli import app
from pedcomm.validation.conformance import SUITE
from pedcomm.standard.profile import profile

from .conftest import REPO

runner = CliRunner()


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "standard"
    r = runner.invoke(app, ["standard", "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out


def test_version_prints_tool_and_standard_versions():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0
    std_version = json.loads((REPO / "datapackage.json").read_text())["version"]
    init = re.search(r'__version__ = "([^"]+)"', (REPO / "src/pedcomm/_base.py").read_text())[1]
    assert r.output.strip() == f"pedcomm {init}, standard {std_version}"


def test_release_copies_equal_their_sources(release):
    for name in standard.resource_names():
        assert (release / "schemas" / f"{name}.json").read_bytes() == (REPO / "schemas" / f"{name}.json").read_bytes()
    assert (release / "validation" / "checks.yaml").read_bytes() == (REPO / "validation" / "checks.yaml").read_bytes()
    for f in ("CITATION.cff", "CHANGELOG.md"):
        assert (release / f).read_bytes() == (REPO / f).read_bytes()
    suite = sorted(p.relative_to(SUITE) for p in SUITE.rglob("*") if p.is_file())
    assert suite and all((release / "validation" / "conformance" / p).read_bytes() == (SUITE / p).read_bytes() for p in suite)
    for n in ("survey_items", "coding_themes", "coding_codes"):  # the shared definitions: the example's rows
        assert (release / "data" / f"{n}.csv").read_bytes() == (REPO / "data" / f"{n}.csv").read_bytes()


def test_release_generated_files_equal_what_the_commands_write(release, tmp_path):
    r = runner.invoke(app, ["redcap", "dictionary", "--out", str(tmp_path / "d.csv")])
    assert r.exit_code == 0, r.output
    assert (release / "redcap" / "pedcomm_redcap_dictionary.csv").read_bytes() == (tmp_path / "d.csv").read_bytes()
    r = runner.invoke(app, ["qda", "export-codebook", "--out", str(tmp_path / "c.qdc")])
    assert r.exit_code == 0, r.output
    assert (release / "codebook" / "pedcomm_codebook.qdc").read_bytes() == (tmp_path / "c.qdc").read_bytes()


def test_release_tables_are_header_only_except_the_shared_definitions(release):
    desc = json.loads((release / "datapackage.json").read_text())
    assert [r["name"] for r in desc["resources"]] == standard.resource_names()
    assert desc["pedcomm"] == {"site": "YOUR_SITE_ID", "schemaVersion": standard.version()}
    assert "synthetic data" not in desc.get("keywords", [])
    for r in desc["resources"]:
        if r["name"] in ("survey_items", "coding_themes", "coding_codes"):
            continue
        lines = (release / r["path"]).read_text().splitlines()
        assert lines == [",".join(f["name"] for f in standard.schema(r["name"])["fields"])], r["name"]


def test_release_folder_is_itself_a_valid_empty_package(release):
    r = runner.invoke(app, ["validate", str(release), "--format", "json"])
    rep = json.loads(r.output)
    assert r.exit_code == 0 and rep["status"] == "valid" and rep["errors"] == 0, rep["findings"][:5]


def test_manifest_lists_every_file_with_its_hash(release):
    manifest = json.loads((release / "manifest.json").read_text())
    on_disk = sorted(p.relative_to(release).as_posix() for p in release.rglob("*")
                     if p.is_file() and p.name != ".pedcomm-output.json")  # the output marker is pedcomm's, not the release's
    assert sorted([f["path"] for f in manifest["files"]] + ["manifest.json"]) == on_disk
    for f in manifest["files"]:
        data = (release / f["path"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (f["bytes"], f["sha256"]), f["path"]
    assert (manifest["version"], manifest["schema_version"]) == (__version__, standard.version())
    readme = (release / "README.md").read_text()
    assert all(f"`{f['path']}`" in readme for f in manifest["files"])


def test_release_is_byte_identical_on_rerun(release, tmp_path):
    again = tmp_path / "again"
    assert runner.invoke(app, ["standard", "--out", str(again)]).exit_code == 0
    files = sorted(p.relative_to(release) for p in release.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((release / f).read_bytes() == (again / f).read_bytes() for f in files)


# -- the descriptor profile (a JSON Schema) -----------------------------------------------------

@pytest.fixture(scope="module")
def validator(release):
    schema = json.loads((release / "profile" / "datapackage.profile.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == profile()
    return jsonschema.Draft202012Validator(schema)


def test_profile_accepts_the_packages_pedcomm_accepts(validator, release):
    for path in (REPO / "datapackage.json", SUITE / "valid" / "datapackage.json",
                 SUITE / "valid_coding" / "datapackage.json", release / "datapackage.json"):
        errors = [e.message for e in validator.iter_errors(json.loads(path.read_text()))]
        assert errors == [], (path, errors)


def _without(desc: dict, name: str) -> dict:
    d = copy.deepcopy(desc)
    d["resources"] = [r for r in d["resources"] if r["name"] != name]
    return d


@pytest.mark.parametrize("mutate, why", [
    (lambda d: {k: v for k, v in d.items() if k != "pedcomm"}, "no site declaration"),
    (lambda d: {**d, "pedcomm": {"site": "bad site id!", "schemaVersion": "0.1.0"}}, "site id"),
    (lambda d: {**d, "pedcomm": {"site": "A", "sites": ["A"], "schemaVersion": "0.1.0"}}, "site and sites"),
    (lambda d: {**d, "pedcomm": {"site": "A", "schemaVersion": "one"}}, "version"),
    (lambda d: _without(d, "survey_items"), "a survey resource missing"),
    (lambda d: _without(d, "coding_codes"), "a coding resource missing"),
    (lambda d: {**d, "resources": [{**d["resources"][0], "path": "../../etc/passwd"}] + d["resources"][1:]}, "path escapes"),
    (lambda d: {**d, "resources": [{**d["resources"][0], "path": "https://example.org/x.csv"}] + d["resources"][1:]}, "a URL"),
])
def test_profile_rejects_what_the_validator_rejects(validator, mutate, why):
    desc = mutate(json.loads((REPO / "datapackage.json").read_text()))
    assert list(validator.iter_errors(desc)), why


def test_profile_accepts_a_package_of_one_study(validator):
    desc = json.loads((REPO / "datapackage.json").read_text())
    survey_only = {**desc, "resources": [r for r in desc["resources"] if r["name"].startswith("survey_")]}
    assert list(validator.iter_errors(survey_only)) == []


# -- the example and the self-test --------------------------------------------------------------

def test_example_command_copies_the_shipped_package(tmp_path):
    r = runner.invoke(app, ["example", "--out", str(tmp_path / "ex")])
    assert r.exit_code == 0, r.output
    desc = json.loads((REPO / "datapackage.json").read_text())
    for res in desc["resources"]:
        assert (tmp_path / "ex" / res["path"]).read_bytes() == (REPO / res["path"]).read_bytes()
        assert (tmp_path / "ex" / res["schema"]).read_bytes() == (REPO / res["schema"]).read_bytes()
    r = runner.invoke(app, ["example", "--out", str(tmp_path / "ex")])
    assert r.exit_code == 2 and "exists" in r.output


def test_a_broken_installation_is_told_without_a_traceback(tmp_path):
    """The standard's files missing (a wheel built wrongly): a message and exit 2, not a traceback."""
    pkg = tmp_path / "site" / "pedcomm"
    src = REPO / "src" / "pedcomm"
    import shutil

    shutil.copytree(src, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    code = "import sys; sys.argv=['pedcomm', 'validate', '.']; from pedcomm.cli import main; main()"
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                       env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "the pedcomm standard files are missing" in r.stderr


def test_changelog_states_the_rules_for_both_versions():
    text = (REPO / "CHANGELOG.md").read_text()
    rules = text.split("## Versioning rules", 1)[1].split("\n## ", 1)[0]
    assert "### The standard" in rules and "### The tool" in rules
    for part in ("**major**", "**minor**", "**patch**"):
        assert rules.count(part) == 2, part


def test_citation_and_zenodo_cite_the_tool_version():
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    zenodo = json.loads((REPO / ".zenodo.json").read_text())
    assert cff["version"] == zenodo["version"] == __version__
