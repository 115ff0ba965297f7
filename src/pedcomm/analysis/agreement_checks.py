"""AGREEMENT_DEGENERATE: agreement tables whose kappa interval would be void, found and said.

A 2x2 agreement table without disagreement has kappa 1 and a Wald standard error of 0 (an interval
of zero width, although 0 disagreements in a few dozen ratings are compatible with far lower
agreement): pedcomm gives Donner and Eliasziw's goodness-of-fit interval instead. A table in which
one rater gave one answer only (a coder never applied a code) has kappa 0 by construction: pedcomm
gives no interval. Both raters constant and equal leaves kappa undefined (n/a), as before.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..validation.registry import check
from ..validation.report import Finding, Report
from .agreement import NO_DISAGREEMENT, degenerate


@check("AGREEMENT_DEGENERATE")
def degenerate_tables(analysis: str, tables: Iterable[tuple[str, tuple]], report: Report | None = None) -> list[Finding]:
    """One finding per kind of degeneracy among ``tables`` ((name, (both, first only, second only,
    neither)) pairs) of an ``analysis``, naming the tables."""
    report = report or Report()
    report.ran("AGREEMENT_DEGENERATE", None, analysis, 1)
    found: dict[str, list[str]] = {}
    for name, cells in tables:
        why = degenerate(*cells)
        if why:
            found.setdefault(why, []).append(name)
    for why, names in found.items():
        remedy = ("the interval shown is Donner and Eliasziw's goodness-of-fit interval" if why == NO_DISAGREEMENT
                  else "no interval is shown")
        report.add("AGREEMENT_DEGENERATE", field=analysis, value=", ".join(names), analysis=analysis,
                   detail=f"{why}; {remedy}")
    return [f for f in report.findings if f.code == "AGREEMENT_DEGENERATE"]
