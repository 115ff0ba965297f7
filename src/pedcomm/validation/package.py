"""Open a Data Package descriptor safely: never follow absolute paths, '..', URLs or outbound links."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import standard
from ..files.inputs import InputRefused, descriptor_path, read
from ..files.jsonsafe import JSONRefused, loads
from .masking import bounded, neutralise
from .registry import check
from .report import Report

#: Files people give instead of a package descriptor, and what they are.
DATA_FILES = {".csv": "a CSV data file", ".tsv": "a tab-separated data file", ".txt": "a text file",
              ".xlsx": "an Excel workbook", ".xls": "an Excel workbook", ".sav": "an SPSS file", ".dta": "a Stata file",
              ".xml": "an XML file (a REDCap project or REFI-QDA file?)", ".qdpx": "a REFI-QDA project"}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^//")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


@dataclass
class ResourceRef:
    name: str
    raw_path: str
    path: Path | None  # None when unsafe
    schema: object = None  # the descriptor's schema property (path string or inline dict)


@dataclass
class Package:
    root: Path
    descriptor_path: Path
    descriptor: dict
    resources: dict[str, ResourceRef] = field(default_factory=dict)

    @property
    def studies(self) -> set[str]:
        return {s for s in (standard.study_of(n) for n in self.resources) if s}


def unsafe_reason(root: Path, raw: str) -> str | None:
    """Why a path declared in a descriptor must not be followed, or None when it is safe."""
    if "\x00" in raw:
        return "not a valid path (it contains a NUL character)"
    if _URL.match(raw):
        return "a URL (remote data are never fetched)"
    if os.path.isabs(raw) or _WINDOWS_DRIVE.match(raw) or raw.startswith("\\"):
        return "an absolute path"
    parts = re.split(r"[\\/]", raw)
    if ".." in parts:
        return "outside the package folder ('..')"
    target = (root / raw)
    try:
        resolved = target.resolve()
        resolved.relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return "a link pointing outside the package folder"
    return None


def read_descriptor(path: str | Path, report: Report) -> tuple[Path, dict] | None:
    """The descriptor, read within bounds (pedcomm.files: a regular file of at most 64 MiB, JSON
    nested at most 64 levels, numbers finite and within 64 bits), or None with a finding."""
    from .refusals import input_refused

    p = descriptor_path(path)
    report.ran("PACKAGE_UNREADABLE", None, None, 1)
    shown_path = neutralise(bounded(str(path)))
    if not p.exists() and not p.is_symlink():
        report.add("PACKAGE_UNREADABLE", value=str(path),
                   detail=f"'{shown_path}' is not a datapackage.json file or a folder containing one")
        return None
    kind = DATA_FILES.get(p.suffix.lower()) if p.is_file() else None
    if kind:
        report.add("PACKAGE_UNREADABLE", value=str(path),
                   detail=f"'{shown_path}' is {kind}, not a package descriptor: give the datapackage.json that "
                          "lists the tables (or the folder holding it); a REDCap export becomes a package with "
                          "pedcomm redcap import")
        return None
    try:
        raw = read(p, "descriptor")
        desc = loads(raw)
    except InputRefused as e:
        input_refused(report, e, path=neutralise(bounded(str(p))))
        return None
    except JSONRefused as e:
        report.add("PACKAGE_UNREADABLE", detail=str(e))
        return None
    except OSError as e:
        report.add("PACKAGE_UNREADABLE", detail=f"it cannot be opened ({e.strerror or type(e).__name__})")
        return None
    if not isinstance(desc, dict):
        report.add("PACKAGE_UNREADABLE", detail="the JSON is not an object")
        return None
    report.add_input(p.name, len(raw), hashlib.sha256(raw).hexdigest())
    return p, desc


@check("PACKAGE_UNREADABLE", "PACKAGE_INVALID", "RESOURCE_PATH_UNSAFE", "RESOURCE_UNKNOWN", "RESOURCE_MISSING",
       stage="package")
def open_package(path: str | Path, report: Report) -> Package | None:
    got = read_descriptor(path, report)
    if got is None:
        return None
    dpath, desc = got
    root = dpath.parent
    pkg = Package(root=root, descriptor_path=dpath, descriptor=desc)
    resources = desc.get("resources")
    report.ran("PACKAGE_INVALID", None, None, 1)
    if not isinstance(resources, list) or not resources:
        report.add("PACKAGE_INVALID", detail="it has no 'resources' list")
        return pkg
    known = set(standard.resource_names())
    declared: set[str] = set()
    for i, r in enumerate(resources, start=1):
        if not isinstance(r, dict) or not isinstance(r.get("name"), str):
            report.add("PACKAGE_INVALID", detail=f"resource number {i} has no name")
            continue
        name = r["name"]
        if name in declared:
            report.add("PACKAGE_INVALID", resource=name, detail=f"the resource name '{name}' is used twice")
            continue
        declared.add(name)
        raw = r.get("path")
        if not isinstance(raw, str) or not raw:
            why = "several files per resource are not supported" if isinstance(raw, list) else "it has no 'path'"
            report.add("PACKAGE_INVALID", resource=name, detail=f"resource '{name}': {why}")
            continue
        report.ran("RESOURCE_PATH_UNSAFE", name, "path", 1)
        reason = unsafe_reason(root, raw)
        if reason:
            report.add("RESOURCE_PATH_UNSAFE", resource=name, field="path", value=raw, detail=reason)
        schema = r.get("schema")
        if isinstance(schema, str):
            report.ran("RESOURCE_PATH_UNSAFE", name, "schema", 1)
            sreason = unsafe_reason(root, schema)
            if sreason:
                report.add("RESOURCE_PATH_UNSAFE", resource=name, field="schema", value=schema, detail=sreason)
                schema = None
        report.ran("RESOURCE_UNKNOWN", name, None, 1)
        if name not in known:
            report.add("RESOURCE_UNKNOWN", resource=name)
            continue
        pkg.resources[name] = ResourceRef(name, raw, None if reason else root / raw, schema)
    studies = {s for s in (standard.study_of(n) for n in declared if n in known) if s}
    for study in sorted(studies):
        for name in standard.resource_names(study):
            report.ran("RESOURCE_MISSING", name, None, 1)
            if name not in declared:
                report.add("RESOURCE_MISSING", resource=name, study=study)
    return pkg


def _schema_summary(schema: dict) -> list:
    return [(f.get("name"), f.get("type", "string"), json.dumps(f.get("constraints", {}), sort_keys=True))
            for f in schema.get("fields", [])] + [json.dumps(schema.get("primaryKey")), json.dumps(schema.get("foreignKeys"))]


def compare_schema(pkg: Package, name: str, report: Report):
    declared = pkg.resources[name].schema
    if declared is None:
        return
    report.ran("SCHEMA_MODIFIED", name, "schema", 1)
    if isinstance(declared, str):
        try:
            declared = loads(read(pkg.root / declared, "schema"))
        except InputRefused as e:
            from .refusals import input_refused

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


@check("SCHEMA_MODIFIED", stage="resource")
def schema_step(v, name: str) -> bool:
    """Resource stage: the schema a resource declares, if any, against the standard's."""
    compare_schema(v.package, name, v.report)
    return True
