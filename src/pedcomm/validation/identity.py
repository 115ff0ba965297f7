"""SITE_IDENTITY_EXAMPLE: a package that still carries the shipped example's identity but other data.

Packages written by `pedcomm synth` (other than the shipped example itself) name it in their ``sources``
(pedcomm.standard.SYNTH_SOURCE) and are not flagged. The example's identity is what its descriptor declares
(pedcomm.standard.descriptor()): the site
id, the package name/id and the description (which says that all rows are SYNTHETIC). The data
are compared by the SHA-256 of each resource file with the example's file of the same resource.
"""

from __future__ import annotations

import hashlib
from functools import cache

from .. import standard
from ..standard.declaration import read
from .registry import check


@cache
def example_hashes() -> dict[str, str]:
    """Resource name -> SHA-256 of the shipped example's data file."""
    root = standard.example_package()
    out = {}
    for r in standard.descriptor()["resources"]:
        f = root / r["path"]
        if f.is_file():
            out[r["name"]] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def example_marks(descriptor: dict) -> list[str]:
    """Which of the example's identity marks the descriptor carries, in words."""
    example = standard.descriptor()
    sources = descriptor.get("sources")
    if isinstance(sources, list) and any(isinstance(x, dict) and str(x.get("title", "")).startswith(standard.SYNTH_SOURCE)
                                         for x in sources):
        return []  # written by pedcomm synth: synthetic, and says so
    marks = []
    site = read(descriptor).site
    ex_site = read(example).site
    if site and site == ex_site:
        marks.append(f"site {site}")
    if any(descriptor.get(k) == example.get(k) for k in ("name", "id") if example.get(k)):
        marks.append(f"the name '{example.get('name')}'")
    if example.get("description") and descriptor.get("description") == example.get("description"):
        marks.append("the example's description, which says all rows are SYNTHETIC")
    return marks


@check("SITE_IDENTITY_EXAMPLE", stage="declaration")
def identity_step(v) -> None:
    report = v.report
    marks = example_marks(v.package.descriptor)
    if not marks:
        report.ran("SITE_IDENTITY_EXAMPLE", None, "pedcomm", 1)
        return
    ours = {}
    by_path = {i["path"]: i["sha256"] for i in report.inputs}
    for name, ref in v.package.resources.items():
        sha = by_path.get(report.label(ref.raw_path))
        if sha:
            ours[name] = sha
    shipped = example_hashes()
    report.ran("SITE_IDENTITY_EXAMPLE", None, "pedcomm", 1)
    differ = sorted(n for n, sha in ours.items() if shipped.get(n) != sha)
    if differ:
        report.add("SITE_IDENTITY_EXAMPLE", field="pedcomm",
                   detail="; ".join(marks) + f"; {len(differ)} of its tables differ, e.g. {differ[0]}")
