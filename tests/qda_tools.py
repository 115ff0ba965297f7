"""Coded projects as NVivo, ATLAS.ti, MAXQDA and QualCoder write them, for the import tests.

Each builder writes a .qdpx the way that tool's REFI-QDA export does (its documented conventions,
and for QualCoder its public export code, read, not copied):

- **QualCoder** (refi.py): ``origin`` is the program version, the source folder is lower-case
  ``sources/``, text files are written as UTF-8 *with* a byte-order mark, a plain-text source has
  only a ``plainTextPath``, every ``PlainTextSelection`` is *named by its selected text*, users are
  listed by name (the coder names of the project), positions are code points of an LF text
  (with the "MAXQDA" line-ending option, LF is written as CR LF and positions are unchanged);
  audio is an ``AudioSource`` with ``AudioSelection begin/end`` in milliseconds and the transcript
  a ``Transcript`` with ``SyncPoint``s and ``TranscriptSelection``s. Its refi.py writes
  ``plainTextPath="internal://<guid>.txt"``; exports seen from sites (``qualcoder-bare``) carry the
  bare file name, ``plainTextPath="<guid>.txt"``, with the text in ``sources/``: the import looks
  the name up there.
- **ATLAS.ti**: the project document is named after the project, GUIDs are upper-case and
  regenerated, text files keep Windows line breaks that positions count once.
- **NVivo** (Windows): GUIDs in braces, CR LF counted as two characters (the positions of the text
  file as written), transcripts as rows ``timespan<TAB>speaker<TAB>content``.
- **MAXQDA**: CR LF counted once, positions in UTF-16 units, f4/MAXQDA time marks ``#hh:mm:ss-d#``.

The transcript of each project is the same three-turn dialogue in one of the formats of
FORMATS; EXPECTED_TIMES says, independently of pedcomm's parser, which times each format gives.
"""

from __future__ import annotations

import html
import io
import uuid
import zipfile

from .qda_fixtures import VALID_CODEBOOK

NS = "urn:QDA-XML:project:1.0"
DIALOGUE = [  # speaker, start, end (seconds), text
    ("Dr. Smith", 65, 80, "We do not know yet what the scan means \U0001F914, honestly."),
    ("Mother", 80, 92, "What happens next for her?"),
    ("Dr. Smith", 92, 120, "We will repeat the scan in six weeks."),
]
#: (turn, selected words, code id, user key)
SELECTIONS = [(0, "do not know yet", "HO2", "jane"), (1, "What happens next", "HU1", "omar"),
              (2, "repeat the scan", "HO1", "jane")]
USERS = {"jane": ("Jane Doe", "5C94BC9E-DB8C-4F1D-9CD6-E900C7440860"),
         "omar": ("Omar Haddad", "088B08AC-D5CD-4ADB-8B71-B4F3459C177F")}
CODER_OF = {"jane": "R1", "omar": "R2"}
ROLE_OF = {"Dr. Smith": "primary_oncologist", "Mother": "parent"}
#: the maps a site writes for these projects (users by GUID and by name, labels to roles)
CODERS_MAP = "user,coder_id\n{" + USERS["jane"][1].lower() + "},R1\nomar haddad,R2\n"
SPEAKERS_MAP = "label,role\nDr. Smith,primary_oncologist\nMOTHER,parent\n"


def hms(t: float) -> str:
    return f"{int(t) // 3600:02d}:{int(t) % 3600 // 60:02d}:{int(t) % 60:02d}"


def render(fmt: str) -> tuple[str, list[int]]:
    """The transcript in one format (LF line breaks) and the character where each turn's text starts."""
    out, starts = "", []
    if fmt == "vtt":
        out = "WEBVTT\n\n"
    for i, (who, a, b, text) in enumerate(DIALOGUE):
        head = {
            "span": f"[{hms(a)} - {hms(b)}] {who}: ",
            "stamp": f"[{hms(a)}] {who}: ",
            "paren": f"({hms(a)}) {who}: ",
            "nvivo": f"{i + 1}\t{a // 3600}:{a % 3600 // 60:02d}:{a % 60:02d}.0 - {b // 3600}:{b % 3600 // 60:02d}:{b % 60:02d}.0\t{who}\t",
            "f4": f"{who}: ",
            "bare": f"{hms(a)}{who}: ",
            "otter": f"{who}  {a // 60}:{a % 60:02d}\n",
            "rev": f"{who} ({hms(a)}):\n",
            "vtt": f"{i + 1}\n{hms(a)}.000 --> {hms(b)}.000\n<v {who}>",
            "none": f"{who}: ",
        }[fmt]
        tail = {"f4": f" #{hms(b)}-0#\n", "otter": "\n\n", "rev": "\n\n", "vtt": "\n\n"}.get(fmt, "\n")
        out += head
        starts.append(len(out))
        out += text + tail
    return out, starts


FORMATS = ("span", "stamp", "paren", "nvivo", "f4", "bare", "otter", "rev", "vtt", "none")
_SPANS, _STARTS = ("span", "nvivo", "vtt"), ("stamp", "paren", "bare", "otter", "rev")


def expected_times(fmt: str) -> list[tuple[str, str]]:
    """(start, end) of the three selections as the format gives them ('-6': not derivable)."""
    out = []
    for k, (_, a, b, _) in enumerate(DIALOGUE):
        if fmt in _SPANS:
            out.append((str(a), str(b)))
        elif fmt in _STARTS:
            out.append((str(a), str(DIALOGUE[k + 1][1]) if k + 1 < len(DIALOGUE) else "-6"))
        elif fmt == "f4":
            out.append((str(DIALOGUE[k - 1][2]) if k else "-6", str(b)))
        else:
            out.append(("-6", "-6"))
    return out


def expected_segments(fmt: str) -> list[dict]:
    return [{"discussion_id": "D1", "code_id": code, "coder_id": CODER_OF[user], "speaker_role": ROLE_OF[DIALOGUE[turn][0]],
             "start_seconds": s, "end_seconds": e, "excerpt": ""}
            for (turn, _, code, user), (s, e) in zip(SELECTIONS, expected_times(fmt))]


def tool_positions(text: str, index: int, *, crlf_as: int, utf16: bool) -> int:
    """The position a tool writes for character ``index`` of an LF text written with CR LF."""
    before = text[:index]
    pos = index + before.count("\n") * (crlf_as - 1)
    return pos + (sum(ord(c) > 0xFFFF for c in before) if utf16 else 0)


def _spell(g: str, case: str = "lower", braces: bool = False) -> str:
    g = g.upper() if case == "upper" else g.lower()
    return "{" + g + "}" if braces else g


def _guid(tool: str, what: str, case: str = "lower", braces: bool = False) -> str:
    return _spell(str(uuid.uuid5(uuid.NAMESPACE_URL, f"pedcomm-test:{tool}:{what}")), case, braces)


def _codebook(tool: str, case: str, braces: bool) -> tuple[str, dict[str, str]]:
    """The valid_coding codebook with the tool's own GUIDs (the pedcomm lines kept) and code id -> GUID."""
    import re

    guids = {}

    def swap(m):
        new = _guid(tool, m.group(1), case, braces)
        guids[m.group(1)] = new
        return f'guid="{new}"'

    book = re.sub(r'guid="([^"]+)"', swap, VALID_CODEBOOK)
    from pedcomm.interop.qda.codebook import guid as pedcomm_guid

    return book, {c: guids[pedcomm_guid("code", c)] for c in ("HO1", "HO2", "HU1")}


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 5, 1, 12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


TOOLS = {  # origin, document name, folder, CR LF written, CR LF counted as, UTF-16 units, GUID case, braces, BOM
    "qualcoder": ("QualCoder 3.6", "project.qde", "sources", False, 1, False, "lower", False, True),
    "qualcoder-maxqda-endings": ("QualCoder 3.6", "project.qde", "sources", True, 1, False, "lower", False, True),
    "qualcoder-bare": ("QualCoder 3.6", "project.qde", "sources", False, 1, False, "lower", False, True),
    "atlas": ("ATLAS.ti for Windows 23.2.3.27778", "Family meetings study.qde", "Sources", True, 1, True, "upper", False, False),
    "nvivo": ("NVivo 14.24.1 (Windows)", "project.qde", "Sources", True, 2, True, "lower", True, False),
    "maxqda": ("MAXQDA 2022 (Release 22.8.0)", "project.qde", "Sources", True, 1, True, "upper", False, False),
}


def build(tool: str, fmt: str, *, source_name: str = "Interview D1.txt", extra_sources: str = "") -> bytes:
    """A .qdpx of the dialogue in format ``fmt`` coded by two users, as ``tool`` writes it."""
    origin, doc, folder, crlf, crlf_as, utf16, case, braces, bom = TOOLS[tool]
    text, starts = render(fmt)
    book, code_guid = _codebook(tool, case, braces)
    user_guid = {k: _spell(USERS[k][1], case, braces) for k in USERS}  # the same people in every tool
    users = "".join(f'<User guid="{user_guid[k]}" name="{html.escape(n)}"/>' for k, (n, _) in USERS.items())
    src_guid = _guid(tool, "source", case, braces)
    txt_name = f"{_guid(tool, 'text')}.txt"
    sels = []
    for n, (turn, words, code, user) in enumerate(SELECTIONS):
        at = text.index(words, starts[turn])
        a = tool_positions(text, at, crlf_as=crlf_as if crlf else 1, utf16=utf16)
        b = tool_positions(text, at + len(words), crlf_as=crlf_as if crlf else 1, utf16=utf16)
        name = words if tool.startswith("qualcoder") else f"1:{n + 1} {words[:20]}"  # QualCoder: the selected text
        sels.append(f'<PlainTextSelection guid="{_guid(tool, f"sel{n}", case, braces)}" name="{html.escape(name)}" '
                    f'startPosition="{a}" endPosition="{b}" creatingUser="{user_guid[user]}">'
                    f'<Coding guid="{_guid(tool, f"coding{n}", case, braces)}" creatingUser="{user_guid[user]}">'
                    f'<CodeRef targetGUID="{code_guid[code]}"/></Coding></PlainTextSelection>')
    path = txt_name if tool == "qualcoder-bare" else f"internal://{txt_name}"
    source = (f'<TextSource guid="{src_guid}" name="{html.escape(source_name)}" plainTextPath="{path}" '
              f'creatingUser="{user_guid["jane"]}">{"".join(sels)}</TextSource>')
    head = (f'<Project name="Family meetings study" origin="{origin}" xmlns="{NS}">' if tool.startswith("qualcoder") else
            f'<Project xmlns="{NS}" origin="{origin}" name="Family meetings study">')
    qde = (f'<?xml version="1.0" encoding="utf-8"?>\n{head}<Users>{users}</Users><CodeBook><Codes>{book}</Codes></CodeBook>'
           f"<Sources>{source}{extra_sources}</Sources></Project>\n")
    data = (text.replace("\n", "\r\n") if crlf else text).encode("utf-8")
    return _zip({doc: qde.encode("utf-8"), f"{folder}/{txt_name}": (b"\xef\xbb\xbf" if bom else b"") + data})


def qualcoder_audio(*, transcript: bool = True) -> bytes:
    """A QualCoder project with the recording coded directly (AudioSelection) and its synchronised
    transcript coded (TranscriptSelection between SyncPoints), by two coders."""
    text, starts = render("stamp")
    book, code_guid = _codebook("qc-audio", "lower", False)
    g = lambda what: _guid("qc-audio", what)  # noqa: E731
    JANE, OMAR = USERS["jane"][1].lower(), USERS["omar"][1].lower()
    users = "".join(f'<User guid="{USERS[k][1].lower()}" name="{n}"/>' for k, (n, _) in USERS.items())
    sync = ""
    tsel = ""
    if transcript:
        for k, (_, a, _, _) in enumerate(DIALOGUE):  # a sync point where each turn starts, as QualCoder derives them
            line_start = text.rfind("\n", 0, starts[k]) + 1
            sync += f'<SyncPoint guid="{g(f"sp{k}")}" position="{line_start}" timeStamp="{a * 1000}"/>'
        end = len(text.rstrip("\n"))
        sync += f'<SyncPoint guid="{g("spend")}" position="{end}" timeStamp="{DIALOGUE[-1][2] * 1000}"/>'
        tsel = (f'<TranscriptSelection guid="{g("ts1")}" name="interview.m4a.transcribed" fromSyncPoint="{g("sp1")}" '
                f'toSyncPoint="{g("sp2")}"><Coding guid="{g("c-ts1")}" creatingUser="{OMAR}">'
                f'<CodeRef targetGUID="{code_guid["HU1"]}"/></Coding></TranscriptSelection>')
        transcript_el = (f'<Transcript guid="{g("tr")}" name="interview.m4a.transcribed" '
                         f'plainTextPath="internal://{g("trtext")}.txt">{sync}{tsel}</Transcript>')
    else:
        transcript_el = ""
    audio = (f'<AudioSource guid="{g("audio")}" name="Interview D1.m4a" path="internal://{g("media")}.m4a" '
             f'creatingUser="{JANE}">{transcript_el}'
             f'<AudioSelection guid="{g("as1")}" begin="65000" end="79500" name="" creatingUser="{JANE}">'
             f'<Coding guid="{g("c-as1")}" creatingUser="{JANE}" creationDateTime="2024-05-01T12:00:00Z">'
             f'<CodeRef targetGUID="{code_guid["HO2"]}"/></Coding></AudioSelection></AudioSource>')
    qde = (f'<?xml version="1.0" encoding="utf-8"?>\n<Project name="Family meetings study" origin="QualCoder 3.6" '
           f'xmlns="{NS}"><Users>{users}</Users><CodeBook><Codes>{book}</Codes></CodeBook><Sources>{audio}</Sources>'
           "</Project>\n")
    entries = {"project.qde": qde.encode()}
    if transcript:
        entries[f"sources/{g('trtext')}.txt"] = b"\xef\xbb\xbf" + text.encode()
    return _zip(entries)


def long_text(*, stamped_every_line: bool = False, labelled: bool = False) -> tuple[str, list[tuple[int, int]]]:
    """An NVivo 'document' of 120 paragraphs of field notes (or, ``labelled``, a transcript of speaker
    turns) in which three paragraphs start with a clock time that is a remark ("1:57 nurse came in"),
    and the (start, end) characters of a coded span in every tenth paragraph. With
    ``stamped_every_line`` every paragraph opens with its time instead: a timed transcript."""
    paras = []
    for i in range(120):
        who = ("Dr. Smith: " if i % 2 == 0 else "Mother: ") if labelled else ""
        body = f"{who}Paragraph {i} of the notes, about the scan and what the family asked next."
        if stamped_every_line:
            body = f"{i // 60}:{i % 60:02d} {body}"
        elif i in (17, 58, 96):
            body = f"1:{57 - i % 7:02d} the nurse came back in with the chart"
        paras.append(body)
    text = "\n".join(paras) + "\n"
    spans, pos = [], 0
    for i, p in enumerate(paras):
        if i % 10 == 3:
            a = pos + p.index("about the scan")
            spans.append((a, a + len("about the scan")))
        pos += len(p) + 1
    return text, spans


def nvivo_document(text: str, spans: list[tuple[int, int]]) -> bytes:
    """A .qdpx as NVivo writes it (braced GUIDs, Sources/), one text source named 'D1' coded with HO2 by R1."""
    book, code_guid = _codebook("nvivo-doc", "lower", True)
    user = "{" + USERS["jane"][1].lower() + "}"
    sels = "".join(f'<PlainTextSelection guid="{_guid("nvivo-doc", f"s{k}", braces=True)}" name="Node {k}" '
                   f'startPosition="{a}" endPosition="{b}" creatingUser="{user}">'
                   f'<Coding guid="{_guid("nvivo-doc", f"c{k}", braces=True)}" creatingUser="{user}">'
                   f'<CodeRef targetGUID="{code_guid["HO2"]}"/></Coding></PlainTextSelection>'
                   for k, (a, b) in enumerate(spans))
    txt = f"{_guid('nvivo-doc', 'text')}.txt"
    qde = (f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{NS}" origin="NVivo 14.24.1 (Windows)" name="Notes">'
           f'<Users><User guid="{user}" name="{USERS["jane"][0]}"/></Users><CodeBook><Codes>{book}</Codes></CodeBook>'
           f'<Sources><TextSource guid="{_guid("nvivo-doc", "src", braces=True)}" name="D1" plainTextPath="internal://{txt}">'
           f"{sels}</TextSource></Sources></Project>\n")
    return _zip({"project.qde": qde.encode(), f"Sources/{txt}": text.encode()})
