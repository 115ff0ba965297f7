"""Every coded selection of a REFI-QDA project, with what its source says about time and speaker.

- ``TextSource/PlainTextSelection``: a character span of the source's plain text (the truth);
  times and speaker are read from the transcript around it (pedcomm.interop.qda.transcripts), with
  positions counted the way the tool counts them (pedcomm.interop.qda.positions).
- ``AudioSource/AudioSelection`` and ``VideoSource/VideoSelection``: ``begin``/``end`` in
  milliseconds are the segment's times; the speaker is read from the source's transcript at
  that time when a ``Transcript`` with ``SyncPoint``s is there, otherwise it is unlabelled.
- ``Transcript/TranscriptSelection``: times from its ``fromSyncPoint``/``toSyncPoint``
  (``timeStamp`` in milliseconds, ``position`` in characters of the transcript), the speaker from
  the transcript text at that position; a sync point without a time stamp falls back to the
  transcript's own time stamps.

Selection *names* are never used: QualCoder names a selection after its selected text. A segment
id travels in a selection's Description as ``[pedcomm segment_id=...]`` (``pedcomm qda export``
writes it), which survives tools that regenerate GUIDs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..display import plain, private
from . import transcripts as T
from .codebook import ID, SOURCE, child, children, local, norm_guid
from .positions import Choice, Source, choose

MEDIA = {"AudioSource": ("AudioSelection", "audio"), "VideoSource": ("VideoSelection", "video")}
SKIPPED = ("PictureSource", "PDFSource")
WHOLE_SOURCE = ("coding applies to a whole source rather than a selection and was skipped",
                "codings apply to a whole source rather than a selection and were skipped")
_TAG = re.compile(r"\[pedcomm ([^\]\n]*)\]")


@dataclass
class Coded:
    """One Coding of one selection."""

    discussion: str
    kind: str  # text | audio | video | transcript
    selection: str  # the selection's GUID
    code_guid: str
    user: str | None  # the Coding's creatingUser, else the selection's
    start: Decimal | None = None
    end: Decimal | None = None
    speaker: str | None = None  # a label from the transcript, None when unlabelled
    excerpt: str = ""
    segment_id: str | None = None  # from the pedcomm Description tag


@dataclass
class Found:
    coded: list[Coded] = field(default_factory=list)
    choice: Choice | None = None
    formats: set[str] = field(default_factory=set)
    sources: int = 0  # coded sources mapped to discussions
    # deviations to report once each: (said of one, said of several) -> how many
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    spanning: int = 0  # selections over turns of several speakers
    timed_texts: int = 0  # texts whose time stamps were read (they are the text's structure)
    #: texts whose stamps were not read as times: (where, why), see transcripts.read
    set_aside: list[tuple[str, str]] = field(default_factory=list)

    def count(self, what: tuple[str, str], n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


def text_entry(ref: str, texts: dict[str, bytes]) -> str | None:
    """The archive entry a ``plainTextPath`` names, or None.

    REFI-QDA writes ``internal://<name>`` for a file in the archive's Sources/ folder; real exports
    also write the bare file name (QualCoder-style tools), ``sources/<name>``, backslashes, or a
    different case for the folder. The name is looked up as given, then in the sources folder (either
    case), then by its file name alone when exactly one entry of the archive has it.
    """
    name = re.sub(r"^internal://", "", ref.strip().replace("\\", "/"), flags=re.I).lstrip("/")
    while name.startswith("./"):
        name = name[2:]
    if not name:
        return None
    lower = {k.lower(): k for k in texts}
    for candidate in (name, f"sources/{name}"):
        key = lower.get(candidate.lower())
        if key is not None:
            return key
    base = name.rsplit("/", 1)[-1].lower()
    same = [k for k in texts if k.rsplit("/", 1)[-1].lower() == base]
    return same[0] if len(same) == 1 else None


#: Schemes of files outside the archive (REFI-QDA: relative to the project's base path, absolute, a URL).
EXTERNAL = ("relative://", "absolute://", "file://", "http://", "https://")


def source_text(el, texts: dict[str, bytes] | None) -> tuple[str | None, str]:
    """The plain text of a TextSource or Transcript, and where it came from (or why it is missing)."""
    content = child(el, "PlainTextContent")
    if content is not None and content.text is not None:
        return content.text, "inline"
    ref = (el.get("plainTextPath") or "").strip()
    if not ref:
        return None, "it has neither a text nor a plainTextPath"
    if ref.lower().startswith(EXTERNAL):
        return None, ("its text is a file outside the project (plainTextPath '" + plain(ref) + "'); export the project "
                      "with its sources inside the .qdpx")
    if texts is None:
        return None, f"its text file '{plain(ref)}' would be in a .qdpx archive, and this is a bare .qde document"
    key = text_entry(ref, texts)
    if key is None:
        return None, f"its text file '{plain(ref)}' is not in the archive"
    data = texts[key]
    try:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its byte-order mark
            return data.decode("utf-16"), key
        return data.decode("utf-8-sig"), key
    except UnicodeDecodeError:
        return None, f"its text file {plain(key)} is neither UTF-8 nor UTF-16 text"


def segment_tag(sel) -> str | None:
    """The segment id in a selection's Description line ``[pedcomm segment_id=...]``."""
    d = child(sel, "Description")
    m = _TAG.search(d.text or "") if d is not None else None
    if not m:
        return None
    tag = dict(p.split("=", 1) for p in (x.strip() for x in m.group(1).split(";")) if "=" in p)
    sid = tag.get("segment_id", "")
    return sid if ID.fullmatch(sid) else None


def _codings(sel, kind: str, discussion: str, out: Found, **values) -> None:
    codings = children(sel, "Coding")
    if not codings:
        out.count(("selection carries no coding (a memo or annotation only) and was skipped",
                   "selections carry no coding (a memo or annotation only) and were skipped"))
        return
    tag = segment_tag(sel) if len(codings) == 1 else None
    for coding in codings:
        ref = child(coding, "CodeRef")
        out.coded.append(Coded(discussion, kind, norm_guid(sel.get("guid")),
                               norm_guid(ref.get("targetGUID") if ref is not None else None),
                               coding.get("creatingUser") or sel.get("creatingUser"), segment_id=tag, **values))


def _ms(value) -> Decimal | None:
    try:
        return Decimal(int(str(value).strip())) / 1000
    except (TypeError, ValueError):
        return None


class Selections:
    """Walks the Sources of a project (see the module docstring)."""

    def __init__(self, root, texts, report, *, discussion_of, excerpts: bool, reveal: bool,
                 line_breaks: str = "auto", units: str = "auto"):
        self.root, self.texts, self.report = root, texts, report
        self.discussion_of, self.excerpts, self.reveal = discussion_of, excerpts, reveal
        self.line_breaks, self.units = line_breaks, units
        self._parsed: dict[int, T.Transcript] = {}
        self._names: dict[int, str] = {}  # id(Source) -> the source, as findings name it

    def _unreadable(self, sel, where: str, why: str) -> None:
        self.report.add("QDA_SELECTION_UNREADABLE", resource=SOURCE, field=local(sel),
                        value=plain(norm_guid(sel.get("guid")) or "(no GUID)"), detail=where, hint=why)

    def _where(self, src) -> str:
        return f"source {plain(norm_guid(src.get('guid')))} ('{private(src.get('name') or '', self.reveal)}')"

    def parsed(self, source: Source) -> T.Transcript:
        key = id(source)
        if key not in self._parsed:
            self._parsed[key] = T.read(source.text)
        return self._parsed[key]

    def _structure(self, out: Found) -> None:
        """Which texts' stamps were read as times, and why the others' were not."""
        for key, tr in self._parsed.items():
            if tr.set_aside:
                out.set_aside.append((self._names.get(key, "a transcript"), tr.set_aside))
            out.timed_texts += tr.timed

    def read(self) -> Found:
        out = Found()
        sources = child(self.root, "Sources")
        if sources is None:
            return out
        for kind in SKIPPED:
            n = len(children(sources, kind))
            if n:
                out.count(("picture or PDF source was skipped: pedcomm imports coded text, audio and video",
                           "picture or PDF sources were skipped: pedcomm imports coded text, audio and video"), n)
        pending: list[tuple] = []  # (selection, its Source, start, end, src element, discussion)
        media = []
        for src in sources:
            name = local(src)
            if name == "TextSource":
                self._text_source(src, out, pending)
            elif name in MEDIA:
                media.append(src)
        spans = [(s, a, b) for _, s, a, b, _, _ in pending]
        out.choice = choose(spans, self.root.get("origin") or "", self.line_breaks, self.units)
        for sel, source, a, b, src, discussion in pending:
            self._text_selection(sel, source, a, b, src, discussion, out)
        for src in media:
            self._media_source(src, out)
        self._structure(out)
        return out

    # -- text ------------------------------------------------------------------------------
    def _text_source(self, src, out: Found, pending: list) -> None:
        selections = children(src, "PlainTextSelection")
        out.count(WHOLE_SOURCE, len(children(src, "Coding")))
        if not selections:
            return
        discussion = self.discussion_of(src, len(selections))
        if discussion is None:
            return
        out.sources += 1
        text, origin = source_text(src, self.texts)
        if text is None:  # one finding for the source, not one per selection
            more = len(selections) - 1
            others = f" (the same stops the source's {more} other coded {'selection' if more == 1 else 'selections'})"
            self._unreadable(selections[0], self._where(src), origin + (others if more else ""))
            return
        source = Source(text)
        self._names[id(source)] = f"'{private(src.get('name') or '', self.reveal)}'"
        for sel in selections:
            try:
                a, b = int(sel.get("startPosition")), int(sel.get("endPosition"))
            except (TypeError, ValueError):
                self._unreadable(sel, self._where(src), "its start or end position is not a number")
                continue
            pending.append((sel, source, a, b, src, discussion))

    def _text_selection(self, sel, source: Source, a: int, b: int, src, discussion: str, out: Found) -> None:
        if out.choice is None:
            raise RuntimeError("the position convention is chosen before any selection is read")
        conv = out.choice.convention
        i, j = source.index(a, conv), source.index(b, conv)
        if i is None or j is None or j < i:
            self._unreadable(sel, self._where(src),
                             f"its characters {a}-{b} are not a span of the source's text ({source.length(conv)} characters, "
                             f"counting {conv.describe()})")
            return
        if i == j:
            out.count(("selection is zero-length (a point, not a span); the times and speaker around the point were used",
                       "selections are zero-length (a point, not a span); the times and speaker around the point were used"))
        tr = self.parsed(source)
        out.formats |= tr.formats
        at = T.locate(tr, i, j)
        out.spanning += at.speakers > 1
        _codings(sel, "text", discussion, out, start=at.start, end=at.end, speaker=at.speaker,
                 excerpt=T.excerpt(tr, i, j) if self.excerpts else "")

    # -- audio, video and their transcripts ---------------------------------------------------
    def _media_source(self, src, out: Found) -> None:
        sel_name, kind = MEDIA[local(src)]
        selections = children(src, sel_name)
        transcripts = children(src, "Transcript")
        tsel = [(t, s) for t in transcripts for s in children(t, "TranscriptSelection")]
        out.count(WHOLE_SOURCE, len(children(src, "Coding")))
        if not selections and not tsel:
            return
        discussion = self.discussion_of(src, len(selections) + len(tsel))
        if discussion is None:
            return
        out.sources += 1
        synced = []  # (Transcript element, Source, {guid: (ms, position)})
        for t in transcripts:
            text, _ = source_text(t, self.texts)
            points = {norm_guid(p.get("guid")): (_ms(p.get("timeStamp")), p.get("position")) for p in children(t, "SyncPoint")}
            source = Source(text) if text is not None else None
            if source is not None:
                self._names[id(source)] = f"the transcript of '{private(src.get('name') or '', self.reveal)}'"
            synced.append((t, source, points))
        for sel in selections:
            start, end = _ms(sel.get("begin")), _ms(sel.get("end"))
            if start is None or end is None:
                self._unreadable(sel, self._where(src), "its begin or end (milliseconds) is not a number")
                continue
            speaker = self._speaker_at_time(synced, start, out)
            _codings(sel, kind, discussion, out, start=start, end=end, speaker=speaker)
        for t, sel in tsel:
            source, points = next((s, p) for tt, s, p in synced if tt is t)
            p0 = points.get(norm_guid(sel.get("fromSyncPoint")))
            p1 = points.get(norm_guid(sel.get("toSyncPoint")))
            if p0 is None or p1 is None:
                self._unreadable(sel, self._where(src), "it names a sync point the transcript does not have")
                continue
            start, end, speaker, excerpt = p0[0], p1[0], None, ""
            if source is not None:
                i, j = _position(source, p0[1], out.choice), _position(source, p1[1], out.choice)
                if i is not None and j is not None and i <= j:
                    tr = self.parsed(source)
                    out.formats |= tr.formats
                    at = T.locate(tr, i, j)
                    speaker = at.speaker
                    start = start if start is not None else at.start
                    end = end if end is not None else at.end
                    excerpt = T.excerpt(tr, i, j) if self.excerpts else ""
            _codings(sel, "transcript", discussion, out, start=start, end=end, speaker=speaker, excerpt=excerpt)

    def _speaker_at_time(self, synced, at: Decimal, out: Found) -> str | None:
        """The speaker label of the transcript turn that is running at time ``at``."""
        for _, source, points in synced:
            if source is None:
                continue
            before = [(ms, p) for ms, pos in points.values() if ms is not None and ms <= at
                      if (p := _position(source, pos, out.choice)) is not None]
            if before:
                tr = self.parsed(source)
                out.formats |= tr.formats
                pos = max(before, key=lambda x: x[0])[1]
                return T.locate(tr, pos, pos).speaker
        return None


def _position(source: Source, value, choice: Choice | None) -> int | None:
    """A sync point's character position in the normalised transcript, counted as the project counts."""
    if choice is None:
        raise RuntimeError("the position convention is chosen before any selection is read")
    try:
        p = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return source.index(p, choice.convention)
