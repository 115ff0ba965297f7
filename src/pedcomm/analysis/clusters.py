"""How many clusters an analysis has, and whether pedcomm reports clustered intervals with so few.

The two thresholds are the ``minimum`` parameters of CLUSTERS_TOO_FEW (refused) and CLUSTERS_FEW
(warned) in validation/checks.yaml, written there only; everything else reads them from the registry.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..validation.registry import check, parameter
from ..validation.report import Finding, Report

REFUSED, FEW = "CLUSTERS_TOO_FEW", "CLUSTERS_FEW"


class ClusteringRefused(ValueError):
    """An analysis was asked for with fewer clusters than pedcomm accepts; ``report`` holds the
    CLUSTERS_TOO_FEW findings (and nothing was written)."""

    def __init__(self, report: Report):
        self.report = report
        super().__init__("; ".join(f"{f.code}: {f.message}" for f in report.findings if f.code == REFUSED))


def minimum_clusters() -> int:
    """Fewest clusters pedcomm reports cluster-robust intervals with."""
    return int(parameter(REFUSED, "minimum"))


def warn_below() -> int:
    """Fewer clusters than this (but at least ``minimum_clusters``) give a CLUSTERS_FEW warning."""
    return int(parameter(FEW, "minimum"))


@check(REFUSED, FEW)
def check_clusters(counts: Mapping[str, Mapping[str, int]], report: Report | None = None) -> Report:
    """Judge the cluster counts of analyses: ``{analysis: {clustering dimension: clusters}}``.

    Every dimension of a two-way clustering counts on its own."""
    report = report or Report()
    low, few = minimum_clusters(), warn_below()
    for analysis, dims in counts.items():
        for dim, n in dims.items():
            report.ran("CLUSTERS_TOO_FEW", None, dim, 1)
            report.ran("CLUSTERS_FEW", None, dim, 1)
            if n < low:
                report.add("CLUSTERS_TOO_FEW", field=dim, value=analysis, analysis=analysis, detail=n, expected=low)
            elif n < few:
                report.add("CLUSTERS_FEW", field=dim, value=analysis, analysis=analysis, detail=n, expected=few)
    return report


def refuse_or_warn(counts: Mapping[str, Mapping[str, int]]) -> list[Finding]:
    """Raise ClusteringRefused when any analysis has too few clusters; else return the warnings."""
    report = check_clusters(counts)
    if REFUSED in report.codes():
        raise ClusteringRefused(report)
    return [f for f in report.findings if f.code == FEW]
