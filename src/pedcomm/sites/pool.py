"""`pedcomm pool`: stack validated site packages into one pooled package, or write nothing.

Every site is validated first (with its site configuration); any site with errors, a missing or
repeated site id, or an incompatible standard version stops the run before anything is written.
Identifiers are made unique with the site id as prefix (``SITE1-P0001``; identifiers already
carrying the prefix are kept); the definitions every site shares (instrument items, codebook) are
pooled once and must agree. The pooled package is validated in a temporary folder and appears
only if it is valid (pedcomm.files.outputs); its descriptor records each source: site, standard version,
file hashes and the tool that validated and pooled it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import standard
from ..files.inputs import package_files
from ..files.outputs import FOLDER, claim
from ..standard.declaration import Declaration, compatibility, read, standard_version
from ..standard.studies import definitions
from ..validation import config as site_config
from ..validation.masking import path_shown
from ..validation.registry import check
from ..validation.report import Report
from ..validation.run import Validated, validate
from ..validation.words import plural
from .resubmitted import check_near_duplicates

SYNTHETIC_KEYWORD = standard.SYNTHETIC_KEYWORD


@dataclass
class SiteInput:
    path: Path
    validated: Validated
    declaration: Declaration
    config: site_config.SiteConfig | None = None

    @property
    def site(self) -> str | None:
        return self.declaration.site

    @property
    def label(self) -> str:
        return self.site or str(self.path)


@dataclass
class Pooled:
    """What a pooling run did: the pool's own findings, each site, and the pooled package (if written)."""

    report: Report
    sites: list[SiteInput] = field(default_factory=list)
    result: Validated | None = None  # the pooled package's validation, when it got that far
    out: Path | None = None  # set when the pooled package was written


class _Abort(Exception):
    """The pooled package is invalid: leave the temporary folder and write nothing."""


def id_fields(resource: str) -> list[str]:
    """The identifier fields of a resource that get the site prefix: every identifier except those
    of the shared definitions (items, themes, codes) and the references to them."""
    if resource in definitions():
        return []
    schema = standard.schema(resource)
    shared = {f for fk in schema.get("foreignKeys", []) if fk["reference"]["resource"] in definitions()
              for f in fk["fields"]}
    return [f["name"] for f in schema["fields"]
            if "pattern" in f.get("constraints", {}) and f["name"] not in shared]


def prefix(values: pd.Series, site: str) -> pd.Series:
    """``SITE-value``; blanks, and values that already are the site id or carry its prefix, unchanged."""
    v = values.astype(str)
    keep = (v == "") | (v == site) | v.str.startswith(f"{site}-")
    return v.where(keep, f"{site}-" + v)


def _is_synthetic(descriptor: dict) -> bool:
    return standard.is_synthetic(descriptor)


def error_codes(report: Report) -> list[str]:
    """Codes with error findings in a report (after any site configuration)."""
    return sorted({c for (c, res, fld), n in report.counts.items() if n and report.severity(c, res, fld) == "error"})


def _config_for(site: str | None, configs) -> site_config.SiteConfig | None:
    mine = [c for c in configs if c.site == site] or [c for c in configs if c.site is None]
    return mine[0] if mine else None


@check("POOL_SITE_INVALID", "POOL_SITE_UNDECLARED", "POOL_SITE_DUPLICATE")
def check_sites(sites: list[SiteInput], report: Report) -> None:
    """Pool-level checks of the sites before anything is read: validity, site ids, versions."""
    for s in sites:
        r = s.validated.report
        report.ran("POOL_SITE_INVALID", None, None, 1)
        if r.status != "valid":
            what = "an unreadable package" if r.status == "unreadable" else plural(r.totals()['error'], 'error')
            report.add("POOL_SITE_INVALID", value=s.label, detail=f"{what} ({', '.join(error_codes(r))})")
            continue
        report.ran("POOL_SITE_UNDECLARED", None, None, 1)
        d = s.declaration
        if d.site is None:
            if d.sites:
                why = f"it declares several sites ({', '.join(d.sites)})"
            else:
                why = "its site declaration is " + "; ".join(d.problems)
            report.add("POOL_SITE_UNDECLARED", value=str(s.path), detail=why)
    report.ran("POOL_SITE_DUPLICATE", None, None, len(sites))
    by_site: dict[str, int] = {}
    for s in sites:
        if s.site:
            by_site[s.site] = by_site.get(s.site, 0) + 1
    for site, n in by_site.items():
        if n > 1:
            report.add("POOL_SITE_DUPLICATE", value=site, detail=n)
    mine = standard_version()
    for s in sites:
        v = s.declaration.schema_version
        if v is None:
            continue
        report.ran("SCHEMA_VERSION_INCOMPATIBLE", None, s.label, 1)
        report.ran("SCHEMA_VERSION_DIFFERS", None, s.label, 1)
        how = compatibility(v, mine)
        if how == "major":
            report.add("SCHEMA_VERSION_INCOMPATIBLE", field=s.label, value=v, who=f"The site {s.label}", detail=v,
                       expected=f"{mine} (the pooled package's)")
        elif how == "minor":
            report.add("SCHEMA_VERSION_DIFFERS", field=s.label, value=v, who=f"The site {s.label}", detail=v,
                       expected=f"{mine} (the pooled package's)")


#: The tables whose rows are a site's participants and observations: a package whose tables of
#: these are all the same as another site's is that site's data again, whatever its site id.
UNIT_TABLES = ("survey_parents", "survey_relationships", "coding_patients", "coding_discussions")


def fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's rows in any order (each row hashed from its cells as text)."""
    import hashlib

    import numpy as np

    text = frame.astype("string").fillna("\x00missing")
    rows = np.sort(pd.util.hash_pandas_object(text, index=False).to_numpy())
    return hashlib.sha256(rows.tobytes() + ",".join(map(str, frame.columns)).encode()).hexdigest()


@check("POOL_SITE_SAME_DATA")
def check_same_data(sites: list[SiteInput], report: Report) -> set[tuple[int, int]]:
    """Refuse two site ids holding the same rows in every unit table (one site submitted twice);
    returns the pairs refused (indexes into ``sites``)."""
    from itertools import combinations

    report.ran("POOL_SITE_SAME_DATA", None, None, len(sites))
    prints = {}
    for i, s in enumerate(sites):
        if s.site is None or s.validated.report.status != "valid":
            continue
        held = {n: s.validated.tables[n] for n in UNIT_TABLES if n in s.validated.tables and len(s.validated.tables[n])}
        if held:
            prints[i] = {n: fingerprint(f) for n, f in held.items()}
    same = set()
    for i, j in combinations(sorted(prints), 2):
        a, b = sites[i], sites[j]
        if a.site != b.site and prints[i] == prints[j]:
            report.add("POOL_SITE_SAME_DATA", value=f"{a.site} and {b.site}",
                       detail="identical rows in " + " and ".join(sorted(prints[i])))
            same.add((i, j))
    return same


def _read(site: SiteInput, name: str, report: Report) -> pd.DataFrame:
    from ..interop.package_io import read_text

    frame = read_text(site.validated.opened().resources[name].path)
    cols = [f["name"] for f in standard.schema(name)["fields"]]
    extra = [c for c in frame.columns if c not in cols]
    report.ran("POOL_CONTENT_DROPPED", name, None, 1)
    if extra:
        report.add("POOL_CONTENT_DROPPED", resource=name, value=site.label,
                   detail=f"the column{'s' if len(extra) > 1 else ''} "
                          f"{', '.join(repr(report.label(c)) for c in extra)} of {name}")
    return frame[cols]


@check("POOL_DEFINITION_CONFLICT", "POOL_CONTENT_DROPPED")
def merge(sites: list[SiteInput], report: Report) -> dict[str, pd.DataFrame]:
    """The pooled tables (text cells): site tables prefixed and stacked, shared definitions once."""
    tables: dict[str, pd.DataFrame] = {}
    for s in sites:
        known = set(standard.resource_names())
        for r in s.validated.opened().descriptor.get("resources", []):
            name = r.get("name") if isinstance(r, dict) else None
            if isinstance(name, str) and name not in known:
                report.add("POOL_CONTENT_DROPPED", resource=name, value=s.label, detail=f"the resource '{name}'")
    for name in standard.resource_names():
        holders = [s for s in sites if name in s.validated.tables]
        if not holders:
            continue
        frames = []
        for s in holders:
            f = _read(s, name, report)
            for col in id_fields(name):
                f[col] = prefix(f[col], str(s.site))
            frames.append(f.assign(_site=s.site))
        stacked = pd.concat(frames, ignore_index=True)
        if name in definitions():
            stacked = _definitions(name, stacked, report)
        tables[name] = stacked.drop(columns="_site")
    return tables


def _definitions(name: str, stacked: pd.DataFrame, report: Report) -> pd.DataFrame:
    key = standard.schema(name)["primaryKey"]
    cols = [f["name"] for f in standard.schema(name)["fields"]]
    distinct = stacked.drop_duplicates(subset=cols)
    report.ran("POOL_DEFINITION_CONFLICT", name, None, len(distinct))
    clash = distinct[distinct.duplicated(subset=key, keep=False)]
    for k, group in clash.groupby(key, sort=False):
        k = k if isinstance(k, tuple) else (k,)
        report.add("POOL_DEFINITION_CONFLICT", resource=name, field=key[0], value="/".join(map(str, k)),
                   detail=" and ".join(sorted(set(group["_site"]))))
    return distinct.drop_duplicates(subset=key)


def _text(value):
    """A site's own text recorded in the pooled descriptor, through the one masking path."""
    from ..validation.masking import shown_one

    return None if value is None else shown_one(str(value), limit=2000)


def sources(sites: list[SiteInput]) -> list[dict]:
    out = []
    for s in sites:
        r, desc = s.validated.report, s.validated.opened().descriptor
        out.append({
            "site": s.site, "schemaVersion": s.declaration.schema_version,
            "package": {"name": _text(desc.get("name")), "version": _text(desc.get("version"))},
            "files": [{"path": i["path"], "bytes": i["bytes"], "sha256": i["sha256"]} for i in r.inputs],
            "validation": {**standard.provenance(), "status": r.status, "warnings": r.totals()["warning"],
                           "overrides": [{k: _text(o[k]) for k in ("code", "scope", "from", "to", "justification")}
                                         for o in r.meta.get("overrides", [])]},
        })
    return out


@check("POOL_RESULT_INVALID")
def write(sites: list[SiteInput], tables: dict[str, pd.DataFrame], dest, report: Report) -> Validated:
    """Write the pooled package atomically after validating it; raises _Abort (nothing written) if invalid."""
    from ..standard.writer import write_into

    names = [n for n in standard.resource_names() if n in tables]
    ids = [str(s.site) for s in sites]
    synthetic = any(_is_synthetic(s.validated.opened().descriptor) for s in sites)
    desc = standard.build_descriptor(
        names, synthetic=synthetic, name="pedcomm-pooled", title=f"pedcomm pooled package: sites {', '.join(ids)}",
        description=(f"The packages of {len(ids)} sites ({', '.join(ids)}) pooled by `pedcomm pool`: identifiers "
                     "carry their site's id as prefix; the shared instrument and codebook definitions appear once. "
                     "`pedcomm.sources` records each site's files (SHA-256) and validation."
                     + (" Some or all sources are SYNTHETIC." if synthetic else "")),
        extra={"pedcomm": {"sites": ids, "schemaVersion": standard_version(), "sources": sources(sites),
                           "pooledWith": standard.provenance()}})
    report.ran("POOL_RESULT_INVALID", None, None, 1)
    result: dict = {}
    try:
        with dest.staging() as tmp:
            write_into(tmp, tables, desc)
            checked = result["validated"] = validate(tmp, config=_sites_config(sites))
            checked.report.meta["package"] = path_shown(dest.given, reveal=checked.report.reveal_values)
            if checked.report.status != "valid":
                t = checked.report.totals()
                codes = ", ".join(error_codes(checked.report))
                report.add("POOL_RESULT_INVALID", detail=f"{plural(t['error'], 'error')} ({codes})")
                raise _Abort
    except _Abort:
        pass
    return result["validated"]


def _sites_config(sites: list[SiteInput]) -> site_config.SiteConfig | None:
    """The sites' overrides, for the pooled package (each was justified by its site)."""
    used = [s.config for s in sites if s.config is not None]
    overrides = tuple(dict.fromkeys(o for c in used for o in c.overrides))
    return site_config.SiteConfig("the sites' configurations", None, overrides) if overrides else None


def pool(paths: Sequence[str | Path], out: str | Path, *, configs=(), force: bool = False, progress=None,
         protect=()) -> Pooled:
    """Validate every site package, then pool them into ``out`` (written only if all is well).

    The output is claimed first (pedcomm.files.outputs): never onto a site's files (nor onto
    ``protect``, the configurations' files), never over anything pedcomm did not write.
    """
    inputs = [f for p in paths for f in package_files(p)] + list(protect)
    with claim(out, kind=FOLDER, command="pool", force=force, protect=inputs) as dest:
        return _pool(paths, dest, configs, progress)


def _pool(paths, dest, configs, progress) -> Pooled:
    out = dest.given
    report = Report()
    report.meta = {**standard.provenance(),
                   "command": "pool", "package": path_shown(out)}
    sites = []
    for p in paths:
        if progress:
            progress(f"validating {p}")
        v = validate(p)
        d = read(v.package.descriptor) if v.package is not None else Declaration()
        s = SiteInput(Path(p), v, d)
        s.config = _config_for(s.site, configs)
        if s.config is not None and v.package is not None:
            site_config.apply(v.report, s.config)
        sites.append(s)
    outcome = Pooled(report, sites)
    check_sites(sites, report)
    same = check_same_data(sites, report)
    check_near_duplicates(sites, UNIT_TABLES, report, skip=same)  # resubmitted with a few changes
    if report.totals()["error"]:
        return outcome
    if progress:
        progress("pooling")
    tables = merge(sites, report)
    if report.totals()["error"]:
        return outcome
    if progress:
        progress("validating the pooled package")
    outcome.result = write(sites, tables, dest, report)
    if not report.totals()["error"]:
        outcome.out = Path(out)
    return outcome
