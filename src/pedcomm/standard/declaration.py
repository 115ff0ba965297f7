"""The site declaration of a package: which site it comes from and which standard version it follows.

It lives in the descriptor's custom ``pedcomm`` property (Data Package descriptors may carry
custom properties; frictionless ignores it)::

    "pedcomm": {"site": "DFCI", "schemaVersion": "0.1.0"}

A pooled package lists its sites instead (``"sites": ["DFCI", "TCH"]``) with the sources it was
pooled from. Versions follow semantic versioning: another major version is incompatible, another
minor version is compatible (docs/reuse.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import standard

PROPERTY = "pedcomm"
#: Site ids: like every identifier, but short, because pooling prefixes identifiers with them.
SITE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,23}")
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


def parse_version(text) -> tuple[int, int, int] | None:
    m = SEMVER.fullmatch(text) if isinstance(text, str) else None
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def standard_version() -> str:
    return standard.version()


def compatibility(a: str, b: str) -> str:
    """'same', 'minor' (compatible: same major version) or 'major' (incompatible) between two versions."""
    va, vb = parse_version(a), parse_version(b)
    if va is None or vb is None or va[0] != vb[0]:
        return "major"
    return "same" if va[:2] == vb[:2] else "minor"


@dataclass
class Declaration:
    site: str | None = None
    sites: list[str] = field(default_factory=list)
    schema_version: str | None = None
    problems: list[str] = field(default_factory=list)  # why the declaration is missing or invalid
    problems_about_site: bool = False  # the site part is missing or invalid (not only the version)


def read(descriptor: dict) -> Declaration:
    """The declaration of a descriptor, with what is wrong with it."""
    d = Declaration()
    block = descriptor.get(PROPERTY)
    if block is None:
        d.problems.append(f"missing (no '{PROPERTY}' property in datapackage.json)")
        d.problems_about_site = True
        return d
    if not isinstance(block, dict):
        d.problems.append(f"invalid ('{PROPERTY}' must be an object)")
        d.problems_about_site = True
        return d
    site, sites = block.get("site"), block.get("sites")
    if site is None and sites is None:
        d.problems.append("incomplete: no 'site'")
        d.problems_about_site = True
    elif site is not None and sites is not None:
        d.problems.append("invalid: it has both 'site' and 'sites'")
        d.problems_about_site = True
    elif site is not None:
        if isinstance(site, str) and SITE_ID.fullmatch(site):
            d.site = site
        else:
            d.problems.append("invalid: 'site' must be a site id of letters, digits, '_', '.' and '-' "
                              "(at most 24 characters)")
            d.problems_about_site = True
    else:
        ok = isinstance(sites, list) and sites and all(isinstance(s, str) and SITE_ID.fullmatch(s) for s in sites)
        if ok and isinstance(sites, list) and len(set(sites)) == len(sites):
            d.sites = list(sites)
        else:
            d.problems.append("invalid: 'sites' must be a list of distinct site ids")
            d.problems_about_site = True
    version = block.get("schemaVersion")
    if version is None:
        d.problems.append("incomplete: no 'schemaVersion'")
    elif parse_version(version) is None:
        d.problems.append(f"invalid: 'schemaVersion' must be a semantic version such as {standard_version()}")
    else:
        d.schema_version = version
    return d


def site_of(validated) -> str | None:
    """The single site a validated package declares (None when it declares none or several)."""
    pkg = getattr(validated, "package", None)
    return read(pkg.descriptor).site if pkg is not None else None
