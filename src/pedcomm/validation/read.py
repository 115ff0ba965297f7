"""Read one CSV file as text, fast (pyarrow), reporting every problem as a coded finding.

All cells stay text here; typing happens field by field in structure.py so that each bad
cell is reported once, with its row number, instead of failing the whole file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..files.inputs import InputRefused, read
from .registry import check
from .report import Report

#: pyarrow parses in blocks; a single quoted field larger than a block needs a larger one.
BLOCK_SIZE = 1 << 24


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
_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas 3 default "str" dtype
_STRINGS = {pa.string(): _STR, pa.large_string(): _STR}


def encoding_problem(data: bytes) -> str | None:
    """Where the bytes stop being UTF-8, in words; None when they are UTF-8.

    Only called when pyarrow refused the text, so valid files are never decoded twice.
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


def _parser_message(e: Exception) -> str:
    """pyarrow's error in words, without the row text it quotes (a data row may identify someone)."""
    first = str(e).split("\n")[0]
    return re.sub(r"(got \d+)\s*:.*$", r"\1", first)


def parse_csv(data: bytes, resource: str, report: Report, n_fields: int = 2,
              names: list[str] | None = None) -> pd.DataFrame | None:
    """Parse CSV bytes into a frame of strings indexed by row number (header = row 1).

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
    bad: list[tuple[int | None, int, int]] = []

    def handler(row):
        bad.append((row.number, row.expected_columns, row.actual_columns))
        return "skip"

    quoted = b'"' in data  # a newline inside a value needs quotes; the slower parser mode only then

    def run(threads: bool, block: int):
        bad.clear()
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=threads, block_size=block,
                                           column_names=[f"c{i}" for i in range(len(header))], skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=quoted, invalid_row_handler=handler,
                                             ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(len(header))},
                strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[]),
        )

    block = BLOCK_SIZE
    # pyarrow cannot hand a ragged row holding invalid UTF-8 to our handler; it then prints an
    # "Exception ignored" traceback and fails the parse. Keep the screen clean; the encoding is
    # diagnosed below.
    hook, sys.unraisablehook = sys.unraisablehook, lambda _: None
    try:
        for attempt in range(2):
            try:
                table = run(threads=len(data) > (1 << 22), block=block)  # a thread pool only pays off on large files
                break
            except pa.ArrowInvalid as e:
                # a single value larger than a block: read the file as one block, once
                if attempt == 0 and "straddling" in str(e):
                    block = max(block, len(data) + 1)
                    continue
                raise
        if bad:  # row numbers are only known single-threaded
            table = run(threads=False, block=block)
    except (pa.ArrowInvalid, pa.ArrowException) as e:
        problem = encoding_problem(data)
        if problem:
            report.ran("FILE_ENCODING", resource, None, 0)
            report.add("FILE_ENCODING", resource=resource, detail=problem)
        else:
            report.add("FILE_FORMAT", resource=resource, detail=_parser_message(e))
        return None
    finally:
        sys.unraisablehook = hook
    n_total = table.num_rows + len(bad)
    rows = np.arange(2, n_total + 2)
    report.ran("ROW_RAGGED", resource, None, n_total)
    if bad:
        numbered = [b[0] for b in bad if b[0] is not None]
        rows = np.setdiff1d(rows, np.asarray(numbered, dtype=int)) if numbered else rows[: table.num_rows]
        report.add_many("ROW_RAGGED", resource=resource, field=None, rows=[b[0] for b in bad],
                        detail=[str(b[2]) for b in bad], expected=[str(b[1]) for b in bad])
    # Arrow-backed pandas strings: no per-value Python objects (13x faster than the default)
    frame = table.to_pandas(types_mapper=_STRINGS.get)
    del table
    frame.columns = header
    frame.index = pd.Index(rows[: len(frame)], name="row")
    return frame


def duplicated_columns(columns: list[str]) -> dict[str, int]:
    return {c: n for c, n in Counter(columns).items() if n > 1}


@check("FILE_MISSING", "FILE_ENCODING", "FILE_BOM", "FILE_EMPTY", stage="resource")
def file_step(v, name: str) -> bool:
    """Resource stage: the file's bytes, when its path is safe and the file can be used."""
    ref = v.package.resources[name]
    if ref.path is None:
        return False
    data = read_bytes(ref.path, name, ref.raw_path, v.report)
    if data is None:
        return False
    v.data[name] = data
    return True


@check("FILE_FORMAT", "ROW_RAGGED", stage="resource")
def csv_step(v, name: str) -> bool:
    """Resource stage: the bytes parsed as CSV text cells (the bytes are then dropped)."""
    fields = v.schemas[name]["fields"]
    raw = parse_csv(v.data.pop(name), name, v.report, n_fields=len(fields), names=[f["name"] for f in fields])
    if raw is None:
        return False
    v.raw[name] = raw
    v.rows[name] = len(raw)
    return True
