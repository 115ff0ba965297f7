"""What a file given to `pedcomm redcap import` is, when it is not a records export.

A data manager with a REDCap project folder full of downloads picks the wrong one easily: the data
dictionary (it is a CSV too), the project XML, an Excel workbook, a records export of another
project, a package table. Rather than "no 'record_id' column", the import says what the file is
and which command or REDCap page takes it (REDCAP_NOT_AN_EXPORT). Recognised from the first bytes:

| the file | recognised by |
|---|---|
| REDCap data dictionary | first header cell ``Variable / Field Name`` |
| REDCap project XML (CDISC ODM) | an XML document whose root is ``<ODM>`` |
| REFI-QDA project or codebook | a zip holding a ``.qde``, or XML in the ``urn:QDA-XML`` namespaces |
| Excel workbook (.xlsx) | a zip holding ``xl/workbook.xml``; an old .xls by its OLE signature |
| REDCap instrument ZIP | a zip holding ``instrument.csv`` |
| records in the EAV shape | header ``record, field_name, value`` (with an optional event column) |
| records of another project | no pedcomm form's ``*_complete`` column but other forms' |
| a data package or its descriptor | JSON with ``resources`` |
| a table of a pedcomm package | a header equal to a standard resource's columns |

Anything else is left to the records reader, which reports what it finds.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable

from ...validation.registry import check
from .. import spreadsheet
from ..labels import shown

SOURCE = "REDCap export"
_COMPLETE = re.compile(r".+_complete$")


@check("REDCAP_NOT_AN_EXPORT")
def refuse(data: bytes, report, *, foreign: bool = False) -> bool:
    """Report a file that is not a records export (REDCAP_NOT_AN_EXPORT); True when it was refused.
    ``foreign``: another project's records export is expected (a crosswalk maps its fields)."""
    from .forms import FORMS

    report.ran("REDCAP_NOT_AN_EXPORT", SOURCE, None, 1)
    what = identify(data, [f.name for f in FORMS], foreign=foreign)
    if what is None:
        return False
    report.add("REDCAP_NOT_AN_EXPORT", resource=SOURCE, detail=what)
    return True


def identify(data: bytes, forms: Iterable[str], *, foreign: bool = False) -> str | None:
    """What the file is and which command or REDCap page takes it, in words; None when it may be a
    records export. ``forms``: the names of pedcomm's REDCap forms (their ``{form}_complete`` columns)."""
    head = data[:4096]
    if head.startswith(b"PK\x03\x04"):
        return _zip(data)
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: Excel 97-2003
        return "an Excel 97-2003 workbook (.xls), not CSV text"
    decoded = spreadsheet.decode(head)  # a character cut at the end falls back to Windows-1252: the header is ASCII
    if decoded is None:
        return None
    text = decoded.text.lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return _xml(text, b"<ClinicalData" in data)
    if text.startswith(("{", "[")):
        return _json(text)
    return _csv(spreadsheet.first_line(text), set(forms), foreign)


def _zip(data: bytes) -> str:
    try:
        names = [n.lower() for n in zipfile.ZipFile(io.BytesIO(data)).namelist()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return "a damaged zip archive, not CSV text"
    if "xl/workbook.xml" in names:
        return "an Excel workbook (.xlsx), not CSV text (in Excel, Save As 'CSV UTF-8' gives the CSV)"
    if any(n.endswith(".qde") for n in names):
        return "a REFI-QDA project of QDA software, which `pedcomm qda import` takes"
    if "instrument.csv" in names:
        return "a REDCap instrument ZIP (one instrument's fields), which REDCap takes under Designer > 'Upload instrument ZIP'"
    return "a zip archive, not CSV text"


def _xml(text: str, records: bool) -> str:
    root = re.search(r"<(?![?!])([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)", text)
    name = root.group(2) if root else ""
    if name == "ODM":
        return ("a REDCap project XML file (CDISC ODM: instruments, fields, settings" + (", records" if records else "")
                + "), which REDCap takes under New Project > 'Upload a REDCap project XML file' (`pedcomm redcap "
                "project` writes one)")
    if "urn:QDA-XML" in text[:2000]:
        return "a REFI-QDA document of QDA software, which `pedcomm qda import` takes"
    return f"an XML document (<{shown(name, 40)}>), not CSV text"


def _json(text: str) -> str:
    if '"resources"' in text[:4096]:
        return "a data package descriptor (datapackage.json), which `pedcomm validate` takes"
    return "JSON, not CSV (REDCap's API returns records as JSON)"


def _csv(first: str, forms: set[str], foreign: bool = False) -> str | None:
    sep = max(spreadsheet.SEPARATORS, key=lambda s: len(spreadsheet.cells(first, s)))
    header = [c.strip().lower() for c in spreadsheet.cells(first, sep)]
    if not header:
        return None
    if header[0] in ("variable / field name", "variable / field name:"):
        return ("a REDCap data dictionary (the project's fields, as `pedcomm redcap dictionary` writes it), which "
                "REDCap takes under Project Setup > Data Dictionary > Upload")
    rest = [c for c in header[1:] if c != "redcap_event_name"]
    if rest[:2] == ["field_name", "value"]:
        return "REDCap records in the EAV shape (one value per row), not the flat export of one row per record"
    completes = [c.removesuffix("_complete") for c in header if _COMPLETE.fullmatch(c)]
    if completes and not set(completes) & forms and not foreign:
        return (f"the records export of another REDCap project (record id '{shown(header[0], 40)}', forms "
                f"{', '.join(shown(c, 30) for c in completes[:3])}), not of one built by `pedcomm redcap project`; "
                "if it is your own project's export, draft a crosswalk from its data dictionary with `pedcomm redcap "
                "crosswalk` and import it with `--crosswalk`")
    table = _package_table(header)
    if table:
        return f"the table {table} of a pedcomm data package, which `pedcomm validate` takes (the package folder)"
    return None


def _package_table(header: list[str]) -> str | None:
    from ... import standard

    for name in standard.resource_names():
        cols = [f["name"] for f in standard.schema(name)["fields"]]
        if header == cols:
            return name
    return None
