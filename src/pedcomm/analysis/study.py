"""What a study's reproduction returns, and the registry of studies `pedcomm reproduce` runs.

A study plugs in with one ``Study`` entry: the name used in validation/targets.csv, a title, and a
function from the validated tables (and the run's options) to a ``StudyResult``. A study whose
resources are not in the package is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

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
    """A figure of a study: ``draw(folder)`` writes ``name``.png and ``name``.svg deterministically
    (forest.STYLE, forest.save_figure) and returns the file names."""

    name: str  # file stem, e.g. "coding_cooccurrence"
    title: str
    draw: Callable[[Path], list[str]]


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


@dataclass(frozen=True)
class Study:
    name: str  # as in validation/targets.csv `study` and pedcomm.standard.STUDIES
    title: str
    run: Callable[[dict[str, pd.DataFrame], Options], StudyResult]
    check_options: Callable[[Options], None] = lambda options: None  # raise ValueError early


def studies() -> list[Study]:
    """Every study `pedcomm reproduce` knows, in the order they are written."""
    from . import coding_study, survey_study

    return [survey_study.STUDY, coding_study.STUDY]
