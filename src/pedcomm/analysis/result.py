"""What a study's reproduction takes and returns: the run's options, its tables, figures and values.

A study's record (pedcomm.studies.record.Study) names the function from the validated tables and the
options to a ``StudyResult``; `pedcomm reproduce` (pedcomm.reproduce) runs every registered study
whose resources are in the package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .compare import Reproduced
from .table import Table


@dataclass(frozen=True)
class Options:
    """Choices made on the command line; None means the study's configured default."""

    method: str | None = None
    cluster: str | None = None
    correction: str | None = None


@dataclass(frozen=True)
class Figure:
    """A figure of a study: ``draw(folder, synthetic)`` writes ``name``.png, .svg and .pdf
    deterministically (forest.STYLE, forest.save_figure; marked SYNTHETIC when ``synthetic``) and
    returns the file names in forest.FIGURE_FORMATS order."""

    name: str  # file stem, e.g. "coding_cooccurrence"
    title: str
    draw: Callable[[Path, bool], list[str]]
    note: str = ""  # what the figure shows beyond its title (e.g. how its intervals are computed); in index.md


@dataclass
class StudyResult:
    study: str
    tables: list[Table]
    values: dict[str, Reproduced]  # target name (as in targets.csv) -> reproduced value
    settings: dict[str, str] = field(default_factory=dict)  # every estimation choice, shown in index.md
    assumptions: list[tuple[str, str]] = field(default_factory=list)  # (where, what is assumed)
    assumptions_source: str = ""  # the file the assumptions are written in
    figures: list[Figure] = field(default_factory=list)
    findings: list = field(default_factory=list)  # warnings about the analysis (report.Finding), shown in index.md
