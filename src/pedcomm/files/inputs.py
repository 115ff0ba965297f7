"""Reading an input file without ever blocking or running out of memory.

Every input has a role (a package descriptor, a data file, a site configuration, ...) and each
role a size limit. ``read`` looks at the path with ``os.stat`` first and refuses, before opening
it, anything that is not a regular file (a named pipe would block the read forever, a device such
as /dev/zero never ends, a socket or a folder is not a file) or that is larger than its role
allows. It then opens the file without blocking (``O_NONBLOCK``: a pipe swapped in after the check
cannot hang the open), checks that the opened file is the one looked at, and reads at most the
limit. ``package_files`` lists the files a package consists of, for the output guard
(pedcomm.files.outputs), reading only its descriptor.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Role:
    name: str  # what the message calls the file
    limit: int  # bytes
    why: str  # the reason for the limit (docs, and a reminder to whoever changes it)


#: The roles of input files and their size limits.
ROLES = {
    "descriptor": Role("package descriptor", 64 * MiB,
                       "a descriptor lists resources: the shipped one is 10 kB; 64 MiB is thousands of times that"),
    "schema": Role("Table Schema", 16 * MiB, "the largest standard schema is a few kB"),
    "data": Role("data file", 2 * GiB,
                 "a 1-million-row table of 25 columns is about 150 MB; 2 GiB leaves ten times that and "
                 "stays within what one read into memory can parse"),
    "config": Role("site configuration", 1 * MiB, "a configuration holds a few overrides of a few lines each"),
    "summary": Role("site summary", 16 * MiB, "a site summary is about 20 kB"),
    "report": Role("validation report", 64 * MiB,
                   "a JSON validation report lists at most --max-findings findings per check; the shipped example's is 200 kB"),
    "redcap": Role("REDCap export", 1 * GiB, "a REDCap project export is a few MB"),
    "qda": Role("QDA project", 4 * GiB, "media files are never read; an archive's entries are bounded separately"),
    "map": Role("mapping file", 64 * MiB, "one line per transcript, speaker label or user"),
    "provenance": Role("provenance file", 512 * MiB,
                       "one short entry per row of a converted package: a million-row package's is about 60 MB"),
    "marker": Role("output marker", 64 * MiB, "one line per file pedcomm wrote"),
}


class InputRefused(Exception):
    """An input path that must not be opened; ``code`` is the finding code, ``detail`` says why."""

    def __init__(self, code: str, path: str | Path, role: str, detail: str):
        super().__init__(detail)
        self.code, self.path, self.role, self.detail = code, Path(path), role, detail


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def kind_of(mode: int) -> str:
    """What a file type is called in messages ('a named pipe (FIFO)' ...)."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def size_words(n: int) -> str:
    """A size in words, to four significant digits: '2 GiB', '64 MiB', '705.5 MiB'."""
    return f"{n / GiB:.4g} GiB" if n >= GiB else f"{n / MiB:.4g} MiB" if n >= MiB else f"{n} bytes"


def check(path: str | Path, role: str) -> os.stat_result:
    """The file's status, after refusing a path that is not a regular file or too large for ``role``.

    Raises FileNotFoundError (and other OSErrors of stat) unchanged: a missing file is the
    caller's own finding. Symbolic links are followed: a link to a pipe is a pipe.
    """
    r = ROLES[role]
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise InputRefused("INPUT_NOT_REGULAR", path, role,
                           f"it is {kind_of(st.st_mode)}, not a regular file, so it was not opened")
    if st.st_size > r.limit:
        raise InputRefused("INPUT_TOO_LARGE", path, role,
                           f"it is {st.st_size:,} bytes, more than the {size_words(r.limit)} a {r.name} may be")
    return st


def read(path: str | Path, role: str) -> bytes:
    """The bytes of an input file, read without blocking and never more than its role's limit.

    Raises InputRefused, or the OSError of a file that cannot be opened (missing, permission).
    """
    r = ROLES[role]
    st = check(path, role)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise InputRefused("INPUT_NOT_REGULAR", path, role,
                               "it was replaced by something else while being opened, so it was not read")
        chunks, total = [], 0
        while True:
            block = os.read(fd, min(1 << 24, r.limit + 1 - total))
            if not block:
                break
            chunks.append(block)
            total += len(block)
            if total > r.limit:
                raise InputRefused("INPUT_TOO_LARGE", path, role,
                                   f"it grew beyond the {size_words(r.limit)} a {r.name} may be while being read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def descriptor_path(path: str | Path) -> Path:
    """The descriptor of a package given as a datapackage.json or as the folder holding it."""
    p = Path(path)
    return p / "datapackage.json" if p.is_dir() else p


def package_files(path: str | Path) -> list[Path]:
    """The files a package consists of: the path given, its descriptor, and every resource and
    schema file the descriptor names (whether or not they exist or are safe to read).

    Used to keep outputs off inputs; it never raises (an unreadable descriptor gives the paths
    known without it).
    """
    from .jsonsafe import JSONRefused, loads

    given = Path(path)
    desc = descriptor_path(given)
    out = [given, desc]
    try:
        doc = loads(read(desc, "descriptor"))
    except (OSError, InputRefused, JSONRefused):
        return out
    resources = doc.get("resources") if isinstance(doc, dict) else None
    for r in resources if isinstance(resources, list) else []:
        if not isinstance(r, dict):
            continue
        for key in ("path", "schema", "dialect"):
            value = r.get(key)
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str) and v and "\x00" not in v and "://" not in v:
                    out.append(desc.parent / v)
    return out
