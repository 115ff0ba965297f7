"""`pedcomm init --site ID --name NAME --out DIR`: an empty package that declares a site, so nobody
edits JSON by hand.

It is the template of `pedcomm standard` (pedcomm.commands.release: every standard resource, the
Table Schemas, header-only tables, the shared definitions filled in) with the site's own identity:
the descriptor declares the site (``pedcomm.site``), names the package after it, says nothing of
synthetic data, and ``survey_sites`` holds the site's one row. The site then fills data/ (or runs
`pedcomm redcap import --package DIR`, which takes the site from here) and validates.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import standard
from ..standard.declaration import SITE_ID
from ..standard.studies import definitions
from ..standard.writer import to_csv
from .release import _copies, _header, _write_folder

#: Site ids that are not a site's: the example's and the template's placeholder.
RESERVED = ("EXAMPLE", "YOUR_SITE_ID")
MAX_NAME = 200  # survey_sites.site_name's maxLength


class InitRefused(ValueError):
    """A site id or name that cannot be declared (the message says why)."""


def check(site: str, name: str) -> None:
    if not SITE_ID.fullmatch(site or ""):
        raise InitRefused(f"the site id {site!r} must be 1 to 24 letters, digits, '_', '.' or '-', "
                          "starting with a letter or digit")
    if site.upper() in RESERVED:
        raise InitRefused(f"the site id {site!r} is reserved (the example's or the template's); use your own")
    if not name.strip() or len(name) > MAX_NAME or any(c in name for c in "\r\n\t"):
        raise InitRefused(f"the site name must be 1 to {MAX_NAME} characters on one line")


def descriptor(site: str, name: str) -> dict:
    return standard.build_descriptor(
        standard.resource_names(), synthetic=False, name=f"pedcomm-{site.lower()}",
        title=f"pedcomm package of {name}",
        description=(f"The pedcomm package of {name} (site {site}), written empty by `pedcomm init`: its tables "
                     "are filled by the site and checked with `pedcomm validate`."),
        site=site)


def contents(site: str, name: str) -> dict[str, bytes | Path]:
    """Package path -> bytes (or a file to copy) of the site's empty package."""
    check(site, name)
    desc = descriptor(site, name)
    files: dict[str, bytes | Path] = {"datapackage.json": standard.dumps(desc).encode()}
    copies = _copies()
    for r in desc["resources"]:
        if isinstance(r.get("schema"), str):
            files[r["schema"]] = standard.schema_path(r["name"])
        if r["name"] in definitions():
            files[r["path"]] = copies[r["path"]]
        elif r["name"] == "survey_sites":
            files[r["path"]] = to_csv(pd.DataFrame({"site_id": [site], "site_name": [name]}),
                                      standard.schema("survey_sites")).encode()
        else:
            files[r["path"]] = _header(r["name"]).encode()
    return files


def write(out: str | Path, site: str, name: str, *, force: bool = False) -> dict:
    files = contents(site, name)
    _write_folder(out, files, "init", force)
    return files
