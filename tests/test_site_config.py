"""Site configuration (site.yaml): justified severity overrides, listed in the report; errors that
would break the analyses cannot be changed; and the site declaration a package carries."""

import json

import pytest
import yaml
from typer.testing import CliRunner

from pedcomm import standard
from pedcomm.cli import app
from pedcomm.standard.declaration import compatibility, read
from pedcomm.validation import config as C
from pedcomm.validation.conformance import materialize
from pedcomm.validation.report.render import to_terminal
from pedcomm.validation.run import validate

runner = CliRunner()
WHY = "Reviewed by our privacy officer; the flagged text is a public name."


def override(code, severity, **kw):
    return {"code": code, "severity": severity, "justification": WHY, **kw}


@pytest.fixture
def flagged(tmp_path):
    """Valid but for a local column (warning) and a name in the site name (non-blocking error)."""
    return materialize({"edits": [
        {"add_column": {"resource": "survey_parents", "field": "local_flag", "value": "1"}},
        {"set": {"resource": "survey_sites", "row": 2, "field": "site_name", "value": "Dr. Alvarez clinic"}},
    ]}, tmp_path)


@pytest.mark.parametrize("data, fragment", [
    ({"overrides": [override("NOT_A_CODE", "warning")]}, "is not a pedcomm check code"),
    ({"overrides": [override("FOREIGN_KEY", "warning")]}, "cannot be overridden"),
    ({"overrides": [override("PACKAGE_UNREADABLE", "ignore")]}, "cannot be overridden"),
    ({"overrides": [{"code": "COLUMN_UNKNOWN", "severity": "ignore"}]}, "justification"),
    ({"overrides": [{"code": "COLUMN_UNKNOWN", "severity": "ignore", "justification": "ok"}]}, "justification"),
    ({"overrides": [override("COLUMN_UNKNOWN", "silent")]}, "severity must be one of"),
    ({"overrides": [override("COLUMN_UNKNOWN", "ignore", field="x")]}, "needs its 'resource'"),
    ({"overrides": [override("COLUMN_UNKNOWN", "ignore", resource="nope")]}, "not a standard resource"),
    ({"overrides": [override("COLUMN_UNKNOWN", "ignore", reason="x")]}, "unknown keys"),
    ({"sites": "S1"}, "unknown keys"),
    (["a list"], "YAML mapping"),
])
def test_unusable_configurations_are_refused_with_the_reason(data, fragment):
    with pytest.raises(C.ConfigError, match=fragment):
        C.parse(data)


def test_blocking_codes_are_exactly_the_ones_that_cannot_be_changed():
    from pedcomm.validation.registry import specs

    for code, s in specs().items():
        data = {"overrides": [override(code, "warning")]}
        if s.blocking or s.fatal:
            with pytest.raises(C.ConfigError):
                C.parse(data)
        else:
            assert C.parse(data).overrides[0].code == code


def test_overrides_change_severities_and_are_all_listed(flagged):
    assert validate(flagged).report.status == "invalid"
    cfg = C.parse({"site": "S1", "overrides": [
        override("COLUMN_UNKNOWN", "ignore", resource="survey_parents", field="local_flag"),
        override("TEXT_IDENTIFIER", "warning", resource="survey_sites"),
        override("SURVEY_TIMING", "warning")]})  # matches nothing here: still listed
    report = validate(flagged, config=cfg).report
    assert report.status == "valid" and report.totals() == {"error": 0, "warning": 1, "info": 0}
    assert [f.code for f in report.findings] == ["TEXT_IDENTIFIER"] and report.findings[0].severity == "warning"
    listed = {o["code"]: o for o in report.meta["overrides"]}
    assert set(listed) == {"COLUMN_UNKNOWN", "TEXT_IDENTIFIER", "SURVEY_TIMING"}
    assert (listed["COLUMN_UNKNOWN"]["findings"], listed["TEXT_IDENTIFIER"]["findings"], listed["SURVEY_TIMING"]["findings"]) == (1, 1, 0)
    assert listed["TEXT_IDENTIFIER"]["from"] == "error" and listed["TEXT_IDENTIFIER"]["to"] == "warning"
    ignored = [r for r in report.runs.values() if r.code == "COLUMN_UNKNOWN" and r.field == "local_flag"]
    assert ignored[0].status == "ignored" and WHY in ignored[0].reason


def test_an_override_applies_only_to_its_scope(flagged):
    cfg = C.parse({"overrides": [override("TEXT_IDENTIFIER", "warning", resource="survey_items")]})
    report = validate(flagged, config=cfg).report
    assert report.status == "invalid"
    assert [o["findings"] for o in report.meta["overrides"]] == [0]


def test_a_configuration_for_another_site_is_refused(flagged):
    cfg = C.parse({"site": "ELSEWHERE", "overrides": [override("COLUMN_UNKNOWN", "ignore")]})
    report = validate(flagged, config=cfg).report
    assert report.codes() == {"SITE_CONFIG_INVALID"} and report.exit_code == 2
    assert "ELSEWHERE" in report.findings[0].message


def test_cli_lists_every_override_with_its_justification(flagged, tmp_path):
    cfg = tmp_path / "site.yaml"
    cfg.write_text(yaml.safe_dump({"site": "S1", "overrides": [
        override("COLUMN_UNKNOWN", "ignore", resource="survey_parents"), override("TEXT_IDENTIFIER", "warning")]}))
    text = runner.invoke(app, ["validate", str(flagged), "--config", str(cfg)])
    assert text.exit_code == 0
    assert "Site configuration overrides" in text.stdout and "privacy officer" in text.stdout
    assert "TEXT_IDENTIFIER (everywhere): error -> warning, 1 finding." in text.stdout
    rep = json.loads(runner.invoke(app, ["validate", str(flagged), "--config", str(cfg), "--format", "json"]).stdout)
    assert rep["status"] == "valid" and [o["code"] for o in rep["overrides"]] == ["COLUMN_UNKNOWN", "TEXT_IDENTIFIER"]
    assert {c["severity"] for c in rep["checks"] if c["code"] == "TEXT_IDENTIFIER" and c["resource"] == "survey_sites"} == {"warning"}


@pytest.mark.parametrize("content", ["overrides: [\n  - code: FOREIGN_KEY\n", "overrides:\n  - {code: FOREIGN_KEY, severity: ignore, justification: 'x' }\n"])
def test_cli_refuses_a_broken_configuration_with_exit_2(flagged, tmp_path, content):
    cfg = tmp_path / "site.yaml"
    cfg.write_text(content)
    r = runner.invoke(app, ["validate", str(flagged), "--config", str(cfg)])
    assert r.exit_code == 2 and "SITE_CONFIG_INVALID" in r.stdout
    missing = runner.invoke(app, ["validate", str(flagged), "--config", str(tmp_path / "absent.yaml")])
    assert missing.exit_code == 2 and "cannot be read" in missing.stdout


def test_terminal_escapes_justifications(flagged):
    from rich.console import Console

    cfg = C.parse({"overrides": [{"code": "COLUMN_UNKNOWN", "severity": "ignore",
                                  "justification": "Kept as [bold]local[/bold] audit column, removed on export."}]})
    c = Console(record=True, width=200, file=open("/dev/null", "w"))
    to_terminal(validate(flagged, config=cfg).report, c)
    assert "[bold]local[/bold]" in c.export_text()


# -- the site declaration ---------------------------------------------------------------------

def test_declarations_are_read_and_judged():
    version = standard.descriptor()["version"]
    assert read({"pedcomm": {"site": "DFCI", "schemaVersion": version}}).site == "DFCI"
    assert read({"pedcomm": {"sites": ["A", "B"], "schemaVersion": version}}).sites == ["A", "B"]
    assert "missing" in read({}).problems[0]
    assert read({"pedcomm": {"site": "A B", "schemaVersion": "1"}}).problems == [
        "invalid: 'site' must be a site id of letters, digits, '_', '.' and '-' (at most 24 characters)",
        f"invalid: 'schemaVersion' must be a semantic version such as {version}"]
    assert read({"pedcomm": {"site": "A", "sites": ["A"], "schemaVersion": version}}).problems
    assert [compatibility(a, "0.1.0") for a in ("0.1.3", "0.2.0", "1.1.0", "x")] == ["same", "minor", "major", "major"]


def test_shipped_and_synthetic_packages_declare_their_site(repo, tmp_path):
    desc = json.loads((repo / "datapackage.json").read_text())
    assert desc["pedcomm"] == {"site": "EXAMPLE", "schemaVersion": desc["version"]}
    real = standard.build_descriptor(["survey_sites"], synthetic=False, name="x", title="x", description="x")
    assert real["pedcomm"] == {"schemaVersion": desc["version"]}  # a real site never claims the example's site
    mine = standard.build_descriptor(["survey_sites"], synthetic=False, name="x", title="x", description="x", site="DFCI")
    assert mine["pedcomm"] == {"site": "DFCI", "schemaVersion": desc["version"]}


def test_a_definitions_only_package_needs_no_site(tmp_path):
    case = {"base": "valid_coding", "edits": [{"descriptor_set": {"resource": None, "key": "pedcomm", "value": None}}]}
    pkg = materialize(case, tmp_path)
    desc = json.loads((pkg / "datapackage.json").read_text())
    desc["resources"] = [r for r in desc["resources"] if r["name"] in ("coding_themes", "coding_codes")]
    (pkg / "datapackage.json").write_text(json.dumps(desc))
    report = validate(pkg).report
    assert "SITE_DECLARATION" not in report.codes()
    assert [r.status for r in report.runs.values() if r.code == "SITE_DECLARATION"] == ["not_applicable"]
