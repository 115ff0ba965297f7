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


def fixtures() -> dict[str, bytes]:
    rows = raw_export()
    dup = [r + [r[rows[0].index("parent_sex")]] for r in rows]
    return {
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
