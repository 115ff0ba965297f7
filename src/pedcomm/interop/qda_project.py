"""Coded segments as a REFI-QDA project (.qdpx): one text source per discussion.

pedcomm segments are spans of a recording (start and end seconds, speaker role, optional
excerpt), while QDA software codes text. A discussion is therefore written as a transcript of
its coded segments, one line each:

    [00:02:23.8 - 00:03:04.8] Primary oncologist: I can see this news is really frightening.

and each segment is a PlainTextSelection over that line's text (its excerpt, or
``[no excerpt]``), named by the segment id and coded with its code by its coder (a User). On
import, a selection's line gives the times and the speaker role, so transcripts prepared the same
way in NVivo, ATLAS.ti, MAXQDA or QualCoder import too.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pandas as pd

from . import labels as L
from .labels import shown
from .qda_codebook import PROJECT_NS, code_elements, guid, to_bytes

NO_EXCERPT = "[no excerpt]"
LINE = re.compile(r"^\[(?P<start>\d+:\d{2}:\d{2}(?:\.\d+)?) - (?P<end>\d+:\d{2}:\d{2}(?:\.\d+)?)\] (?P<speaker>[^:\n]+): ",
                  re.MULTILINE)
#: A fixed timestamp for the archive entries, so the same package gives the same bytes.
ZIP_TIME = (2021, 1, 1, 0, 0, 0)


def clock(seconds: str) -> str:
    """'143.8' -> '00:02:23.8' (exact: decimal arithmetic, the digits are kept)."""
    s = Decimal(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    whole, dot, frac = f"{sec:f}".partition(".")
    return f"{int(h):02d}:{int(m):02d}:{int(whole):02d}{dot}{frac}"


def seconds(text: str) -> str:
    """'00:02:23.8' -> '143.8'."""
    h, m, s = text.split(":")
    value = Decimal(h) * 3600 + Decimal(m) * 60 + Decimal(s)
    return f"{value:f}"


def speaker_labels() -> dict[str, str]:
    return L.enum_labels(L.field_map("coding_segments")["speaker_role"])


def transcript(segments: pd.DataFrame) -> tuple[str, list[tuple[dict, int, int]]]:
    """The text of one discussion's transcript and, per segment, its (row, start, end) characters."""
    labels = speaker_labels()
    parts, spans, pos = [], [], 0
    for seg in segments.to_dict("records"):
        head = f"[{clock(seg['start_seconds'])} - {clock(seg['end_seconds'])}] {labels.get(seg['speaker_role'], seg['speaker_role'])}: "
        body = " ".join(seg["excerpt"].split("\n")) or NO_EXCERPT
        start = pos + len(head)
        spans.append((seg, start, start + len(body)))
        line = head + body + "\n"
        parts.append(line)
        pos += len(line)
    return "".join(parts), spans


def project_qde(tables: dict[str, pd.DataFrame], name: str, origin: str) -> tuple[bytes, dict[str, str]]:
    """The project document and the source texts (archive path -> text) of a coding package."""
    ET.register_namespace("", PROJECT_NS)
    ns = PROJECT_NS
    root = ET.Element(f"{{{ns}}}Project", name=name, origin=origin)
    segs = tables["coding_segments"]
    users = ET.SubElement(root, f"{{{ns}}}Users")
    coders = list(dict.fromkeys(list(tables.get("coding_coders", pd.DataFrame({"coder_id": []}))["coder_id"])
                                + list(segs["coder_id"])))
    for c in coders:
        ET.SubElement(users, f"{{{ns}}}User", guid=guid("coder", c), name=c, id=c)
    if not coders:
        root.remove(users)
    book = ET.SubElement(root, f"{{{ns}}}CodeBook")
    code_elements(ET.SubElement(book, f"{{{ns}}}Codes"), tables["coding_themes"], tables["coding_codes"], ns)
    texts = {}
    if len(segs):
        sources = ET.SubElement(root, f"{{{ns}}}Sources")
        for discussion, group in segs.groupby("discussion_id", sort=False):
            sguid = guid("discussion", discussion)
            text, spans = transcript(group)
            texts[f"Sources/{sguid}.txt"] = text
            src = ET.SubElement(sources, f"{{{ns}}}TextSource", guid=sguid, name=discussion,
                                plainTextPath=f"internal://{sguid}.txt")
            for seg, start, end in spans:
                sel = ET.SubElement(src, f"{{{ns}}}PlainTextSelection", guid=guid("segment", seg["segment_id"]),
                                    name=seg["segment_id"], startPosition=str(start), endPosition=str(end),
                                    creatingUser=guid("coder", seg["coder_id"]))
                coding = ET.SubElement(sel, f"{{{ns}}}Coding", guid=guid("coding", seg["segment_id"]),
                                       creatingUser=guid("coder", seg["coder_id"]))
                ET.SubElement(coding, f"{{{ns}}}CodeRef", targetGUID=guid("code", seg["code_id"]))
    return to_bytes(root), texts


def project_qdpx(tables: dict[str, pd.DataFrame], name: str, origin: str) -> bytes:
    """A .qdpx archive: project.qde and Sources/<guid>.txt, valid against REFI-QDA-Project-1.0.xsd."""
    qde, texts = project_qde(tables, name, origin)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, data in [("project.qde", qde)] + [(p, t.encode("utf-8")) for p, t in texts.items()]:
            info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


# -- reading -----------------------------------------------------------------------------------

@dataclass
class Selection:
    """What a coded text selection says about its segment (blank strings where it says nothing)."""

    start_seconds: str = ""
    end_seconds: str = ""
    speaker_role: str = ""
    excerpt: str = ""
    problem: str = ""  # why it cannot be read, if it cannot


def _line_head(text: str, pos: int):
    """The '[start - end] Speaker: ' header of the line holding character ``pos``, if it has one."""
    return LINE.match(text, text.rfind("\n", 0, pos) + 1)


def read_selection(text: str, start: int, end: int) -> Selection:
    """Times, speaker and excerpt of the characters start..end of a transcript."""
    if not (0 <= start <= end <= len(text)):
        return Selection(problem=f"its characters {start}-{end} are outside the source text ({len(text)} characters)")
    first = _line_head(text, start)
    if first is None:
        return Selection(problem="its line does not start with times and a speaker such as "
                                 "'[00:02:23.8 - 00:03:04.8] Primary oncologist: ', so it has no times or speaker")
    last = _line_head(text, max(start, end - 1)) or first
    roles = {v.casefold(): k for k, v in speaker_labels().items()} | {k.casefold(): k for k in speaker_labels()}
    role = roles.get(first.group("speaker").strip().casefold())
    if role is None:
        return Selection(problem=f"its speaker '{shown(first.group('speaker').strip(), 40)}' is not one of the roles "
                                 f"({', '.join(speaker_labels().values())})")
    try:
        s, e = seconds(first.group("start")), seconds(last.group("end"))
    except (InvalidOperation, ValueError):
        return Selection(problem="its line has unreadable times")
    excerpt = LINE.sub("", text[max(start, first.end()):end]).replace("\n", " ").strip()
    return Selection(s, e, role, "" if excerpt == NO_EXCERPT else excerpt)
