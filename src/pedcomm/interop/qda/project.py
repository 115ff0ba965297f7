"""Coded segments as a REFI-QDA project (.qdpx): one text source per discussion.

pedcomm segments are spans of a recording (start and end seconds, speaker role, optional
excerpt), while QDA software codes text. A discussion is therefore written as a transcript of
its coded segments, one line each:

    [00:02:23.8 - 00:03:04.8] Primary oncologist: I can see this news is really frightening.

and each segment is a PlainTextSelection over that line's text (its excerpt, or
``[no excerpt]``), coded with its code by its coder (a User). The segment id is the selection's
name (for people) and its Description line ``[pedcomm segment_id=SG00001]`` (for the import,
which never reads names). Segments whose times are not derivable (-6) are written without time
stamps to a second text source of their discussion (same name), so that importing the project
back keeps them untimed instead of reading their neighbours' times; a segment with only one of
its two times known is written there too (the known one is not exported).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal

import pandas as pd

from ... import standard
from .. import labels as L
from .codebook import PROJECT_NS, code_elements, guid, to_bytes

NO_EXCERPT = "[no excerpt]"
#: A fixed timestamp for the archive entries, so the same package gives the same bytes.
ZIP_TIME = (2021, 1, 1, 0, 0, 0)


def clock(seconds: str) -> str:
    """'143.8' -> '00:02:23.8' (exact: decimal arithmetic, the digits are kept)."""
    s = Decimal(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    whole, dot, frac = f"{sec:f}".partition(".")
    return f"{int(h):02d}:{int(m):02d}:{int(whole):02d}{dot}{frac}"


def speaker_labels() -> dict[str, str]:
    return L.enum_labels(L.field_map("coding_segments")["speaker_role"])


def timed(seg: dict) -> bool:
    """Both times of a segment are numbers (not blank, not a missing-value code)."""
    missing = standard.missing_codes("coding_segments")
    return seg["start_seconds"] not in missing and seg["end_seconds"] not in missing


def transcript(segments: pd.DataFrame) -> tuple[str, list[tuple[dict, int, int]]]:
    """The text of one discussion's transcript and, per segment, its (row, start, end) characters."""
    labels = speaker_labels()
    parts, spans, pos = [], [], 0
    for seg in segments.to_dict("records"):
        stamp = f"[{clock(seg['start_seconds'])} - {clock(seg['end_seconds'])}] " if timed(seg) else ""
        head = f"{stamp}{labels.get(seg['speaker_role'], seg['speaker_role'])}: "
        body = " ".join(seg["excerpt"].splitlines()) or NO_EXCERPT
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
            with_times = pd.Series([timed(r) for r in group.to_dict("records")], index=group.index, dtype=bool)
            for kind, part in (("discussion", group[with_times]), ("discussion-untimed", group[~with_times])):
                if not len(part):
                    continue
                sguid = guid(kind, discussion)
                text, spans = transcript(part)
                texts[f"Sources/{sguid}.txt"] = text
                src = ET.SubElement(sources, f"{{{ns}}}TextSource", guid=sguid, name=discussion,
                                    plainTextPath=f"internal://{sguid}.txt")
                for seg, start, end in spans:
                    sel = ET.SubElement(src, f"{{{ns}}}PlainTextSelection", guid=guid("segment", seg["segment_id"]),
                                        name=seg["segment_id"], startPosition=str(start), endPosition=str(end),
                                        creatingUser=guid("coder", seg["coder_id"]))
                    ET.SubElement(sel, f"{{{ns}}}Description").text = f"[pedcomm segment_id={seg['segment_id']}]"
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
