"""Reading and writing a crosswalk file (CSV; its columns are the Table Schema pedcomm.standard.crosswalk).

Read as a site saves it: UTF-8 with or without a byte-order mark (or the UTF-16 and Windows code page
of other spreadsheet saves), commas, or the semicolons or tabs of a spreadsheet saved in another
locale; cells trimmed, blank lines skipped. A file that is not a
crosswalk, or a row that says nothing a crosswalk can say, is one CROSSWALK_UNREADABLE finding and
nothing is imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from ...files.inputs import InputRefused, read
from ...standard import crosswalk as format_
from ...standard.cells import FALSE_VALUES, TRUE_TEXT, TRUE_VALUES
from ...validation.masking import neutralise
from ...validation.registry import check
from ...validation.report import Report
from .. import labels as L

SOURCE = "crosswalk"  # the 'resource' of findings about the crosswalk file
SEPARATORS = (",", ";", "\t")


@dataclass(frozen=True)
class Row:
    """One row of a crosswalk, its cells trimmed; ``line`` is its row in the file (the header is 1)."""

    line: int
    site_field: str
    site_code: str
    standard_field: str
    standard_code: str
    review: bool = False

    def says(self) -> str:
        """The row in words, for messages."""
        site = f"{self.site_field or '(any field)'}" + (f" = {self.site_code}" if self.site_code else "")
        std = (self.standard_field or "(left out)") + (f" = {self.standard_code}" if self.standard_code else "")
        return f"{L.shown(site)} -> {L.shown(std)}"


@dataclass(frozen=True)
class Crosswalk:
    rows: tuple[Row, ...]
    name: str  # the file's name (never its folder: a path may name a person)
    sha256: str
    size: int

    def source(self) -> dict:
        """The crosswalk as a package's descriptor records it (its ``sources``)."""
        return {"title": f"Crosswalk {self.name}: the site's own fields and codes mapped to the standard's "
                         "(format: schemas/crosswalk.json of the pedcomm standard)",
                "path": self.name, "bytes": self.size, "sha256": self.sha256}


def decode(data: bytes) -> str:
    """The text of a small file a person saved from a spreadsheet: UTF-8 (with or without a byte-order mark),
    Excel's 'Unicode Text' (UTF-16), or a 'CSV' saved in Windows' code page (its field names and codes are
    ASCII; only accents in labels and notes could read wrong, and nothing reads those)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _header(text: str) -> tuple[str, list[str]] | None:
    first = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    for sep in SEPARATORS:
        cells = next(csv.reader([first], delimiter=sep), [])
        if any(c.strip() in format_.KEY_COLUMNS for c in cells):
            return sep, [c.strip() for c in cells]
    return None


def _flag(text: str) -> bool | None:
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES or text == "":
        return False
    return None


def _row_problem(cells: dict[str, str]) -> str | None:
    if not cells["site_field"] and not cells["standard_field"] and cells["site_code"] and cells["standard_code"]:
        return None  # a missing-data code of every field
    if not cells["site_field"] and not cells["standard_field"]:
        return "it names neither a site field nor a standard field"
    if cells["site_code"] and not cells["site_field"]:
        return "it gives a site code without its site field (a code of every field has no standard field either)"
    if cells["standard_code"] and not cells["standard_field"]:
        return "it gives a standard code without its standard field"
    if cells["site_field"] and cells["standard_code"] and not cells["site_code"]:
        return "it gives a standard code without the site code it stands for"
    if cells["site_code"] and not cells["standard_field"]:
        return "it gives a site code for a site field that is left out (no standard field)"
    return None


@check("CROSSWALK_UNREADABLE")
def read_crosswalk(path: str | Path, report: Report) -> Crosswalk | None:
    """The crosswalk at ``path``, or None with a CROSSWALK_UNREADABLE finding (or an input refusal)."""
    from ...validation.refusals import input_refused

    path = Path(path)
    report.ran("CROSSWALK_UNREADABLE", SOURCE, None, 1)

    def refuse(detail: str, row: int | None = None) -> None:
        report.add("CROSSWALK_UNREADABLE", resource=SOURCE, row=row, detail=detail)

    try:
        data = read(path, "map")
    except InputRefused as e:
        input_refused(report, e, resource=SOURCE, path=neutralise(str(path)))
        return None
    except OSError as e:
        refuse(f"it cannot be opened ({e.strerror or e})")
        return None
    text = decode(data)
    found = _header(text)
    if found is None:
        refuse(f"its first line has no column {' or '.join(format_.KEY_COLUMNS)}; a crosswalk's columns are "
               f"{', '.join(format_.columns())}")
        return None
    sep, header = found
    known = format_.columns()
    unknown = [c for c in header if c not in known]
    doubled = sorted({c for c in header if header.count(c) > 1})
    lacking = [c for c in format_.KEY_COLUMNS if c not in header]
    if unknown or doubled or lacking:
        what = ([f"the column{'s' if len(unknown) > 1 else ''} {', '.join(repr(L.shown(c)) for c in unknown)} "
                 f"{'are' if len(unknown) > 1 else 'is'} not a crosswalk column"] if unknown else [])
        what += [f"the column {c!r} appears twice" for c in doubled]
        what += [f"it has no column {c!r}" for c in lacking]
        refuse("; ".join(what) + f" (a crosswalk's columns are {', '.join(known)})", 1)
        return None
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except csv.Error as e:
        refuse(f"it is not a CSV file ({e})")
        return None
    rows, bad = [], 0
    while records and not any(c.strip() for c in records[0]):
        records.pop(0)
    for line, cells in enumerate(records[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            refuse(f"row {line} has {len(cells)} cells for {len(header)} columns", line)
            bad += 1
            continue
        values = dict.fromkeys(known, "")
        values.update({c: v.strip() for c, v in zip(header, cells)})
        problem = _row_problem(values)
        flag = _flag(values["review"])
        if problem is None and flag is None:
            problem = f"its review cell is {L.shown(values['review'])!r}; write {TRUE_TEXT} or leave it blank"
        if problem:
            refuse(f"row {line}: {problem}", line)
            bad += 1
            continue
        rows.append(Row(line, values["site_field"], values["site_code"], values["standard_field"], values["standard_code"],
                        bool(flag)))
    if bad:
        return None
    if not rows:
        refuse("it has a header and no rows")
        return None
    return Crosswalk(tuple(rows), path.name, hashlib.sha256(data).hexdigest(), len(data))


def to_csv(rows: list[dict]) -> str:
    """A crosswalk (rows as column -> cell) as CSV text, every column of the format in its order."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=format_.columns(), lineterminator="\n", extrasaction="raise")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in format_.columns()})
    return buf.getvalue()
