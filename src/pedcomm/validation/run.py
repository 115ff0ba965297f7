"""`pedcomm validate`: run every registered check on a package and collect the findings into one report.

Inputs are only read. The checks run in stages, in order:

1. ``package``: open the descriptor safely (PACKAGE_*, RESOURCE_*), in Python;
2. ``resource``: each resource through the steps of RESOURCE_STEPS, in Python: its declared schema,
   its file (size, encoding, BOM), its header line, the load into the check engine (DuckDB's CSV
   reader: ROW_RAGGED, FILE_FORMAT, FILE_ENCODING) and its columns (COLUMN_*); a step that cannot go
   on ends the resource's steps and the table counts as not read;
3. the check engine (pedcomm.validation.engine): every data check as SQL on DuckDB, the identifier
   screen, cell types and constraints, keys, foreign keys, then each study's rules;
4. ``declaration``: the package's site declaration, in Python.

A site configuration then changes severities (never the checks). This module holds no check of
its own. The typed tables for the analyses are read from the engine after validation, when first
used (``Validated.tables``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import standard
from . import declaration, identity, package, read, structure  # noqa: F401  (their checks register)
from .context import Validation
from .masking import path_shown
from .package import Package
from .registry import IMPLEMENTATIONS, STAGED
from .report import DEFAULT_MAX_LISTED, Report

if TYPE_CHECKING:
    import pandas as pd

    from .engine.runner import Engine

#: The steps of the resource stage, in the order they run, each by the first code it implements.
RESOURCE_STEPS = ("SCHEMA_MODIFIED", "FILE_MISSING", "FILE_FORMAT", "COLUMN_MISSING")


class Tables(Mapping):
    """The complete tables of a validated package, typed (nullable pandas dtypes, indexed by file row),
    read from the check engine when first asked for: the analyses' input, outside validation."""

    def __init__(self, engine: Engine | None = None, names: list[str] | None = None):
        self._engine, self._names = engine, list(names or [])
        self._frames: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._frames:
            from .engine.frames import typed_frame

            assert self._engine is not None
            self._frames[name] = typed_frame(self._engine, name)
        return self._frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __setitem__(self, name: str, frame: pd.DataFrame) -> None:
        if name not in self._names:
            self._names.append(name)
        self._frames[name] = frame


@dataclass
class Validated:
    """What validation produced: the report, and the typed tables for the analyses."""

    report: Report
    package: Package | None
    tables: Tables = field(default_factory=Tables)

    def opened(self) -> Package:
        """The package, for code that runs only once it opened (a package that did not open has none)."""
        if self.package is None:
            raise RuntimeError("the package did not open")
        return self.package


def load_checks() -> None:
    """Import the check implementations of every registered study (each registers itself once)."""
    from ..standard import studies

    for study in studies.registered():
        if study.checks is not None:
            study.checks()


def _stage(stage: str) -> list:
    return [IMPLEMENTATIONS[code] for code in STAGED[stage]]


def validate(path: str | Path, *, max_listed: int = DEFAULT_MAX_LISTED, reveal_values: bool = False,
             progress=None, config=None) -> Validated:
    """Validate a package (a datapackage.json or its folder) against the pedcomm standard.

    ``config``: a site configuration (pedcomm.validation.config.SiteConfig) whose justified overrides
    change the severities of the findings; every override is listed in the report.
    """
    from ..standard import declaration as site_declaration
    from . import config as site_config
    from .engine.runner import Engine

    load_checks()

    if sorted(STAGED["resource"]) != sorted(RESOURCE_STEPS):
        raise RuntimeError(f"the resource stage has steps {STAGED['resource']}, not those of RESOURCE_STEPS")
    report = Report(max_listed=max_listed, reveal_values=reveal_values)
    # the path may name a person or hold a phone number: shown through the one masking path
    report.meta = {**standard.provenance(), "package": path_shown(path, reveal=reveal_values)}
    (open_package,) = _stage("package")
    pkg = open_package(path, report)
    out = Validated(report, pkg)
    if pkg is None:
        return out
    report.meta["package_version"] = pkg.descriptor.get("version")
    if config is not None:
        try:
            site_config.check_site(config, site_declaration.read(pkg.descriptor).site)
        except site_config.ConfigError as e:
            site_config.refuse(report, e)
            out.package = None
            return out
    engine = Engine(report, max_listed, reveal_values, data_bytes=read.data_bytes(pkg))
    v = Validation(report, pkg, engine)
    steps = [IMPLEMENTATIONS[code] for code in RESOURCE_STEPS]
    for name in pkg.resources:
        if progress:
            progress(f"reading {name}")
        v.schemas[name] = standard.schema(name)
        for step in steps:
            if not step(v, name):
                if name not in v.extra.get("why", {}):  # the checks it disables will say why
                    failed = sorted(c for (c, r, _), n in report.counts.items() if n and r == report.label(name))
                    v.extra.setdefault("why", {})[name] = (f"'{name}' could not be read"
                                                           + (f" (see {', '.join(failed[:3])})" if failed else ""))
                engine.unread(name, v.extra["why"][name])
                break
        v.data.pop(name, None)
    if progress:
        progress("checks")
    engine.run(progress)
    out.tables = Tables(engine, [n for n in pkg.resources if n in engine.loaded and engine.loaded[n].state == "complete"])
    if pkg.resources:
        for check in _stage("declaration"):
            check(v)
    if config is not None:
        site_config.apply(report, config)
    return out
