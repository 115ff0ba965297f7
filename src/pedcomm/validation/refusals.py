"""Coded findings for what the file layer refuses (pedcomm.files) and for invalid options.

The file layer raises plain exceptions (it knows nothing of reports); here they become findings
of the registry, so every refusal reaches the user as one coded message, rendered like any other
report (text or JSON) and ending with exit status 2.
"""

from __future__ import annotations

from ..files.inputs import ROLES, InputRefused
from ..files.outputs import OutputRefused
from .registry import check
from .report import Report


def _report(command: str | None = None) -> Report:
    from .. import standard
    from .._base import __version__

    report = Report()
    report.meta = {"tool": "pedcomm", "version": __version__, "schema_version": standard.descriptor()["version"]}
    if command:
        report.meta["command"] = command
    return report


@check("OUTPUT_OVERLAPS_INPUT", "OUTPUT_EXISTS", "OUTPUT_FOREIGN", "OUTPUT_LOCKED", "OUTPUT_WRITE_FAILED")
def output_report(error: OutputRefused, command: str | None = None) -> Report:
    """The report of a refused output: the output checks that ran, and the one that failed."""
    report = _report(command)
    report.ran("OUTPUT_OVERLAPS_INPUT", None, "output", 1)
    report.ran("OUTPUT_EXISTS", None, "output", 1)
    report.ran("OUTPUT_FOREIGN", None, "output", 1)
    report.ran("OUTPUT_LOCKED", None, "output", 1)
    report.ran("OUTPUT_WRITE_FAILED", None, "output", 1)
    report.add(error.code, field="output", path=str(error.path), detail=error.detail)
    report.meta["refused"] = "nothing was written" if error.code == "OUTPUT_WRITE_FAILED" else "nothing was done"
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


@check("OPTION_INVALID")
def option_report(option: str, detail: str, command: str | None = None) -> Report:
    """The report of an invalid option value (exit 2, nothing read or written)."""
    report = _report(command)
    report.ran("OPTION_INVALID", None, option, 1)
    report.add("OPTION_INVALID", field=option, option=option, detail=detail)
    report.meta["refused"] = "nothing was read or written"
    return report


def interrupted_message(signum: int, completed: bool = False) -> str:
    import signal

    name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else str(signum)
    if completed:
        return f"Interrupted ({name}) just as the output was put in place: it is complete; the run stopped there."
    return f"Interrupted ({name}): nothing was written, and an existing output is unchanged."
