"""`pedcomm import`: a CSV, SPSS or Stata file a site keeps outside REDCap, read as rows of records.

The file holds what a REDCap export holds, one row per record (and per repeating form's instance,
if the site has any), in the site's own column names and codes: a crosswalk (pedcomm.interop.crosswalk)
says which is which, and the REDCap import does the rest. SPSS and Stata files are read with
pyreadstat as their software stores them: numbers as numbers (1.0 is the code 1), user-defined
missing values kept as the values they are (so a crosswalk can map them), dates as YYYY-MM-DD.
A CSV file is read as the REDCap import reads an export.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Set as AbstractSet
from pathlib import Path

from ..files.inputs import InputRefused, read
from ..validation.masking import neutralise
from ..validation.registry import check
from ..validation.report import Report
from .redcap.forms import RECORD_ID

SPSS = (".sav", ".zsav")
STATA = (".dta",)
KINDS = {**dict.fromkeys(SPSS, "SPSS file"), **dict.fromkeys(STATA, "Stata file")}


def kind(path: str | Path) -> str:
    """What the file is, by its name: 'SPSS file', 'Stata file' or 'CSV file'."""
    return KINDS.get(Path(path).suffix.lower(), "CSV file")


def cell(value) -> str:
    """A value read by pyreadstat as the text a CSV export would hold."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


@check("IMPORT_FILE_UNREADABLE")
def read_labelled(path: Path, report: Report, labels: AbstractSet[str] = frozenset(),
                  record: str = RECORD_ID) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """The header and rows (numbered from 2, as in a CSV file with its header) of an SPSS or Stata file."""
    import pyreadstat

    from ..validation.refusals import input_refused

    what = kind(path)
    source = "REDCap export"  # the resource the import's findings name (pedcomm.interop.redcap.importer.SOURCE)
    report.ran("IMPORT_FILE_UNREADABLE", source, None, 1)
    try:
        data = read(path, "data")  # a regular file within a data file's size, or InputRefused
    except InputRefused as e:
        input_refused(report, e, resource=source, path=neutralise(str(path)))
        return None
    except OSError as e:
        report.add("IMPORT_FILE_UNREADABLE", resource=source, kind=what, detail=f"it cannot be opened ({e.strerror or e})")
        return None
    reader = pyreadstat.read_dta if what == "Stata file" else pyreadstat.read_sav
    try:  # the bytes read within their limit, never the path again
        frame, _ = reader(io.BytesIO(data), user_missing=True)
    except Exception as e:  # pyreadstat raises its own errors for files it cannot parse
        report.add("IMPORT_FILE_UNREADABLE", resource=source, kind=what,
                   detail=f"it is not a readable {what} ({neutralise(str(e))[:200]})")
        return None
    header = [str(c) for c in frame.columns]
    if record not in header and record.casefold() not in [c.casefold() for c in header]:
        report.add("IMPORT_FILE_UNREADABLE", resource=source, kind=what,
                   detail=f"it has no column {record!r} for the record id")
        return None
    body = [(i, [cell(v) for v in row]) for i, row in enumerate(frame.itertuples(index=False, name=None), start=2)]
    return header, body


def reader_of(path: str | Path):
    """The function reading the file into header and rows (None: the REDCap import's own CSV reader)."""
    return None if kind(path) == "CSV file" else read_labelled
