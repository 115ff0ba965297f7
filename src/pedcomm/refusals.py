"""Coded findings for what the file layer refuses (pedcomm.files).

The file layer raises plain exceptions (it knows nothing of reports); here they become findings
of the registry, so every refusal reaches the user as one coded message, rendered like any other
report (text or JSON) and ending with exit status 2.
"""

from __future__ import annotations

from .files.inputs import ROLES, InputRefused
from .registry import check
from .report import Report


def _report(command: str | None = None) -> Report:
    from . import __version__, standard

    report = Report()
    report.meta = {"tool": "pedcomm", "version": __version__, "schema_version": standard.descriptor()["version"]}
    if command:
        report.meta["command"] = command
    return report


@check("INPUT_NOT_REGULAR", "INPUT_TOO_LARGE")
def input_refused(report: Report, error: InputRefused, *, resource: str | None = None,
                  field: str | None = None, path: str | None = None) -> Report:
    """Record a refused input file in ``report`` (fatal: the report's exit status becomes 2)."""
    report.ran("INPUT_NOT_REGULAR", resource, field, 1)
    report.ran("INPUT_TOO_LARGE", resource, field, 1)
    report.add(error.code, resource=resource, field=field, role=ROLES[error.role].name,
               path=path if path is not None else str(error.path), detail=error.detail)
    return report


def input_report(error: InputRefused, command: str | None = None) -> Report:
    return input_refused(_report(command), error)
