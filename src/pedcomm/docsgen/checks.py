"""The check catalogue: one section per code of validation/checks.yaml, anchored at the lower-case code.

A finding's link, when the docs address is configured (pedcomm.standard.links), is
``<docs>/checks/#<code in lower case>``, so the anchor of each section is exactly that. Each section shows
the conformance case(s) that trigger it.
"""

from __future__ import annotations

import yaml

from ..validation import conformance
from ..validation.registry import CheckSpec, specs
from ..validation.words import plural
from .md import BANNER, code, fence, table

MAX_SHOWN = 100  # characters of a long value shown in an example edit


def anchor(code_: str) -> str:
    return code_.lower()


def _shorten(obj):
    if isinstance(obj, str) and len(obj) > MAX_SHOWN:
        return f"{obj[:40]}... ({len(obj)} characters)"
    if isinstance(obj, dict):
        return {k: _shorten(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_shorten(v) for v in obj]
    return obj


def triggers(cases: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for case in cases:
        for c in case.get("expect_codes", []):
            out.setdefault(c, []).append(case)
    return out


def case_block(case: dict, code_: str) -> str:
    others = [c for c in case.get("expect_codes", []) if c != code_]
    lines = [f"**Case {code(case['id'])}** ({code('validation/conformance/' + case['file'])}): {case.get('what', '')}", "",
             "Edits applied to a copy of the minimal valid package "
             f"({code('validation/conformance/' + case.get('base', 'valid'))}):", "",
             fence(yaml.safe_dump(_shorten(case.get("edits", [])), sort_keys=False, allow_unicode=True, width=100), "yaml")]
    expected = f"Expected: exactly the codes {', '.join(code(c) for c in case.get('expect_codes', []))}"
    lines.append(expected + (f" (also {', '.join(others)})" if others else "") + f"; exit code {case.get('exit', '?')}.")
    wanted = [e for e in case.get("expect", []) if e.get("code") == code_] or case.get("expect", [])
    if wanted:
        keys = ["code", "resource", "row", "field"]
        lines += ["", table(["Code", "Resource", "Row", "Field"], [[e.get(k, "") for k in keys] for e in wanted])]
    return "\n".join(lines) + "\n"


def example_block(s: CheckSpec) -> str:
    """The input-file example a code names (``example:``): a command-level case, a multi-site case
    (shown as they are: YAML) or an input file (named)."""
    from ..validation.conformance import SUITE

    if s.example is None:
        return ""
    path = SUITE / s.example
    where = code("validation/conformance/" + s.example)
    if path.suffix != ".yaml" or not path.is_file():
        return f"**Example input** ({where}): run the way the command would, it gives this code.\n"
    text = path.read_text(encoding="utf-8")
    lines = [f"**Example that triggers it** ({where}):", "",
             fence(yaml.safe_dump(_shorten(yaml.safe_load(text)), sort_keys=False, allow_unicode=True, width=100), "yaml")]
    return "\n".join(lines) + "\n"


def _facts(s: CheckSpec) -> str:
    facts = [f"severity **{s.severity}**", f"category {s.category}", f"scope {s.scope}"]
    if s.blocking:
        facts.append("blocking (a site configuration cannot downgrade it)")
    if s.fatal:
        facts.append("fatal (nothing else can be checked; exit code 2)")
    return " · ".join(facts)


def section(s: CheckSpec, cases: list[dict]) -> str:
    lines = [f"## {s.code}: {s.title} {{#{anchor(s.code)}}}", ""]
    if s.deprecated:
        lines += ['!!! warning "Deprecated"', "",
                  "    This code is no longer produced; it is kept so that it is never reused.", ""]
    lines += [_facts(s), "", f"**Message:** {code(s.message)}", "", f"**What it means.** {s.description}", "",
              f"**What to do.** {s.action}", ""]
    if s.parameters:
        notes = s.parameter_notes or {}
        lines += ["**Thresholds** (the check's `parameters` in validation/checks.yaml, read by its implementation):", "",
                  table(["Parameter", "Value", "Why"],
                        [[code(k), code(str(v)), notes.get(k, "")] for k, v in s.parameters.items()]),
                  ""]
    if cases:
        lines += [f"**Example{'s' if len(cases) > 1 else ''} that trigger{'' if len(cases) > 1 else 's'} it**", ""]
        lines += [case_block(c, s.code) for c in cases]
    elif s.example:
        lines += [example_block(s)]
    else:
        lines += ["No conformance case triggers this code yet.", ""]
    return "\n".join(lines)


def page() -> str:
    all_specs = specs()
    by_code = triggers(conformance.cases())
    counts = {sev: sum(s.severity == sev for s in all_specs.values()) for sev in ("error", "warning", "info")}
    out = [BANNER.format(source="validation/checks.yaml and validation/conformance/cases*.yaml"),
           "# Check catalogue", "",
           f"Every finding of `pedcomm validate` has one of these {len(all_specs)} codes "
           f"({plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, {plural(counts['info'], 'note')}). "
           "Codes are forever: a code is never renamed or reused, only deprecated. Each section says what the "
           "finding means, what to do about it, and shows the minimal invalid example from the conformance suite "
           "that triggers it (edits applied to the minimal valid package in `validation/conformance/valid`).", "",
           "Severity: an **error** makes the package invalid (exit code 1); a **warning** or a **note** (info) "
           "does not. Category: the Kahn data-quality category (conformance, completeness, plausibility). "
           "Rows are numbered as in the file: the header is row 1.", "",
           table(["Code", "Title", "Severity", "Category"],
                 [[f"[{code(s.code)}](#{anchor(s.code)})", s.title, s.severity, s.category] for s in all_specs.values()]),
           ""]
    out += [section(s, by_code.get(s.code, [])) for s in all_specs.values()]
    return "\n".join(out)
