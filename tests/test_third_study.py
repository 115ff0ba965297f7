"""A third study plugs in through its own folder and one registration line (issue 13).

The test copies the source tree into a temporary folder, adds the made-up study of
tests/fixtures/third_study/ as src/pedcomm/studies/third/ and one line to
src/pedcomm/studies/__init__.py, checks that nothing else differs from the repository's tree, and
runs the copy's commands in a fresh interpreter: `synth`, `validate`, `reproduce`, `summarize`,
`meta` and the docs generator each pick the study up from its record. The standard's files
(datapackage.json, schemas/, validation/, data/) are linked, not copied: the study adds nothing
to them.
"""

from __future__ import annotations

import difflib
import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "third_study"
REGISTRATION = '    "third",  # a made-up study of the test fixture\n'


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("third")
    src = root / "src" / "pedcomm"
    shutil.copytree(REPO / "src" / "pedcomm", src, ignore=shutil.ignore_patterns("__pycache__", "_standard"))
    for name in ("datapackage.json", "schemas", "validation", "data", "CITATION.cff", "CHANGELOG.md"):
        (root / name).symlink_to(REPO / name)
    # the registration: the study's folder ...
    shutil.copytree(FIXTURE, src / "studies" / "third", ignore=shutil.ignore_patterns("__pycache__", "README.md"))
    # ... and one line after the last registered study
    init = src / "studies" / "__init__.py"
    lines = init.read_text(encoding="utf-8").splitlines(keepends=True)
    last = max(i for i, line in enumerate(lines) if line.lstrip().startswith('"'))  # the registered folders
    lines.insert(last + 1, REGISTRATION)
    init.write_text("".join(lines), encoding="utf-8")
    return root


def run(copy: Path, *args: str, code: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(copy / "src"), "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "200"}
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-c", "from pedcomm.cli import main; main()", *args]
    return subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True, timeout=600)


def test_registering_touches_only_the_study_folder_and_one_line(copy):
    before, after = _tree(REPO / "src" / "pedcomm"), _tree(copy / "src" / "pedcomm")
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    assert changed == ["studies/__init__.py"]
    assert not before.keys() - after.keys()
    assert sorted(after.keys() - before.keys()) == sorted(f"studies/third/{k}" for k in _tree(FIXTURE) if k != "README.md")
    diff = [d for d in difflib.ndiff(before["studies/__init__.py"].decode().splitlines(keepends=True),
                                     after["studies/__init__.py"].decode().splitlines(keepends=True)) if d[0] in "+-"]
    assert diff == ["+ " + REGISTRATION]
    for name in ("datapackage.json", "schemas", "validation"):
        assert (copy / name).resolve() == REPO / name  # the standard's files: the repository's, untouched


def test_the_copy_runs_the_copy(copy):
    r = run(copy, code="import pedcomm, pedcomm.standard as s; print(pedcomm.__file__); print(s.ROOT)")
    assert r.returncode == 0, r.stderr
    module, root = r.stdout.split()
    assert Path(module).is_relative_to(copy / "src") and Path(root) == copy


def test_synth_validate_reproduce_summarize_and_meta_pick_it_up(copy, tmp_path):
    r = run(copy, "synth", "--help")
    assert r.returncode == 0 and "third" in r.stdout, r.stdout + r.stderr
    pkg = tmp_path / "pkg"
    r = run(copy, "synth", "third", "--out", str(pkg))
    assert r.returncode == 0, r.stderr
    desc = json.loads((pkg / "datapackage.json").read_text())
    assert [x["name"] for x in desc["resources"]] == ["third_visits"]
    assert filecmp.cmp(pkg / "schemas" / "third_visits.json", FIXTURE / "schemas" / "third_visits.json", shallow=False)

    r = run(copy, "validate", str(pkg), "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads(r.stdout)
    assert report["status"] == "valid" and not report["findings"]
    assert any(c["code"] == "THIRD_VISIT_LONG" for c in report["checks"]), report["checks"]

    # the study's semantic check, with its threshold from its own registry entry
    bad = tmp_path / "bad"
    shutil.copytree(pkg, bad)
    rows = (bad / "data" / "third_visits.csv").read_text().splitlines()
    rows[3] = rows[3].split(",")[0] + ",300"
    (bad / "data" / "third_visits.csv").write_text("\n".join(rows) + "\n")
    r = run(copy, "validate", str(bad), "--format", "json")
    findings = json.loads(r.stdout)["findings"]
    assert [(f["code"], f["resource"], f["field"], f["row"]) for f in findings] == [
        ("THIRD_VISIT_LONG", "third_visits", "minutes", 4)], findings
    assert "longer than 120" in findings[0]["message"]

    out = tmp_path / "reproduced"
    r = run(copy, "reproduce", str(pkg), "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    minutes = [int(line.split(",")[1]) for line in (pkg / "data" / "third_visits.csv").read_text().splitlines()[1:]]
    table = (out / "third_visits_summary.csv").read_text().splitlines()
    assert table[0] == "visits,mean_minutes,long_visits"
    visits, mean, long = table[1].split(",")
    assert (int(visits), float(mean), int(long)) == (40, round(sum(minutes) / 40, 2), sum(m > 60 for m in minutes))

    sites = tmp_path / "sites"
    r = run(copy, "synth", "third", "--sites", "2", "--out", str(sites))
    assert r.returncode == 0, r.stderr
    docs = []
    for site in ("SITE1", "SITE2"):
        r = run(copy, "summarize", str(sites / site), "--out", str(tmp_path / f"{site}.json"))
        assert r.returncode == 0, r.stdout + r.stderr
        doc = json.loads((tmp_path / f"{site}.json").read_text())
        assert doc["study"] == "third" and doc["site"] == site
        minutes = [int(line.split(",")[1]) for line in (sites / site / "data" / "third_visits.csv").read_text().splitlines()[1:]]
        (t,) = doc["tables"]
        short, long = sum(m <= 60 for m in minutes), sum(m > 60 for m in minutes)
        assert t["cells"] == [[short], [long]] and t["column_totals"] == [40]  # no count below the threshold here
        docs.append((short, long))
    r = run(copy, "meta", str(tmp_path / "SITE1.json"), str(tmp_path / "SITE2.json"), "--out", str(tmp_path / "meta"))
    assert r.returncode == 0, r.stdout + r.stderr
    pooled = (tmp_path / "meta" / "pooled_tables.csv").read_text()
    assert f"up to an hour,visits,{docs[0][0] + docs[1][0]}" in pooled.replace('"', ""), pooled


def test_the_docs_generator_picks_it_up(copy):
    r = run(copy, code=(
        "from pedcomm.docsgen import checks, dictionary, reproduced\n"
        "print(dictionary.page()); print('=====')\n"
        "print(checks.page()); print('=====')\n"
        "print(sorted(dictionary.schema_files())); print('=====')\n"
        "print(reproduced.assumptions_section())\n"))
    assert r.returncode == 0, r.stderr
    dictionary, catalogue, schemas, assumptions = r.stdout.split("=====")
    assert "third_visits" in dictionary and "Length of the visit (minutes)" in dictionary
    assert "THIRD_VISIT_LONG" in catalogue and "Visit longer than 120 minutes" in catalogue
    assert "schemas/third_visits.json" in schemas
    assert "third.yaml" in assumptions and "A visit of more than an hour counts as long" in assumptions
