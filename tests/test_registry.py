"""The registry is complete: every code implemented, exemplified, and no code emitted unregistered."""

import ast
import re
from pathlib import Path

import pedcomm
from pedcomm.commands.registered import load_all
from pedcomm.validation.conformance import cases
from pedcomm.validation.registry import CATEGORIES, IMPLEMENTATIONS, SEVERITIES, specs

load_all()  # registers every implementation
SRC = Path(pedcomm.__file__).resolve().parent
EMITTERS = {"add", "add_many", "ran", "not_applicable"}


def emitted_codes() -> dict[str, set[str]]:
    """Every string literal passed as the code to a report method, per source file, and every code
    the check engine's SQL writes into its results (a code literal in a step of the plan)."""
    from pedcomm.validation.engine.plan import plan

    out: dict[str, set[str]] = {}
    p = plan()
    for step in [*p.steps, *p.column_steps]:
        for sql in step.sql:
            for code in re.findall(r"'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'", sql):
                out.setdefault(code, set()).add(f"engine:{step.id}")
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in EMITTERS and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                out.setdefault(node.args[0].value, set()).add(path.name)
    return out


def test_registry_entries_well_formed():
    for code, s in specs().items():
        assert re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", code), code
        assert s.severity in SEVERITIES and s.category in CATEGORIES, code
        assert s.title and s.message and s.action and len(s.description) > 20, code
        assert s.scope in ("package", "resource", "row", "cell"), code
        if s.fatal:
            assert s.severity == "error"


def test_every_code_has_an_implementation():
    assert set(specs()) - set(IMPLEMENTATIONS) == set()


def test_no_implementation_emits_an_unregistered_code():
    emitted = emitted_codes()
    assert set(emitted) - set(specs()) == set(), emitted


def test_every_registered_code_is_emitted_somewhere():
    assert set(specs()) - set(emitted_codes()) == set()


def test_every_code_has_a_minimal_invalid_example():
    exemplified = {code for c in cases() for code in c["expect_codes"]}
    elsewhere = {code for code, s in specs().items() if s.example}  # an input file, not a package edit
    assert set(specs()) - exemplified - elsewhere == set()


def test_declared_example_files_exist_and_produce_their_code(tmp_path):
    from pedcomm.validation.conformance import SUITE
    from pedcomm.commands.examples import run_example

    for code, s in specs().items():
        if s.example:
            path = SUITE / s.example
            assert path.is_file(), f"{code}: example {s.example} not found"
            assert code in run_example(path, tmp_path / code).codes(), code


def test_the_plan_is_the_same_whatever_study_a_process_loaded_first():
    """The plan's SHA-256 is printed in every report and on the browser page: a process that imported the coding
    study's checks before the survey's (a notebook, a long-running service, the test run itself) gets the plan,
    and the hash, of a fresh `pedcomm validate`."""
    import subprocess
    import sys

    show = "from pedcomm.validation.engine.plan import plan; print(plan().meta['sha256'])"
    first = ("from pedcomm import studies; import sys\n"
             "for s in sorted(studies.registered(), key=lambda s: s.name != sys.argv[1]):\n    s.checks and s.checks()\n")
    hashes = {}
    for study in ("survey", "coding"):
        proc = subprocess.run([sys.executable, "-c", first + show, study], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        hashes[study] = proc.stdout.strip()
    plain = subprocess.run([sys.executable, "-c", show], capture_output=True, text=True, timeout=300)
    assert re.fullmatch(r"[0-9a-f]{64}", plain.stdout.strip()), plain.stderr
    assert hashes == {"survey": plain.stdout.strip(), "coding": plain.stdout.strip()}
