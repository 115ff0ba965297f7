"""The conformance suite: the valid example is clean; every invalid case yields exactly its codes."""

import json

import pytest

from pedcomm.validation.conformance import SUITE, cases, check_case, materialize
from pedcomm.validation.run import validate

CASES = cases()


def test_valid_example_has_no_findings():
    result = validate(SUITE / "valid")
    assert result.report.findings == []
    assert result.report.exit_code == 0
    assert len(result.tables) == len(result.package.resources)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case, tmp_path):
    assert check_case(case, tmp_path) == []


def test_every_case_lists_the_exact_set_of_its_findings():
    """Every case names its findings (code, resource, row, field), not only its codes: the comparison
    is of exact sets, so a case without ``expect`` would expect no finding at all."""
    for case in CASES:
        assert case.get("expect"), case["id"]
        assert {e["code"] for e in case["expect"]} == set(case["expect_codes"]), case["id"]


def test_check_case_reports_each_kind_of_difference(tmp_path):
    """The comparison itself can fail: a case expecting the wrong code, row and exit is told so."""
    case = next(c for c in CASES if len(c.get("expect", [])) == 1 and c["expect"][0].get("row") and c["exit"] == 1)
    wrong = {**case, "expect_codes": ["CELL_ENUM_NOT_A_CODE"], "exit": 0,
             "expect": [{**case["expect"][0], "row": 10**6}]}
    problems = check_case(wrong, tmp_path)
    assert len(problems) == 4, problems
    assert problems[0].startswith("codes ") and problems[1].startswith("findings not expected")
    assert problems[2].startswith("no finding") and str(10**6) in problems[2] and problems[3].startswith("exit code 1")


def test_a_finding_beyond_the_expected_set_fails_the_case(tmp_path):
    """A subset is not enough: a case whose expected set leaves out one of its findings fails."""
    case = next(c for c in CASES if len(c.get("expect", [])) >= 2)
    problems = check_case({**case, "expect": case["expect"][1:]}, tmp_path)
    assert len(problems) == 1 and problems[0].startswith("findings not expected"), problems


def test_case_ids_unique():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_through_the_command_line(case, tmp_path):
    """What a data manager sees: the exit code, the code named, and never a traceback. The JSON report is
    byte-identical to the one recorded before the restructurings (tests/baseline/digests.json, apart from
    the changes documented in tests/baseline/snapshot.py)."""
    import contextlib

    from typer.testing import CliRunner

    from pedcomm.cli import app

    from .baseline import snapshot

    materialize(case, tmp_path)
    with contextlib.chdir(tmp_path):  # as `pedcomm validate pkg --format json` in the case's folder
        result = CliRunner().invoke(app, ["validate", "pkg", "--format", "json"])
    assert result.exit_code == case["exit"], result.output
    assert "Traceback" not in result.output and "Exception ignored" not in result.output
    report = json.loads(result.stdout)
    assert {f["code"] for f in report["findings"]} == set(case["expect_codes"])
    recorded = json.loads(snapshot.DIGESTS.read_text(encoding="utf-8"))["conformance"][case["id"]]
    assert snapshot.conformance_digest(result.stdout.encode("utf-8")) == recorded, "the JSON report differs from the baseline"


SECRET_CASES = [c for c in CASES if c.get("secret")]


@pytest.mark.parametrize("case", SECRET_CASES, ids=[c["id"] for c in SECRET_CASES])
def test_masked_values_never_appear_in_any_report(case, tmp_path):
    """Issue 16: one masking path. The planted identifier is absent from the terminal report, the
    JSON report and a report file, and appears with --show-values (where the check shows it at all)."""
    from typer.testing import CliRunner

    from pedcomm.cli import app

    pkg = materialize(case, tmp_path)
    runner, secret = CliRunner(), case["secret"]
    for fmt in ("text", "json"):
        r = runner.invoke(app, ["validate", str(pkg), "--format", fmt])
        assert r.exit_code == case["exit"] and secret not in r.output, (fmt, r.output)
        report = tmp_path / f"report.{fmt}"
        runner.invoke(app, ["validate", str(pkg), "--format", fmt, "-o", str(report)])
        assert secret not in report.read_text(encoding="utf-8")
    if case.get("shown_with_show_values", True):
        r = runner.invoke(app, ["validate", str(pkg), "--format", "json", "--show-values"])
        assert secret in r.output
