"""Facts once (issue 13): each fact has one home, and this test greps the source tree for it elsewhere.

The homes:

- a check's threshold: its ``parameters`` in validation/checks.yaml (read with
  pedcomm.validation.registry.parameter; the registry's texts name it in braces);
- a published number: validation/targets.csv (pedcomm.standard.targets);
- the small-cell thresholds (default, minimum, maximum): SUMMARY_DISCLOSURE's parameters;
- the shipped seed: pedcomm.standard.SHIPPED_SEED;
- the missing-value codes: each Table Schema's ``missingValues`` (pedcomm.standard.missing_codes);
- the boolean spellings: pedcomm.standard.cells.

"Elsewhere" is the code of src/pedcomm (Python literals, not docstrings or comments), the registry's
texts as written, and the Makefile. Prose for people (README, docs/) names facts in sentences; the
generated docs pages read them from their homes.
"""

from __future__ import annotations

import ast
import re

import yaml

from pedcomm.standard.targets import targets

from .conftest import REPO

SRC = REPO / "src" / "pedcomm"
CHECKS = REPO / "validation" / "checks.yaml"

#: (file relative to src/pedcomm, literal) found on purpose, each with its reason.
ALLOWED = {
    ("standard/__init__.py", 2021): "the home of the shipped seed",
    ("interop/qda/project.py", 2021): "the fixed time stamp of zip entries (reproducible archives), not the seed",
    ("standard/cells.py", "TRUE"): "the home of the boolean spellings",
    ("studies/survey/summary.py", 5): "MIN_CLUSTERS_PER_LEVEL: clusters a binary covariate's level spans, "
                                      "not the small-cell minimum",
    ("validation/config.py", 20): "MIN_JUSTIFICATION: characters of a written justification, not a cluster count",
    ("studies/survey/synth.py", 400): "POLISH_PROPOSALS: fits of the calibration's second stage, not the parents",
    ("docsgen/scale.py", 100000): "the benchmark's 100k-relationship row, not the summary's maximum threshold",
}


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def literals() -> list[tuple[str, int, object, ast.AST]]:
    """(file, line, value, parent assignment or None) of every constant in the code, docstrings aside."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        parents = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
        rel = path.relative_to(SRC).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and id(node) not in skip and not isinstance(node.value, bool):
                out.append((rel, node.lineno, node.value, parents.get(node)))
    return out


def _allowed(rel: str, value) -> bool:
    return (rel, value) in ALLOWED


def registry_raw() -> dict:
    return yaml.safe_load(CHECKS.read_text(encoding="utf-8"))


def _texts(entry: dict) -> str:
    return " ".join(str(entry.get(k, "")) for k in ("title", "message", "action", "description"))


def _numbers_in(text: str) -> set[str]:
    """Numbers written in a text, placeholders in braces aside."""
    return set(re.findall(r"(?<![\w.{+-])\d+(?:\.\d+)?(?![\w}])", re.sub(r"\{[^}]*\}", " ", text)))


# -- thresholds: registry parameters --------------------------------------------------------------

def test_no_registry_text_retypes_its_own_parameters():
    problems = []
    for code, entry in registry_raw().items():
        params = entry.get("parameters") or {}
        written = _numbers_in(_texts(entry))
        for name, value in params.items():
            if str(value) in written:
                problems.append(f"{code}: the text repeats {name} = {value}; write {{{name}}}")
    assert problems == []


def _module_constants() -> list[tuple[str, str, object]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Constant):
                targets_ = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets_:
                    if isinstance(t, ast.Name):
                        out.append((path.relative_to(SRC).as_posix(), t.id, node.value.value))
    return out


def test_no_module_constant_holds_a_threshold_of_the_registry():
    """A constant named like a threshold (MIN_, MAX_, _DAYS, _THRESHOLD ...) that holds a parameter's
    value is the parameter typed twice."""
    values = {v for e in registry_raw().values() for v in (e.get("parameters") or {}).values()}
    named = re.compile(r"^(MIN|MAX|MINIMUM|MAXIMUM|DEFAULT)_|_(DAYS|MINUTES|SECONDS|THRESHOLD|VISITS|AGE)$")
    found = [f"{rel}: {name} = {value}" for rel, name, value in _module_constants()
             if named.search(name) and value in values and not _allowed(rel, value)]
    assert found == []


def test_distinctive_threshold_values_appear_only_in_the_registry():
    """The thresholds whose values are distinctive (not small counts) appear as no literal in the code."""
    distinctive = {v for e in registry_raw().values() for v in (e.get("parameters") or {}).values()
                   if isinstance(v, int) and v >= 50}
    assert {89, 92, 180} <= distinctive
    found = [f"{rel}:{line} {value}" for rel, line, value, _ in literals()
             if isinstance(value, int) and value in distinctive and not _allowed(rel, value)]
    assert found == []


# -- published numbers: targets.csv ---------------------------------------------------------------

def published_values() -> set:
    """Published numbers distinctive enough to find without false alarms: counts and sums of
    more than two digits, and percentages with a decimal (74.5), also as shares (0.745)."""
    out = set()
    for t in targets().values():
        if t.statistic == "percent" and not float(t.published).is_integer():
            out |= {t.published, round(t.published / 100, 3)}
        elif t.statistic in ("count", "sum") and t.published >= 90:
            out.add(t.published)
    return out


def test_published_numbers_are_read_from_targets_csv():
    values = published_values()
    found = [f"{rel}:{line} {value}" for rel, line, value, _ in literals()
             if isinstance(value, (int, float)) and value in values and not _allowed(rel, value)]
    assert found == []


def test_no_registry_text_types_a_published_number():
    values = {str(int(v)) if float(v).is_integer() else str(v) for v in published_values() if v >= 1}
    found = [f"{code}: {n}" for code, e in registry_raw().items() for n in _numbers_in(_texts(e)) if n in values]
    assert found == []


def test_command_help_states_published_numbers_from_targets():
    """The `synth` help quotes the published counts: they come from targets.csv, so they are right."""
    from typer.testing import CliRunner

    from pedcomm.cli import app
    from pedcomm.standard.targets import count

    out = " ".join(CliRunner().invoke(app, ["synth", "--help"], env={"COLUMNS": "300"}).output.split())
    assert f"{count('survey.parents.n')} parents" in out and f"{count('coding.discussions.n')} discussions" in out


# -- the small-cell thresholds ----------------------------------------------------------------------

def test_small_cell_thresholds_have_one_home():
    from pedcomm.analysis import suppress
    from pedcomm.validation.registry import parameter

    assert (suppress.DEFAULT_THRESHOLD, suppress.MINIMUM_THRESHOLD, suppress.MAXIMUM_THRESHOLD) == \
        tuple(parameter("SUMMARY_DISCLOSURE", n) for n in ("default_threshold", "minimum_threshold", "maximum_threshold"))
    code = (SRC / "cli.py").read_text(encoding="utf-8")
    assert "typer.Option(11" not in code and "default is 11" not in code


# -- the shipped seed ---------------------------------------------------------------------------------

def test_the_seed_is_written_once():
    from pedcomm.standard import SHIPPED_SEED

    found = [f"{rel}:{line}" for rel, line, value, _ in literals() if value == SHIPPED_SEED and not _allowed(rel, value)]
    assert found == []
    assert str(SHIPPED_SEED) not in (REPO / "Makefile").read_text(encoding="utf-8")


# -- missing-value codes -------------------------------------------------------------------------------

def test_missing_value_codes_are_read_from_the_schemas():
    import json

    declared = {m["value"] for p in (REPO / "schemas").glob("*.json")
                for m in json.loads(p.read_text(encoding="utf-8")).get("missingValues", []) if m["value"]}
    assert {"-7", "-8", "-9"} <= declared
    found = [f"{rel}:{line} {value!r}" for rel, line, value, _ in literals() if value in declared]
    assert found == []
    in_registry = [f"{code}: {c}" for code, e in registry_raw().items() for c in declared
                   if re.search(rf"(?<![\w{{]){re.escape(c)}\b", re.sub(r"\{[^}]*\}", " ", _texts(e)))]
    assert in_registry == []


# -- boolean spellings ------------------------------------------------------------------------------------

def test_boolean_spellings_are_written_once():
    found = [f"{rel}:{line}" for rel, line, value, _ in literals()
             if value in ("TRUE", "FALSE") and not _allowed(rel, "TRUE")]
    assert found == []


# -- the grep itself can fail -------------------------------------------------------------------------------

def test_the_detectors_find_what_they_look_for():
    assert _numbers_in("at least 3 visits, {min_prior_visits} and {max_age+1}") == {"3"}
    src = "X = 92\nMIN_PRIOR_VISITS = 3\n"
    tree = ast.parse(src)
    assert [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)] == [92, 3]
