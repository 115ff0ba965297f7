"""The codebook of the transcript-coding study: themes and their codes, read from the shipped tables."""

from __future__ import annotations

import csv
from pathlib import Path

from .. import standard
from .md import BANNER, code, table

THEMES, CODES = "coding_themes", "coding_codes"


class CodebookMissing(RuntimeError):
    """The coding schemas are part of the standard but the shipped codebook tables are not there."""


def package_dir() -> Path:
    return standard.example_package()


def _rows(name: str) -> list[dict] | None:
    """The rows of a resource, or None when the standard does not define it (yet)."""
    schema_file = standard.SCHEMAS / f"{name}.json"
    entry = next((r for r in standard.descriptor()["resources"] if r["name"] == name), None)
    if entry is None and not schema_file.exists():
        return None
    if entry is None:
        raise CodebookMissing(f"schemas/{name}.json exists but datapackage.json has no resource {name!r}")
    path = package_dir() / entry["path"]
    if not path.is_file():
        raise CodebookMissing(f"schemas/{name}.json exists but the codebook table {entry['path']} is missing; "
                              "regenerate the example package (make data)")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _source(row: dict) -> str:
    parts = [f"name {row.get('name_source') or '?'}"]
    if row.get("definition"):
        parts.append(f"definition {row.get('definition_source') or '?'}")
    return "; ".join(parts)


def page() -> str:
    head = [BANNER.format(source="the coding_themes and coding_codes tables of the example package"), "# Codebook", ""]
    themes, codes = _rows(THEMES), _rows(CODES)
    if themes is None or codes is None:
        return "\n".join(head + [
            '!!! note "Not available yet"', "",
            "    The codebook of the transcript-coding study (themes and codes) is not yet part of the standard: "
            f"this page is generated from the {code(THEMES)} and {code(CODES)} tables once they exist.", ""])
    by_theme: dict[str, list[dict]] = {t["theme_id"]: [] for t in themes}
    for c in codes:
        by_theme.setdefault(c["theme_id"], []).append(c)
    illustrative = sum(c.get("name_source") == "illustrative" for c in codes)
    out = head + [
        f"The codebook of the transcript-coding study (Kaye et al. 2021): {len(themes)} themes and {len(codes)} codes, "
        f"each code under exactly one theme. Generated from {code(THEMES)} and {code(CODES)} "
        f"(see the [data dictionary](data-dictionary.md#{THEMES})).", ""]
    if illustrative:
        out += ['!!! warning "Illustrative code names"', "",
                f"    {illustrative} of the {len(codes)} code names are **illustrative**, not published: the article's table "
                "of codes and definitions was not available to us. The theme names are the published ones where marked "
                "`published`. Replace the illustrative rows with your own codebook (or the published one) before analysis.", ""]
    out += ["## Themes", "", table(["Theme", "Identifier", "Codes", "Source"],
                                   [[f"[{t['name']}](#theme-{t['theme_id']})", code(t["theme_id"]),
                                     len(by_theme[t["theme_id"]]), _source(t)] for t in themes]), ""]
    for t in themes:
        out += [f"## {t['name']} {{#theme-{t['theme_id']}}}", "", t.get("definition") or "(no definition)", "",
                f"Theme {code(t['theme_id'])}; {_source(t)}.", "",
                table(["Code", "Name", "Definition", "Source"],
                      [[code(c["code_id"]), c["name"], c.get("definition", ""), _source(c)] for c in by_theme[t["theme_id"]]]),
                ""]
    orphans = [c for c in codes if c["theme_id"] not in {t["theme_id"] for t in themes}]
    if orphans:
        out += ["## Codes whose theme is not in the themes table", "",
                table(["Code", "Theme", "Name"], [[code(c["code_id"]), code(c["theme_id"]), c["name"]] for c in orphans]), ""]
    return "\n".join(out)
