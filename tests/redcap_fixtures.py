"""Builders of REDCap records exports in the shapes they arrive in, for the conformance suite.

``python -m tests.redcap_fixtures`` writes validation/conformance/files/redcap/<name>; tests/test_redcap.py
checks that the committed files are exactly what these builders produce. Each starts from the raw
export of validation/conformance/valid/ as a project built by `pedcomm redcap project` exports it
(with the missing-data-code checkbox columns), and changes what a site's export or spreadsheet
changes.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

FILES = Path(__file__).resolve().parents[1] / "validation" / "conformance" / "files" / "redcap"


def raw_export(missing_codes: bool = True) -> list[list[str]]:
    from pedcomm import standard
    from pedcomm.interop.package_io import read_text
    from pedcomm.interop.redcap.records import records
    from pedcomm.validation.conformance import SUITE

    tables = {n: read_text(SUITE / "valid" / "data" / f"{n}.csv") for n in standard.resource_names("survey")}
    return list(csv.reader(io.StringIO(records(tables, missing_codes=missing_codes))))


def write(rows: list[list[str]], *, delimiter: str = ",", newline: str = "\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return buf.getvalue()


def conflict(rows: list[list[str]]) -> list[list[str]]:
    """The first rcs_c instance answered 'refused' (-7) with one box still ticked."""
    header = rows[0]
    at = next(i for i, r in enumerate(rows) if r[header.index("redcap_repeat_instrument")] == "rcs_c")
    row = list(rows[at])
    for i, c in enumerate(header):
        if c.startswith("rcsc_strategies___"):
            row[i] = ""
    row[header.index("rcsc_strategies____7")] = "1"
    row[header.index("rcsc_strategies___family_meetings")] = "1"
    return rows[:at] + [row] + rows[at + 1:]


def number_columns(rows: list[list[str]]) -> list[int]:
    """The columns of the dictionary's number fields (parent_pc_transitions: decimals such as 4.5)."""
    from pedcomm.interop.redcap.dictionary import dictionary_rows
    from pedcomm.interop.redcap.excel import numeric_columns

    numeric = numeric_columns(dictionary_rows(_reference()))
    return [i for i, c in enumerate(rows[0]) if c in numeric]


def _reference():
    from pedcomm import standard
    from pedcomm.interop.package_io import read_text
    from pedcomm.validation.conformance import SUITE

    return {n: read_text(SUITE / "valid" / "data" / f"{n}.csv") for n in standard.resource_names("survey")}


def european_excel(rows: list[list[str]]) -> list[list[str]]:
    """What Excel in a European locale writes for the numbers: 4.5 becomes 4,5 (it also separates
    cells with ';', ends lines with CR LF and encodes in Windows-1252: see ``excel_csv``)."""
    cols = number_columns(rows)
    return [rows[0]] + [[c.replace(".", ",") if i in cols else c for i, c in enumerate(r)] for r in rows[1:]]


def excel_csv(rows: list[list[str]], *, delimiter: str = ";") -> bytes:
    """A CSV file as Excel's 'CSV (semicolon delimited)' saves it: ';', CR LF, quotes only where needed,
    Windows-1252, no byte-order mark."""
    return write(rows, delimiter=delimiter, newline="\r\n").encode("cp1252")


def dictionary_head(n: int = 6) -> bytes:
    """The first fields of the data dictionary `pedcomm redcap dictionary` writes (what REDCap downloads too)."""
    from pedcomm.interop.redcap.dictionary import dictionary_rows, to_csv

    return to_csv(dictionary_rows(_reference())[:n]).encode("utf-8")


def fixtures() -> dict[str, bytes]:
    rows = raw_export()
    dup = [r + [r[rows[0].index("parent_sex")]] for r in rows]
    european = european_excel(rows)
    return {
        # a European Excel's "CSV": semicolons, decimal commas, CR LF, Windows-1252
        "excel-european.csv": excel_csv(european),
        # decimal commas in a comma-separated file (quoted): a comma may be a separator or a decimal
        "decimal-comma-mixed.csv": write(european).encode("utf-8"),
        # the data dictionary given instead of the records
        "data-dictionary.csv": dictionary_head(),
        # Excel's "Unicode text": UTF-16 with a byte-order mark
        "not-utf8.csv": write(rows).encode("utf-16"),
        # Excel in a semicolon locale: ';' and CR LF
        "semicolons.csv": write(rows, delimiter=";", newline="\r\n").encode("utf-8"),
        "header-only.csv": write(rows[:1]).encode("utf-8"),
        "column-duplicate.csv": write(dup).encode("utf-8"),
        "checkbox-conflict.csv": write(conflict(rows)).encode("utf-8"),
    }


if __name__ == "__main__":
    for name, data in fixtures().items():
        (FILES / name).write_bytes(data)
        print(f"wrote {FILES / name} ({len(data)} bytes)")
