"""The check registry: codes declared as data in checks.yaml, implementations registered by code.

A threshold is written once, as a parameter of its check's entry (``parameters``, each with a
reason in ``parameter_notes``); the implementation reads it with ``parameter(code, name)``, and the
entry's texts (title, message, action, description) name it in braces, filled here when the
registry is read, so the messages, the report and the docs show the value the check uses. A text
may also name another code's parameter (``{AGE_OVER_89.max_age}``), a published number of
validation/targets.csv at its published rounding (``{target:coding.discussions.n}``), or a fact
this layer derives from its source (``{input_limits}``: the size limit of every kind of input,
from pedcomm.files.inputs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..standard import CHECKS

SEVERITIES = ("error", "warning", "info")
CATEGORIES = ("conformance", "completeness", "plausibility")


@dataclass(frozen=True)
class CheckSpec:
    code: str
    title: str
    severity: str
    category: str
    scope: str
    message: str
    action: str
    description: str
    fatal: bool = False
    blocking: bool = False
    deprecated: bool = False
    #: minimal invalid input file (relative to validation/conformance/) for codes about inputs
    #: other than a package, e.g. a REDCap export or a QDA project (run by tests/test_registry.py)
    example: str | None = None
    #: thresholds of the check, written once here (name -> value), each with a written reason in
    #: ``parameter_notes``; the implementation and the docs read them from the registry
    parameters: dict | None = None
    parameter_notes: dict | None = None


@cache
def specs() -> dict[str, CheckSpec]:
    # the C loader when libyaml is present: 10x faster on every command's start-up path
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out: dict[str, CheckSpec] = {}
    for path in [CHECKS, *_study_registries()]:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        for code, d in raw.items():
            if code in out:
                raise ValueError(f"the check code {code} is declared twice ({path})")
            fields: dict[str, Any] = {k: (v.strip() if isinstance(v, str) else v) for k, v in d.items()}
            out[code] = CheckSpec(code=code, **fields)
    return {code: _filled(s, out) for code, s in out.items()}


#: A reference in a registry text (see the module docstring); any other {placeholder} is the finding's.
_REFERENCE = re.compile(r"\{(?:target:(?P<target>[\w.]+)|missing:(?P<missing>\w+)(?::(?P<label>[^}]+))?"
                        r"|(?:(?P<code>[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\.)?(?P<name>[a-z][a-z0-9_]*)(?:\+(?P<plus>\d+))?)\}")
TEXTS = ("title", "message", "action", "description")


def _input_limits() -> str:
    from ..files.inputs import ROLES, size_words

    return ", ".join(f"{r.name} {size_words(r.limit)}" for key, r in ROLES.items() if key != "marker")


#: Facts a text may name that this layer derives from their source.
DERIVED: dict[str, Callable[[], str]] = {"input_limits": _input_limits}


def _published(key: str) -> str:
    from ..standard.targets import targets

    t = targets()[key]
    return f"{t.published:.{t.decimals}f}"


def missing_codes_text(resource: str) -> str:
    """The missing-value codes a resource's Table Schema declares, in words: '-7 refused, -8 don't know'."""
    from ..standard import missing_codes

    return ", ".join(f"{code} {label}" for code, label in missing_codes(resource).items() if code)


def _filled(s: CheckSpec, all_specs: dict[str, CheckSpec]) -> CheckSpec:
    def value(m: re.Match) -> str:
        if m["target"]:
            return _published(m["target"])
        if m["missing"] and m["label"]:  # the code whose label starts so
            from ..standard import missing_codes

            return next(c for c, text in missing_codes(m["missing"]).items() if text.startswith(m["label"]))
        if m["missing"]:
            return missing_codes_text(m["missing"])
        owner = all_specs[m["code"]] if m["code"] else s
        params = owner.parameters or {}
        if m["name"] in params:
            return str(params[m["name"]] + int(m["plus"])) if m["plus"] else str(params[m["name"]])
        if m["code"]:
            raise KeyError(f"{s.code}: {m['code']} has no parameter {m['name']!r}")
        if m["name"] in DERIVED and not m["plus"]:
            return DERIVED[m["name"]]()
        return m.group()  # a placeholder of the finding, filled when it is reported

    texts: dict[str, Any] = {k: _REFERENCE.sub(value, getattr(s, k)) for k in TEXTS}
    return replace(s, **texts)


def _study_registries() -> list:
    """Registry files of studies registered beside the standard (its own studies' codes are in checks.yaml)."""
    from ..standard import studies

    return [d.registry for d in studies.registered() if d.registry is not None]


def spec(code: str) -> CheckSpec:
    try:
        return specs()[code]
    except KeyError:
        raise KeyError(f"unregistered check code {code!r}: add it to validation/checks.yaml") from None


def parameter(code: str, name: str):
    """A threshold of a check, as written in its registry entry (``parameters``)."""
    params = spec(code).parameters or {}
    if name not in params:
        raise KeyError(f"{code} has no parameter {name!r} in validation/checks.yaml")
    return params[name]


#: code -> implementing function; filled by the @check decorator as the implementing modules are imported.
IMPLEMENTATIONS: dict[str, Any] = {}
#: semantic checks run after the structural phase: (function, resources it needs), in registration order
SEMANTIC: list[tuple[Any, tuple[str, ...]]] = []  # (a function with its ``codes``, the tables it needs)
#: The stages of `pedcomm validate` (pedcomm.validation.run): stage -> the codes registered for it.
#: A stage's checks take the run's pedcomm.validation.context.Validation (and, in the resource
#: stage, the resource's name); semantic checks take the typed tables and the report.
STAGES = ("package", "resource", "tables", "semantic", "declaration")
STAGED: dict[str, list[str]] = {s: [] for s in STAGES}


def check(*codes: str, needs: tuple[str, ...] | None = None, stage: str | None = None):
    """Register a function as the implementation of one or more codes.

    ``stage``: the validator runs the function in that stage of every validation (see STAGES),
    found here by its first code. With ``needs`` the function is a semantic check run on the typed
    tables it names; it is reported as not applicable when any of them is absent or unreadable.
    Without either, the function is a check a command calls itself (an import, a summary, an output).
    """

    def deco(fn):
        for code in codes:
            spec(code)  # fails loudly on a typo
            if code in IMPLEMENTATIONS and IMPLEMENTATIONS[code] is not fn:
                raise ValueError(f"{code} implemented twice")
            IMPLEMENTATIONS[code] = fn
        fn.codes = codes
        if stage is not None:
            if stage not in STAGES or stage == "semantic":
                raise ValueError(f"unknown stage {stage!r}")
            STAGED[stage].append(codes[0])
        if needs is not None:
            fn.needs = needs
            SEMANTIC.append((fn, needs))
        return fn

    return deco


#: Checks written as SQL (a study's rules, run by pedcomm.validation.engine): (the SQL file, its
#: constants as SQL literals by name), in registration order.
SQL_RULES: list[tuple[Path, dict[str, str]]] = []
#: A check of a SQL file: '-- check: CODE, CODE' then '-- needs: table, table', then its statement.
SQL_BLOCK = re.compile(r"^--\s*check:\s*(?P<codes>[A-Z0-9_, ]+)\n--\s*needs:\s*(?P<needs>[a-z0-9_, ]+)\n", re.M)


def sql_checks(path: Path, constants: dict[str, str] | None = None) -> list[str]:
    """Register the checks of a study's SQL file (each block implements the codes it heads);
    ``constants``: the values its ${name} placeholders stand for, as SQL literals. Returns the codes."""
    path = Path(path)
    if any(p == path for p, _ in SQL_RULES):
        return [c for m in SQL_BLOCK.finditer(path.read_text(encoding="utf-8")) for c in _codes(m)]
    codes = []
    for m in SQL_BLOCK.finditer(path.read_text(encoding="utf-8")):
        for code in _codes(m):
            spec(code)  # fails loudly on a typo
            if code in IMPLEMENTATIONS and IMPLEMENTATIONS[code] != path:
                raise ValueError(f"{code} implemented twice")
            IMPLEMENTATIONS[code] = path
            codes.append(code)
    SQL_RULES.append((path, dict(constants or {})))
    return codes


def _codes(m: re.Match) -> list[str]:
    return [c.strip() for c in m["codes"].split(",") if c.strip()]


def engine_checks(*codes: str) -> None:
    """Register codes the check engine implements from the Table Schemas (pedcomm.validation.engine.plan)."""
    for code in codes:
        spec(code)
        IMPLEMENTATIONS.setdefault(code, "engine")
