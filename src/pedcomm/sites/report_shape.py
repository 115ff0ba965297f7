"""The shape of a JSON validation report, as `pedcomm dashboard` reads it from a site.

A report arrives from elsewhere and may have been edited, truncated or written by another tool:
it is used only when every field the dashboard reads has the type pedcomm writes
(pedcomm.validation.report.render.as_dict). ``problem`` says, in words, what does not; it never
quotes a value of the file.
"""

from __future__ import annotations

from functools import cache

_TEXT = {"type": ["string", "null"]}
_COUNT = {"type": ["integer", "number", "null"]}

#: The fields of a report pedcomm writes that a reader uses, with their types (extra fields are allowed:
#: a report of a later pedcomm may add some).
REPORT_SHAPE = {
    "type": "object",
    "required": ["status", "checks", "findings", "schema_version"],
    "properties": {
        "status": {"type": "string"},
        "schema_version": _TEXT, "version": _TEXT, "package": _TEXT, "package_version": _TEXT,
        "package_schema_version": _TEXT, "validated_at": _TEXT,
        "site": {"type": ["string", "null", "array"], "items": {"type": "string"}},
        "errors": _COUNT, "warnings": _COUNT, "infos": _COUNT,
        "findings_listed": _COUNT, "findings_not_listed": _COUNT,
        "inputs": {"type": "array", "items": {"type": "object"}},
        "tables": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": _COUNT}},
        "checks": {"type": "array", "items": {
            "type": "object", "required": ["code"],
            "properties": {"code": {"type": "string"}, "severity": _TEXT, "resource": _TEXT, "field": _TEXT,
                           "status": _TEXT, "reason": _TEXT, "checked": _COUNT, "failed": _COUNT}}},
        "skipped": {"type": "array", "items": {"type": "object"}},
        "hints": {"type": "array", "items": {"type": "object"}},
        "findings": {"type": "array", "items": {
            "type": "object",
            "properties": {"code": _TEXT, "severity": _TEXT, "resource": _TEXT, "field": _TEXT, "value": _TEXT,
                           "message": _TEXT, "action": _TEXT, "record": _TEXT, "see": _TEXT,
                           "row": {"type": ["integer", "null"]}}}},
        "overrides": {"type": "array", "items": {"type": "object"}},
        "refused": _TEXT, "tool": _TEXT,
    },
}


@cache
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(REPORT_SHAPE)


def problem(doc) -> str | None:
    """Why ``doc`` is not a validation report with the types pedcomm writes (None when it is).

    Only the field's name in the format is said (never a name or a value read from the file)."""
    error = next(iter(sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])), None)
    if error is None:
        return None
    path = list(error.absolute_path)
    where = f"its '{path[0]}'" if path and path[0] in REPORT_SHAPE["properties"] else "it"
    if error.validator == "required" and not path:
        return "it lacks a field every pedcomm report has"
    inside = " (or something in it)" if len(path) > 1 else ""
    return f"{where}{inside} does not have the type pedcomm writes"
