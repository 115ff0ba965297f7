"""The record a study exports: everything the layers above the studies need of it, in one place.

A study is a folder of this package (``survey/``, ``coding/``) whose ``study.py`` exports ``STUDY``,
a ``Study``. The record holds data (names, titles, files) and hooks: small functions that import
the study's modules only when called, so that registering the studies (at the first command that
needs them) loads no analysis library. Every list of studies in pedcomm is derived from the
registered records (pedcomm.standard.studies.registered): the validator's semantic checks, the
`synth` subcommands, `reproduce`, `summarize` and `meta`, the docs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..standard.studies import Declaration

if TYPE_CHECKING:
    import pandas as pd

    from ..analysis.result import Options, StudyResult

Tables = dict[str, "pd.DataFrame"]


def _no_options(options: Options) -> None:
    """A study without options of its own accepts any (it ignores them)."""


@dataclass(frozen=True)
class Study(Declaration):
    """A study's record (the Declaration's fields first: name, prefix, title, definitions ...)."""

    #: the study's domain rules (a module), for the generator and the imports: never its checks module
    rules: Callable[[], ModuleType] | None = None
    #: its analysis configuration: every choice and assumption of its analyses (YAML)
    analysis_config: Path | None = None
    #: the reproduction of its published tables: validated tables and options -> StudyResult
    reproduce: Callable[[Tables, Options], StudyResult] | None = None
    #: raises ValueError for a --method, --cluster or --correction the study cannot use
    check_options: Callable[[Options], None] = _no_options
    #: the seeded generator of a SYNTHETIC package: seed -> tables
    generate: Callable[[int], Tables] | None = None
    #: one synthetic site among K: (seed, index from 1, site id) -> tables
    generate_site: Callable[[int, int, str], Tables] | None = None
    #: name and title of a single-study synthetic package (`pedcomm synth NAME`)
    package: tuple[str, str] = ("", "")
    #: help of `pedcomm synth NAME`, and of its --sites option
    synth_help: Callable[[], str] = lambda: ""
    sites_help: str = "Write this many site packages (OUT/SITE1 ...), each drawn with its own seed."
    #: what a site may share instead of rows (pedcomm.sites.summarize): loads the study's summary definition
    summary: Callable[[], Any] | None = None


def load(package: str, *folders: str) -> tuple[Study, ...]:
    """The records of the study folders of ``package``, in the order given (one line each in
    pedcomm/studies/__init__.py)."""
    out = []
    for folder in folders:
        study = importlib.import_module(f"{package}.{folder}.study").STUDY
        if not isinstance(study, Study):
            raise TypeError(f"{package}.{folder}.study.STUDY is not a Study record")
        out.append(study)
    return tuple(out)


def registered() -> tuple[Study, ...]:
    """Every registered study that has a record (all of them, for studies written with this class)."""
    from ..standard.studies import registered as declarations

    return tuple(d for d in declarations() if isinstance(d, Study))


def get(name: str) -> Study:
    for s in registered():
        if s.name == name:
            return s
    raise KeyError(f"no study {name!r}; registered: {', '.join(s.name for s in registered())}")
