"""The file-level checks of one data file, before the check engine reads it: the file itself
(missing, refused, UTF-16, a byte-order mark, binary, empty) and its header line (blank, too long,
too many columns, another delimiter, no header at all); then the load into the engine (DuckDB's CSV
reader, pedcomm.validation.engine.load), which reports ragged rows and the rows it cannot read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from pathlib import Path

from ..files.inputs import InputRefused, read
from ..files.inputs import check as check_input
from .registry import check
from .report import Report


def read_bytes(path: Path, resource: str, raw_path: str, report: Report) -> bytes | None:
    """The file's bytes (without a UTF-8 BOM), or None with a finding when it cannot be used.

    The file is read through pedcomm.files.inputs: a pipe, a device or a folder in its place, or a
    file larger than a data file may be, is refused before it is opened (INPUT_NOT_REGULAR,
    INPUT_TOO_LARGE).
    """
    from .refusals import input_refused

    report.ran("FILE_MISSING", resource, None, 1)
    try:
        data = read(path, "data")
    except FileNotFoundError:
        report.add("FILE_MISSING", resource=resource, value=raw_path)
        return None
    except InputRefused as e:
        input_refused(report, e, resource=resource, path=report.label(raw_path))
        return None
    except OSError as e:  # permission denied, an I/O error
        report.ran("FILE_FORMAT", resource, None, 1)
        report.add("FILE_FORMAT", resource=resource, detail=f"it cannot be opened ({e.strerror or type(e).__name__})")
        return None
    report.add_input(raw_path, len(data), hashlib.sha256(data).hexdigest())
    for code in ("FILE_ENCODING", "FILE_BOM", "FILE_EMPTY"):
        report.ran(code, resource, None, 1)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        report.add("FILE_ENCODING", resource=resource, detail="it is UTF-16, as saved by Excel's 'Unicode text'")
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        report.add("FILE_BOM", resource=resource)
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        report.add("FILE_ENCODING", resource=resource, detail=f"it contains binary data (a NUL byte at byte {nul})")
        return None
    if _BLANK.fullmatch(data):
        report.add("FILE_EMPTY", resource=resource)
        return None
    return data


_BLANK = re.compile(rb"\s*")


def encoding_problem(data: bytes) -> str | None:
    """Where the bytes stop being UTF-8, in words; None when they are UTF-8.

    Only called when the CSV reader refused the text, so valid files are never decoded twice.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        bad = data[e.start:e.start + 1].hex().upper()
        return f"byte 0x{bad} on line {line} is not UTF-8; the file is probably Latin-1/Windows-1252"
    return None


#: Longest header line read (bytes) and most columns accepted: the standard's widest table has
#: fewer than 40 columns, so a file beyond these is not one of its tables (and listing its columns
#: would flood the report).
MAX_HEADER_BYTES = 1 << 20
MAX_COLUMNS = 1000


class HeaderTooLarge(ValueError):
    pass


def header_of(data: bytes) -> list[str]:
    head = data[:MAX_HEADER_BYTES]
    if len(data) > len(head) and b"\n" not in head:
        raise HeaderTooLarge(f"its first line is longer than {MAX_HEADER_BYTES >> 20} MiB; a header line holds column names")
    cut = head.rfind(b"\n") if len(data) > len(head) else len(head)
    text = head[: cut if cut > 0 else len(head)].decode("utf-8", errors="replace")
    return next(csv.reader(io.StringIO(text)))


def check_header_line(data: bytes, resource: str, report: Report, n_fields: int = 2,
                      names: list[str] | None = None) -> list[str] | None:
    """The columns of the file's header line, or None with a FILE_FORMAT finding.

    ``names``: the columns the standard expects; a first line holding none of them (of a table
    with several) is taken for a missing header line and not reported column by column, since it
    is probably a row of data.
    """
    report.ran("FILE_FORMAT", resource, None, 1)
    try:
        header = header_of(data)
    except HeaderTooLarge as e:
        report.add("FILE_FORMAT", resource=resource, detail=str(e))
        return None
    except (csv.Error, StopIteration) as e:
        report.add("FILE_FORMAT", resource=resource, detail=f"the header line cannot be read ({e})")
        return None
    if not header or not any(h.strip() for h in header):
        report.add("FILE_FORMAT", resource=resource, detail="the first line, which must hold the column names, is blank")
        return None
    if len(header) > MAX_COLUMNS:
        report.add("FILE_FORMAT", resource=resource,
                   detail=f"its first line has {len(header)} columns, more than the {MAX_COLUMNS} pedcomm reads")
        return None
    if names and len(names) > 1 and len(header) > 1 and not set(header) & set(names):
        report.add("FILE_FORMAT", resource=resource,
                   detail="its first line holds none of the standard's column names, so the header line is probably "
                          "missing (the line is not shown: it may hold data)")
        return None
    if len(header) == 1 and n_fields > 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if sep in header[0]:
                report.add("FILE_FORMAT", resource=resource,
                           detail=f"the columns are separated by {name}, not commas (re-save as 'CSV (comma delimited)')")
                return None
    return header


def duplicated_columns(columns: list[str]) -> dict[str, int]:
    return {c: n for c, n in Counter(columns).items() if n > 1}


def data_bytes(pkg) -> int:
    """The bytes of the package's data files (for the engine's memory limit; unreadable ones count 0)."""
    total = 0
    for ref in pkg.resources.values():
        try:
            total += check_input(ref.path, "data").st_size if ref.path is not None else 0
        except (OSError, InputRefused):
            pass
    return total


@check("FILE_MISSING", "FILE_ENCODING", "FILE_BOM", "FILE_EMPTY", stage="resource")
def file_step(v, name: str) -> bool:
    """Resource stage: the file's bytes, when its path is safe and the file can be used."""
    ref = v.package.resources[name]
    if ref.path is None:
        return False
    data = read_bytes(ref.path, name, ref.raw_path, v.report)
    if data is None:
        return False
    v.sizes[name] = len(data)
    v.data[name] = data[: MAX_HEADER_BYTES + 1]  # the header line is all the Python side reads of it
    return True


@check("FILE_FORMAT", "ROW_RAGGED", stage="resource")
def csv_step(v, name: str) -> bool:
    """Resource stage: the header line, then the file read by the check engine (its rows as text)."""
    fields = v.schemas[name]["fields"]
    header = check_header_line(v.data.pop(name), name, v.report, n_fields=len(fields), names=[f["name"] for f in fields])
    if header is None:
        return False
    if not v.engine.load(name, v.package.resources[name].path, header, v.sizes[name]):
        return False
    v.header[name] = header
    v.rows[name] = v.engine.loaded[name].rows
    return True
