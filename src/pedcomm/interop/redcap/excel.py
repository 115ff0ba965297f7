"""A REDCap export opened and saved again by Excel: recognised once, from its three signs.

REDCap writes UTF-8 with commas between cells and points in decimal numbers. Saved again by Excel
in a European locale ("CSV" in Germany, France, Italy, Spain, the Netherlands ...), the same file
has semicolons between cells, decimal commas (``2,5``) and the Windows-1252 code page. Left alone,
every decimal number becomes a CELL_TYPE error of the validation (one per cell, hundreds of them),
each telling the data manager to fix a REDCap record that is right.

So the signs are read together and reported as one finding:

- **REDCAP_EXCEL_LOCALE** (a warning): the file is certainly that case, and was read as such. It
  is certain when the cells are separated by semicolons (so a comma cannot be a separator) and
  every decimal number of the dictionary's number fields is written with a comma (none with a
  point): those commas are then read as decimal points. Windows-1252 text alone (Excel's "CSV" in
  any locale) is read as Windows-1252, with the same warning.
- **REDCAP_DECIMAL_COMMA** (an error): numbers are written with decimal commas, but the file is
  not certainly that case (commas also separate its cells, or other numbers have points): which
  is meant cannot be told, so nothing is converted.
- Semicolons or tabs alone remain REDCAP_DELIMITER (a warning: read that way).
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from ...validation.registry import check
from ...validation.words import plural
from .. import spreadsheet
from ..display import listing

SOURCE = "REDCap export"
#: REDCap text validations (and field types) whose values are numbers.
NUMBER_VALIDATIONS = re.compile(r"number(_\d+dp)?(_comma_decimal)?|integer|float")
NUMBER_TYPES = {"calc", "slider"}
_COMMA = re.compile(r"[+-]?\d*,\d+")
_POINT = re.compile(r"[+-]?\d*\.\d+")


def numeric_columns(rows: list[dict]) -> set[str]:
    """The export columns of the dictionary's number fields (text with a number or integer validation, calc, slider)."""
    out = set()
    for r in rows:
        validation = (r.get("Text Validation Type OR Show Slider Number") or "").strip()
        if r.get("Field Type") in NUMBER_TYPES or NUMBER_VALIDATIONS.fullmatch(validation):
            out.add(r["Variable / Field Name"])
    return out


@check("REDCAP_EXCEL_LOCALE", "REDCAP_DECIMAL_COMMA")
def locale(header: list[str], body: list[tuple[int, list[str]]], numeric: AbstractSet[str], sep: str,
           decoded: spreadsheet.Decoded, report) -> list[tuple[int, list[str]]] | None:
    """The rows, their decimal commas read as points when the file is certainly Excel's European CSV;
    None when numbers have decimal commas and which is meant cannot be told (REDCAP_DECIMAL_COMMA).
    Reports the signs once (REDCAP_EXCEL_LOCALE, or REDCAP_DELIMITER for a separator alone)."""
    cols = [i for i, c in enumerate(header) if c in numeric]
    commas: dict[str, int] = {}
    example = ""
    points = 0
    for _, cells in body:
        for i in cols:
            v = cells[i].strip()
            if _COMMA.fullmatch(v):
                commas[header[i]] = commas.get(header[i], 0) + 1
                example = example or f"{header[i]} '{v}'"
            elif _POINT.fullmatch(v):
                points += 1
    n = sum(commas.values())
    signs = [f"{spreadsheet.SEPARATORS[sep]} between cells"] if sep != "," else []
    if n:
        signs.append(f"{plural(n, 'decimal comma')} in {plural(len(commas), 'number column')} "
                     f"({listing(sorted(commas), limit=3, private_values=False)}; such as {example})")
    if decoded.windows:
        signs.append("Windows-1252 ('ANSI') text instead of UTF-8")
    for code in ("REDCAP_EXCEL_LOCALE", "REDCAP_DECIMAL_COMMA"):
        report.ran(code, SOURCE, None, 1)
    if n and (sep == "," or points):
        why = ("its cells are separated by commas too" if sep == "," else
               f"{plural(points, 'other number')} {'has' if points == 1 else 'have'} a decimal point")
        report.add("REDCAP_DECIMAL_COMMA", resource=SOURCE, detail=f"{'; '.join(signs)}; but {why}")
        return None
    if n or decoded.windows:
        report.add("REDCAP_EXCEL_LOCALE", resource=SOURCE, detail="; ".join(signs))
    elif sep != ",":
        report.add("REDCAP_DELIMITER", resource=SOURCE, detail=spreadsheet.SEPARATORS[sep])
    if not n:
        return body
    return [(line, [c.replace(",", ".") if i in cols and _COMMA.fullmatch(c.strip()) else c for i, c in enumerate(cells)])
            for line, cells in body]
