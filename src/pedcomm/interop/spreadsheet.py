"""CSV text as spreadsheet programs save it: the encoding and the separator, told apart from the bytes.

Sites open the CSV files pedcomm reads (REDCap exports, the QDA import's maps) in Excel or
LibreOffice and save them again. Excel's "CSV" in a European locale writes semicolons between
cells (the comma is the decimal separator there) and the Windows-1252 ("ANSI") code page rather
than UTF-8; "CSV UTF-8" writes a byte-order mark; "Unicode text" writes UTF-16 with tabs. This
module recognises those shapes so a reader can take the file as it is, and say once what it saw:

- ``decode``: UTF-8 (with or without its byte-order mark), UTF-16 with its mark, or, when the bytes
  are not UTF-8, Windows-1252 (every byte Excel's ANSI code page writes is defined there; the bytes
  it leaves undefined, and NUL bytes, mean the file is not text at all);
- ``separator``: the separator under which a header line holds the columns the reader expects
  (comma first, then semicolon, then tab).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass

#: The separators spreadsheet programs write, in the order they are tried, and their names.
SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}
#: Bytes Windows-1252 leaves undefined: a file holding them was not written in that code page.
_UNDEFINED_1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")


@dataclass(frozen=True)
class Decoded:
    text: str
    #: "utf-8", "utf-8 with BOM", "utf-16" or "windows-1252"
    encoding: str

    @property
    def windows(self) -> bool:
        """Saved in Excel's ANSI code page rather than UTF-8."""
        return self.encoding == "windows-1252"


def decode(data: bytes) -> Decoded | None:
    """The text of a CSV file saved by a spreadsheet program, or None when it is not text."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data:
        return None
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return Decoded(data[3:].decode("utf-8"), "utf-8 with BOM")
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if _UNDEFINED_1252 & set(data):
        return None
    return Decoded(data.decode("cp1252"), "windows-1252")


def cells(line: str, sep: str) -> list[str]:
    """The cells of one CSV line under a separator, stripped (none when it does not parse)."""
    try:
        return [c.strip() for c in next(csv.reader([line], delimiter=sep))]
    except (csv.Error, StopIteration):
        return []


def first_line(text: str) -> str:
    """The first line that is not blank."""
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def separator(header: str, expected: Iterable[str]) -> str | None:
    """The separator under which ``header`` holds every expected column name (compared stripped and
    case-insensitively), or None."""
    wanted = {e.casefold() for e in expected}
    for sep in SEPARATORS:
        if wanted <= {c.casefold() for c in cells(header, sep)}:
            return sep
    return None


def rows(text: str, sep: str) -> list[list[str]]:
    """Every row of the CSV text (quoted cells may hold separators and line breaks)."""
    import io

    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
