"""A site package with a dozen realistic mistakes, built from a copy of the shipped example.

Each mistake is made the way it happens at a site (a spreadsheet, a REDCap labels export, a hand
edit), on the CSV text, and listed in MISTAKES with what one `pedcomm validate` run must say about it:
the code of its finding, or the check that could not run because of it.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from pedcomm import standard


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # as Excel saves a CSV
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


#: mistake -> (table, the code that must report it, file row or None, record id or None)
MISTAKES: dict[str, tuple[str, str, int | None, str | None]] = {
    "renamed column": ("survey_children", "COLUMN_MISSING", 1, None),
    "lost leading zeros": ("survey_relationships", "FOREIGN_KEY", 4, "R00003"),
    "labels instead of codes": ("survey_parents", "CELL_ENUM", 3, "P0002"),
    "yes/no labels": ("survey_relationships", "CELL_TYPE", 6, "R00005"),
    "Excel date": ("survey_parents", "CELL_TYPE", 5, "P0004"),
    "a name in free text": ("survey_sites", "TEXT_IDENTIFIER", 2, "DFCI"),
    "a duplicated id": ("survey_parents", "PRIMARY_KEY", 402, "P0400"),
    "a relationship to a missing clinician": ("survey_relationships", "FOREIGN_KEY", 7, "R00006"),
    "a missing value spelled NA": ("survey_parents", "CELL_TYPE", 6, "P0005"),
    "an out-of-range answer": ("survey_responses", "RESPONSE_OUT_OF_RANGE", None, None),
    "a wrong site declaration": (None, "SITE_IDENTITY_EXAMPLE", None, None),
    "an age over 89": ("survey_children", "AGE_OVER_89", 8, "C0007"),
}


def build(out: Path) -> Path:
    """Write the package with every mistake into ``out`` (a new folder); returns it."""
    shutil.copytree(standard.example_package() / "data", out / "data")
    shutil.copytree(standard.example_package() / "schemas", out / "schemas")
    desc = json.loads(standard.DESCRIPTOR.read_text(encoding="utf-8"))  # site EXAMPLE, "ALL ROWS ARE SYNTHETIC"
    (out / "datapackage.json").write_text(json.dumps(desc, indent=2), encoding="utf-8")
    d = out / "data"

    h, rows = _read(d / "survey_parents.csv")
    i = {c: h.index(c) for c in h}
    rows[1][i["sex"]] = rows[1][i["sex"]].capitalize()            # row 3: 'Female' (REDCap label)
    rows[1][i["race_ethnicity"]] = "White"
    rows[3][i["mixed_messages"]] = "3-Jan"                         # row 5: Excel made a date of '1-3'
    rows[4][i["hads_depression"]] = "NA"                           # row 6: NA for missing
    rows.append(list(rows[-1]))                                    # row 402: P0400 twice
    _write(d / "survey_parents.csv", h, rows)

    h, rows = _read(d / "survey_relationships.csv")
    i = {c: h.index(c) for c in h}
    rows[2][i["parent_id"]] = rows[2][i["parent_id"]].replace("P000", "P").replace("P00", "P")  # row 4: 'P3'
    rows[3][i["parent_id"]] = rows[3][i["parent_id"]].replace("P000", "P").replace("P00", "P")
    rows[4][i["parent_report"]] = "Yes"                            # row 6: REDCap label of a yes/no field
    rows[5][i["clinician_id"]] = "K999"                            # row 7: no such clinician
    _write(d / "survey_relationships.csv", h, rows)

    h, rows = _read(d / "survey_children.csv")
    h[h.index("days_since_diagnosis")] = "days_since_dx"          # renamed column
    rows[6][h.index("age_years")] = "95"                           # row 8: an age over 89
    _write(d / "survey_children.csv", h, rows)

    h, rows = _read(d / "survey_sites.csv")
    rows[0][h.index("site_name")] = "Dr. John Smith's clinic"     # row 2: a person's name
    _write(d / "survey_sites.csv", h, rows)

    h, rows = _read(d / "survey_responses.csv")
    rows[0][h.index("response")] = "7"                             # an answer outside 1-4
    _write(d / "survey_responses.csv", h, rows)
    return out
