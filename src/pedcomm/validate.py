"""Run every check on a package and collect the findings into one report. Inputs are only read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import standard
from .checks import identifiers, structure
from .files.inputs import InputRefused, read
from .files.jsonsafe import JSONRefused, loads
from .package import Package, open_package
from .reader import parse_csv, read_bytes
from .refusals import input_refused
from .registry import SEMANTIC, check
from .report import DEFAULT_MAX_LISTED, Report


@dataclass
class Validated:
    """What validation produced: the report, and the typed tables for the analyses."""

    report: Report
    package: Package | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _schema_summary(schema: dict) -> list:
    return [(f.get("name"), f.get("type", "string"), json.dumps(f.get("constraints", {}), sort_keys=True))
            for f in schema.get("fields", [])] + [json.dumps(schema.get("primaryKey")), json.dumps(schema.get("foreignKeys"))]


@check("SCHEMA_MODIFIED")
def compare_schema(pkg: Package, name: str, report: Report):
    declared = pkg.resources[name].schema
    if declared is None:
        return
    report.ran("SCHEMA_MODIFIED", name, "schema", 1)
    if isinstance(declared, str):
        try:
            declared = loads(read(pkg.root / declared, "schema"))
        except InputRefused as e:
            input_refused(report, e, resource=name, field="schema", path=report.label(declared))
            return
        except JSONRefused as e:
            report.add("SCHEMA_MODIFIED", resource=name, field="schema", detail=f"its file cannot be read: {e}")
            return
        except OSError as e:
            report.add("SCHEMA_MODIFIED", resource=name, field="schema",
                       detail=f"its file cannot be read ({e.strerror or type(e).__name__})")
            return
    if not isinstance(declared, dict):
        report.add("SCHEMA_MODIFIED", resource=name, field="schema", detail="it is not a JSON object")
        return
    std = standard.schema(name)
    a, b = _schema_summary(declared), _schema_summary(std)
    if a != b:
        names_a = {x[0] for x in a if isinstance(x, tuple)}
        names_b = {x[0] for x in b if isinstance(x, tuple)}
        if names_a != names_b:
            diff = sorted(names_a ^ names_b, key=str)
            detail = "fields differ: " + ", ".join(map(str, diff[:5]))
        else:
            detail = "types, constraints or keys differ"
        report.add("SCHEMA_MODIFIED", resource=name, field="schema", detail=detail)


def validate(path: str | Path, *, max_listed: int = DEFAULT_MAX_LISTED, reveal_values: bool = False,
             progress=None, config=None) -> Validated:
    """Validate a package (a datapackage.json or its folder) against the pedcomm standard.

    ``config``: a site configuration (pedcomm.sites.config.SiteConfig) whose justified overrides
    change the severities of the findings; every override is listed in the report.
    """
    from .sites import config as site_config, declaration

    report = Report(max_listed=max_listed, reveal_values=reveal_values)
    report.meta = {**standard.provenance(), "package": str(path)}
    pkg = open_package(path, report)
    out = Validated(report, pkg)
    if pkg is None:
        return out
    report.meta["package_version"] = pkg.descriptor.get("version")
    if config is not None:
        try:
            site_config.check_site(config, declaration.read(pkg.descriptor).site)
        except site_config.ConfigError as e:
            site_config.refuse(report, e)
            out.package = None
            return out
    site_rows = 0  # rows of site data (not shared definitions): they make the site declaration necessary
    typed: dict[str, pd.DataFrame] = {}
    unkeyed: set[str] = set()  # tables whose rows cannot be told apart: no cross-table rules on them
    schemas = {}
    for name, ref in pkg.resources.items():
        if progress:
            progress(f"reading {name}")
        schema = schemas[name] = standard.schema(name)
        compare_schema(pkg, name, report)
        if ref.path is None:
            continue
        data = read_bytes(ref.path, name, ref.raw_path, report)
        if data is None:
            continue
        raw = parse_csv(data, name, report, n_fields=len(schema["fields"]), names=[f["name"] for f in schema["fields"]])
        del data
        if raw is None:
            continue
        present = structure.check_header(name, schema, list(raw.columns), report)
        identifiers.screen(name, schema, raw, report)
        if name not in declaration.DEFINITIONS:
            site_rows += len(raw)
        if len(present) < len(schema["fields"]):
            # a table missing columns is checked cell by cell, but not used by cross-table rules
            structure.check_fields(name, schema, raw, present, report)
            continue
        typed[name] = structure.check_fields(name, schema, raw, present, report)
        if not structure.check_primary_key(name, schema, typed[name], report):
            unkeyed.add(name)
    for name in pkg.resources:
        if name in schemas:
            structure.check_foreign_keys(name, schemas[name], typed, report)
    if progress:
        progress("semantic rules")
    for fn, needs in SEMANTIC:
        if not any(n in pkg.resources for n in needs):
            continue  # the study is not in this package
        missing = [n for n in needs if n not in typed or n in unkeyed]
        if missing:
            why = "has duplicate keys" if missing[0] in typed else "could not be read"
            for code in fn.codes:
                report.not_applicable(code, needs[0], f"'{missing[0]}' {why}")
            continue
        fn(typed, report)
    out.tables = typed
    if pkg.resources:
        declaration.check_declaration(pkg.descriptor, report, holds_site_data=site_rows > 0)
    if config is not None:
        site_config.apply(report, config)
    return out
