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

from pedcomm.interop.qda.codebook import guid

FILES = Path(__file__).resolve().parents[1] / "validation" / "conformance" / "files" / "qda"
NS = "urn:QDA-XML:project:1.0"
DATE = (2021, 1, 1, 0, 0, 0)
THEME = '<Code guid="11111111-1111-4111-8111-111111111111" name="Honesty" isCodable="false">' \
        '<Code guid="22222222-2222-4222-8222-222222222222" name="Naming uncertainty" isCodable="true"/></Code>'
USER_R1 = "33333333-3333-4333-8333-333333333333"
USERS = f'<Users><User guid="{USER_R1}" name="R1"/></Users>'
#: The codebook of validation/conformance/valid_coding/ as `pedcomm qda export-codebook` writes it (GUIDs
#: and pedcomm lines), so that importing into that package keeps its codebook.
HO1, HO2, HU1 = (guid("code", c) for c in ("HO1", "HO2", "HU1"))
VALID_CODEBOOK = (
    f'<Code guid="{guid("theme", "honesty")}" name="Honesty" isCodable="false"><Description>'
    "Clear, truthful communication about results, prognosis and uncertainty.\n\n"
    "[pedcomm theme_id=honesty; name_source=published; definition_source=illustrative]</Description>"
    f'<Code guid="{HO1}" name="Clear disclosure of results" isCodable="true"><Description>States the result of the '
    "reevaluation plainly.\n\n[pedcomm code_id=HO1; name_source=illustrative; definition_source=illustrative]</Description></Code>"
    f'<Code guid="{HO2}" name="Acknowledging uncertainty" isCodable="true"><Description>Says what is not known.\n\n'
    "[pedcomm code_id=HO2; name_source=illustrative; definition_source=illustrative]</Description></Code></Code>"
    f'<Code guid="{guid("theme", "humor")}" name="Humor" isCodable="false"><Description>'
    "[pedcomm theme_id=humor; name_source=published]</Description>"
    f'<Code guid="{HU1}" name="Shared laughter" isCodable="true"><Description>'
    "[pedcomm code_id=HU1; name_source=illustrative]</Description></Code></Code>")


def project(sources: str = "", codes: str = THEME, users: str = USERS, origin: str = "") -> bytes:
    o = f' origin="{origin}"' if origin else ""
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{NS}" name="fixture"{o}>{users}'
            f"<CodeBook><Codes>{codes}</Codes></CodeBook>{sources}</Project>\n").encode()


def text_source(name: str, text: str, start: int, end: int, *, code: str = "22222222-2222-4222-8222-222222222222",
                user: str = USER_R1, path: str | None = None) -> str:
    content = f'plainTextPath="internal://{path}"' if path else ""
    inline = "" if path else f"<PlainTextContent>{text}</PlainTextContent>"
    return (f'<Sources><TextSource guid="44444444-4444-4444-8444-444444444444" name="{name}" {content}>{inline}'
            f'<PlainTextSelection guid="55555555-5555-4555-8555-555555555555" name="SG1" startPosition="{start}" '
            f'endPosition="{end}" creatingUser="{user}">'
            f'<Coding guid="66666666-6666-4666-8666-666666666666"><CodeRef targetGUID="{code}"/>'
            "</Coding></PlainTextSelection></TextSource></Sources>")


def coded(name: str, text: str, start: int, end: int, **kw) -> bytes:
    """A project coding one selection of an inline transcript with HO2, into the valid_coding codebook."""
    users, origin = kw.pop("users", USERS), kw.pop("origin", "")
    return project(text_source(name, text, start, end, code=HO2, **kw), codes=VALID_CODEBOOK, users=users, origin=origin)


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
NO_PACKAGE = b'{"package": null}\n'
CRLF = "[00:01:05] Dr. Smith: Hello.\r\n[00:01:20] Mother: Hi.\r\n[00:01:31] Dr. Smith: We do not know yet.\r\n"


def fixtures() -> dict[str, bytes]:
    """File name -> bytes of every fixture (see the check registry's ``example`` entries); QDA projects are
    imported into validation/conformance/valid_coding/ (pedcomm.commands.examples) with the maps and
    options beside them."""
    speakers = b"label,role\nDr. Smith,primary_oncologist\nMother,parent\n"
    crlf_at = CRLF.index("not know")  # the selection's position, CR LF counted once (ATLAS.ti)
    crlf_at -= CRLF[:crlf_at].count("\r\n")
    return {
        "not-a-project.qdpx": b"This is a text file renamed to .qdpx, not a zip archive.\n",
        "zip-slip.qdpx": archive({"project.qde": project(), "../../evil.txt": b"escaped\n"}),
        "billion-laughs.qdpx": archive({"project.qde": BILLION_LAUGHS}),
        "atlas-style-name.qdpx": archive({"My Project.qde": project()}),
        "atlas-style-name.options.json": NO_PACKAGE,
        "flat-codebook.qdc": FLAT_CODEBOOK,
        "flat-codebook.options.json": NO_PACKAGE,
        "untimed-transcript.qdpx": archive({"project.qde": coded("D1", "Dr. Smith: We do not know yet.", 11, 30)}),
        "untimed-transcript.speakers.csv": speakers,
        "unmapped-source.qdpx": archive({"project.qde": coded("Interview 3.docx", LINE, 42, 61)}),
        "timed-transcript.qdpx": archive({"project.qde": coded("D3", LINE, 42, 61)}),
        "out-of-range-selection.qdpx": archive({"project.qde": coded("D3", LINE, 42, 610)}),
        "no-package.qdpx": archive({"project.qde": coded("D3", LINE, 42, 61)}),
        "no-package.options.json": NO_PACKAGE,
        "codebook-into-package.qdc": FLAT_CODEBOOK,
        "unmapped-speakers.qdpx": archive({"project.qde": coded("D3", "[00:01:05] Dr. Smith: We do not know yet.", 22, 41)}),
        "unmapped-coder.qdpx": archive({"project.qde": coded(
            "D3", LINE, 42, 61, users=f'<Users><User guid="{USER_R1}" name="Jane Doe"/></Users>')}),
        "crlf-transcript.qdpx": archive({
            "Interview.qde": coded("D3", "", crlf_at, crlf_at + len("not know yet"), path="crlf.txt",
                                   origin="ATLAS.ti for Windows 23.2.3.27778"),
            "Sources/crlf.txt": CRLF.encode()}),
        "crlf-transcript.speakers.csv": speakers,
        "merge-unknown-discussion.qdpx": archive({"project.qde": coded("D9", LINE, 42, 61)}),
        "fewer-segments.qdpx": archive({"project.qde": coded("D1", LINE, 42, 61)}),
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
