"""`pedcomm validate`: run every registered check on a package and collect the findings into one report.

Inputs are only read. There is one way a check runs: the validator looks it up in the registry
(pedcomm.validation.registry) by stage and calls it with the run's pedcomm.validation.context.Validation.
The stages, in order:

1. ``package``: open the descriptor safely (PACKAGE_*, RESOURCE_*);
2. ``resource``: each resource through the steps of RESOURCE_STEPS, in that order; a step that
   cannot go on (a file missing, a file that is not CSV, a table missing columns) ends the
   resource's steps;
3. ``tables``: checks across tables (FOREIGN_KEY);
4. ``semantic``: the rules of each registered study, on the typed tables they need;
5. ``declaration``: the package's site declaration.

A site configuration then changes severities (never the checks). This module holds no check of
its own; the checks live in the modules of this layer and in each study's folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import standard
from . import declaration, identity, package, read, screen, structure  # noqa: F401  (their checks register)
from .context import Validation
from .masking import path_shown
from .package import Package
from .registry import IMPLEMENTATIONS, SEMANTIC, STAGED
from .report import DEFAULT_MAX_LISTED, Report

#: The steps of the resource stage, in the order they run, each by the first code it implements.
RESOURCE_STEPS = ("SCHEMA_MODIFIED", "FILE_MISSING", "FILE_FORMAT", "COLUMN_MISSING", "TEXT_IDENTIFIER",
                  "CELL_TYPE", "PRIMARY_KEY")


@dataclass
class Validated:
    """What validation produced: the report, and the typed tables for the analyses."""

    report: Report
    package: Package | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

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
    v = Validation(report, pkg)
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
                break
        v.raw.pop(name, None)
        v.data.pop(name, None)
    for check in _stage("tables"):
        for name in pkg.resources:
            check(v, name)
    if progress:
        progress("semantic rules")
    for fn, needs in SEMANTIC:
        if not any(n in pkg.resources for n in needs):
            continue  # the study is not in this package
        missing = [n for n in needs if n not in v.typed or n in v.unkeyed]
        if missing:
            why = (f"'{missing[0]}' has duplicate keys" if missing[0] in v.typed
                   else v.extra.get("why", {}).get(missing[0], f"'{missing[0]}' could not be read"))
            for code in fn.codes:
                report.not_applicable(code, needs[0], why)
            continue
        fn(v.typed, report)
    out.tables = v.typed
    if pkg.resources:
        for check in _stage("declaration"):
            check(v)
    if config is not None:
        site_config.apply(report, config)
    return out
