"""Guards for reading REFI-QDA files from elsewhere: zip archives and XML.

Nothing in an archive is ever extracted to disk: entries are read into memory, and only after
the whole archive passed these checks. An archive is refused (QDA_UNSAFE_ARCHIVE) when an entry
name is absolute or climbs out with '..', is a symbolic link, when it holds too many entries or
declares more unpacked bytes than the limits below (a zip bomb declares them; reading never goes
past what an entry declares). XML is parsed with defusedxml, which refuses DTDs, entity
declarations and external references (QDA_XML_UNSAFE): the billion-laughs attack and XXE.
"""

from __future__ import annotations

import lzma
import re
import stat
import zipfile
import zlib
from pathlib import PurePosixPath

from ..labels import shown

#: Limits of an archive we agree to read. A large NVivo project with its transcripts is a few
#: hundred MB at most once media files are left out; media are never read.
MAX_ENTRIES = 10_000
MAX_UNPACKED = 512 * 1024 * 1024  # bytes, summed over all entries as declared
MAX_XML = 256 * 1024 * 1024  # bytes of one .qde/.qdc document


_DRIVE = re.compile(r"^[A-Za-z]:")


class Unsafe(Exception):
    """The input must not be read; ``code`` is the finding code, the message says why."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


def unsafe_entry(name: str) -> str | None:
    """Why an archive entry name is unsafe, or None."""
    if "\x00" in name:
        return "contains a NUL character"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or _DRIVE.match(norm):
        return "is an absolute path"
    if ".." in PurePosixPath(norm).parts:
        return "climbs out of the archive folder ('..')"
    return None


def check_archive(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The entries of a zip archive, after checking all of them; raises Unsafe."""
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise Unsafe("QDA_UNSAFE_ARCHIVE", f"it holds {len(infos)} entries (the limit is {MAX_ENTRIES})")
    total = 0
    for info in infos:
        why = unsafe_entry(info.filename)
        if why:
            raise Unsafe("QDA_UNSAFE_ARCHIVE", f"the entry '{shown(info.filename, 120)}' {why}")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise Unsafe("QDA_UNSAFE_ARCHIVE", f"the entry '{shown(info.filename, 120)}' is a symbolic link")
        total += info.file_size
        if total > MAX_UNPACKED:
            raise Unsafe("QDA_UNSAFE_ARCHIVE", f"its entries unpack to more than {MAX_UNPACKED // 2**20} MiB "
                                               "(a zip bomb, or media files that do not belong in the exchange file)")
    return infos


def read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int = MAX_XML) -> bytes:
    """The bytes of one entry, never more than ``limit`` (nor than the entry declares)."""
    if info.file_size > limit:
        raise Unsafe("QDA_UNSAFE_ARCHIVE", f"the entry '{shown(info.filename, 120)}' unpacks to more than {limit // 2**20} MiB")
    try:
        with zf.open(info) as fh:
            data = fh.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as e:  # damaged data, CRC errors
        raise Unsafe("QDA_UNREADABLE", f"the entry '{shown(info.filename, 120)}' is damaged ({type(e).__name__}: "
                                       f"{shown(str(e), 120)})") from None
    except (NotImplementedError, RuntimeError) as e:  # a compression method zipfile lacks; an encrypted entry
        raise Unsafe("QDA_UNREADABLE", f"the entry '{shown(info.filename, 120)}' cannot be unpacked "
                                       f"({shown(str(e), 120)}); export the project again without encryption") from None
    if len(data) > limit:
        raise Unsafe("QDA_UNSAFE_ARCHIVE", f"the entry '{shown(info.filename, 120)}' unpacks to more than it declares")
    return data


def parse_xml(data: bytes, what: str):
    """The root element of an XML document, parsed without DTDs, entities or external references."""
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    if len(data) > MAX_XML:
        raise Unsafe("QDA_UNSAFE_ARCHIVE", f"{what} is larger than {MAX_XML // 2**20} MiB")
    try:
        return DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise Unsafe("QDA_XML_UNSAFE", f"{what} declares a document type, entities or external references "
                                       f"({type(e).__name__}), which pedcomm never reads") from None
    except ParseError as e:
        raise Unsafe("QDA_UNREADABLE", f"{what} is not well-formed XML ({e})") from None
