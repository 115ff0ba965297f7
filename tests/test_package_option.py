"""Which package a command works on: a --package that names none is a coded refusal (with the close names),
and reproduce/export without a package take the one of the working folder before the shipped example."""

from __future__ import annotations

import contextlib
import json
import shutil

import pytest
from typer.testing import CliRunner

from pedcomm.cli import app
from pedcomm.validation.conformance import SUITE

from .conftest import REPO

runner = CliRunner()
EXPORT = REPO / "docs" / "examples" / "redcap-export.csv"


@pytest.fixture()
def site(tmp_path):
    r = runner.invoke(app, ["init", "--site", "SITE1", "--name", "Example Children's Hospital", "--out", str(tmp_path / "my-site")])
    assert r.exit_code == 0, r.output
    return tmp_path


@pytest.mark.parametrize("command", [
    ["redcap", "import", str(EXPORT), "--out", "OUT"],
    ["redcap", "dictionary", "--out", "OUT.csv"],
    ["redcap", "project", "--out", "OUT.xml"],
    ["qda", "import", str(SUITE / "files/qda/untimed-transcript.qdpx"), "--out", "OUT"],
    ["qda", "maps", str(SUITE / "files/qda/untimed-transcript.qdpx"), "--out", "OUT"],
    ["qda", "export", "OUT.qdpx"],
    ["qda", "export-codebook", "--out", "OUT.qdc"],
])
def test_a_mistyped_package_is_a_coded_refusal_naming_the_close_one(command, site):
    with contextlib.chdir(site):
        r = runner.invoke(app, [*command, "--package", "my-stie"])
        assert r.exit_code == 2, r.output
        assert "OPTION_INVALID" in r.output and "Traceback" not in r.output
        assert "The option --package is 'my-stie': no such file or folder (did you mean my-site?)" in " ".join(r.output.split())
        assert sorted(p.name for p in site.iterdir()) == ["my-site"]  # nothing written


def test_a_package_without_the_survey_instruments_is_refused_for_a_redcap_import(tmp_path):
    r = runner.invoke(app, ["redcap", "import", str(EXPORT), "--package", str(SUITE / "valid_coding"),
                            "--out", str(tmp_path / "out"), "--format", "json"])
    assert r.exit_code == 2, r.output
    finding = json.loads(r.stdout)["findings"][0]
    assert finding["code"] == "OPTION_INVALID" and "has no readable survey_items, survey_sites" in finding["message"]


def test_reproduce_without_a_path_takes_the_package_of_the_working_folder(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    shutil.copy(SUITE / "valid" / "datapackage.json", pkg)
    for d in ("data", "schemas"):
        shutil.copytree(SUITE / "valid" / d, pkg / d)
    with contextlib.chdir(pkg):
        r = runner.invoke(app, ["reproduce", "--out", str(tmp_path / "out")])
    assert "No package given: using the package in this folder (datapackage.json)." in r.output
    # the minimal valid package (two parents) is too small for the models, which says it, not the example, was used
    assert r.exit_code == 1 and "CLUSTERS_TOO_FEW" in r.output and "Compared 51 published targets" not in r.output
    with contextlib.chdir(tmp_path):  # a folder without a package: the shipped example, said so
        r = runner.invoke(app, ["export", "--format", "parquet", "--out", str(tmp_path / "ex")])
    assert r.exit_code == 0, r.output
    assert "none in this folder: using the shipped SYNTHETIC example package" in " ".join(r.output.split())


def test_selftest_says_what_it_is_checking_while_it_runs(monkeypatch):
    """The conformance suite takes minutes: the self-test reports each case as it starts it, and a case whose
    findings differ from what it expects fails the self-test by name. (Three of the suite's cases here: the
    whole suite runs in tests/test_conformance.py, and `pedcomm selftest` in full from the installed wheel in
    tests/test_install.py, through docs/install.md.)"""
    import copy

    from pedcomm.commands.selftest import run
    from pedcomm.validation import conformance

    every = conformance.cases()
    picked = [every[0], every[len(every) // 2], every[-1]]
    monkeypatch.setattr(conformance, "cases", lambda: picked)
    heard: list[str] = []
    results = list(run(progress=heard.append))
    assert all(ok for ok, _ in results), [w for ok, w in results if not ok]
    assert heard[:2] == ["the check registry", "validating the SYNTHETIC example package"]
    assert heard[2:] == [f"conformance case {i} of 3 ({c['id']})" for i, c in enumerate(picked, start=1)]
    assert results[-1] == (True, "conformance suite: 3 of 3 cases give their expected findings")

    wrong = copy.deepcopy(picked[1])
    wrong["expect_codes"] = ["NOT_A_CODE"]
    monkeypatch.setattr(conformance, "cases", lambda: [picked[0], wrong])
    ok, words = list(run())[-1]
    assert not ok and "1 of 2" in words and wrong["id"] in words, words
