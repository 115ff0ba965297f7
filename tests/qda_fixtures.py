"""Builders of the REFI-QDA input files of the conformance suite and of the hostile-archive tests.

``python -m tests.qda_fixtures`` rewrites validation/conformance/files/qda/; tests/test_qda.py
checks that the committed files are exactly what these builders produce.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

FILES = Path(__file__).resolve().parents[1] / "validation" / "conformance" / "files" / "qda"
NS = "urn:QDA-XML:project:1.0"
DATE = (2021, 1, 1, 0, 0, 0)
THEME = '<Code guid="11111111-1111-4111-8111-111111111111" name="Honesty" isCodable="false">' \
        '<Code guid="22222222-2222-4222-8222-222222222222" name="Naming uncertainty" isCodable="true"/></Code>'
USERS = '<Users><User guid="33333333-3333-4333-8333-333333333333" name="R1"/></Users>'


def project(sources: str = "", codes: str = THEME) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{NS}" name="fixture">{USERS}'
            f"<CodeBook><Codes>{codes}</Codes></CodeBook>{sources}</Project>\n").encode()


def text_source(name: str, text: str, start: int, end: int) -> str:
    return (f'<Sources><TextSource guid="44444444-4444-4444-8444-444444444444" name="{name}">'
            f"<PlainTextContent>{text}</PlainTextContent>"
            f'<PlainTextSelection guid="55555555-5555-4555-8555-555555555555" name="SG1" startPosition="{start}" '
            f'endPosition="{end}" creatingUser="33333333-3333-4333-8333-333333333333">'
            '<Coding guid="66666666-6666-4666-8666-666666666666"><CodeRef targetGUID="22222222-2222-4222-8222-222222222222"/>'
            "</Coding></PlainTextSelection></TextSource></Sources>")


def archive(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Project [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol9;"/>
"""

FLAT_CODEBOOK = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo-like flat codebook">
  <Codes>
    <Code guid="77777777-7777-4777-8777-777777777777" name="Empathy" isCodable="true"/>
    <Code guid="88888888-8888-4888-8888-888888888888" name="Humor" isCodable="true"/>
  </Codes>
</CodeBook>
"""

LINE = "[00:01:05 - 00:01:20] Primary oncologist: We do not know yet."


def fixtures() -> dict[str, bytes]:
    """File name -> bytes of every fixture (see the check registry's ``example`` entries)."""
    return {
        "not-a-project.qdpx": b"This is a text file renamed to .qdpx, not a zip archive.\n",
        "zip-slip.qdpx": archive({"project.qde": project(), "../../evil.txt": b"escaped\n"}),
        "billion-laughs.qdpx": archive({"project.qde": BILLION_LAUGHS}),
        "atlas-style-name.qdpx": archive({"My Project.qde": project()}),
        "flat-codebook.qdc": FLAT_CODEBOOK,
        "untimed-transcript.qdpx": archive({"project.qde": project(text_source("D1", "We do not know yet.", 0, 19))}),
        "unmapped-source.qdpx": archive({"project.qde": project(text_source("Interview 3.docx", LINE, 42, 61))}),
        "timed-transcript.qdpx": archive({"project.qde": project(text_source("D1", LINE, 42, 61))}),
    }


def zip_bomb(entries: int = 64, entry_size: int = 16 * 2**20, name: str = "Sources/zeros{i:03d}.txt") -> bytes:
    """A real zip bomb: ``entries`` x ``entry_size`` zero bytes (1 GiB by default) in about 1 MB.

    The zeros are compressed once and the same compressed bytes are written for every entry, so
    building it takes a fraction of a second.
    """
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = comp.compress(bytes(entry_size)) + comp.flush()
    crc = zlib.crc32(bytes(entry_size))
    local, central, offset = [], [], 0
    for i in range(entries):
        entry = name.format(i=i).encode()
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x5221, crc, len(data), entry_size, len(entry), 0)
        local.append(header + entry + data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x5221, crc, len(data),
                                   entry_size, len(entry), 0, 0, 0, 0, 0o644 << 16, offset) + entry)
        offset += len(local[-1])
    cd = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, len(cd), offset, 0)
    return b"".join(local) + cd + end


if __name__ == "__main__":
    FILES.mkdir(parents=True, exist_ok=True)
    for name, data in fixtures().items():
        (FILES / name).write_bytes(data)
        print(f"wrote {FILES / name} ({len(data)} bytes)")
