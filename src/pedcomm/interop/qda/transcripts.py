"""Time stamps and speaker turns of a plain-text transcript, whatever tool or service wrote it.

A coded selection is a character span of its transcript; this module tells what the transcript
says about that span: the recording time at its start and end, and the label of the speaker whose
turn it lies in. Nothing is invented: a time the transcript does not give is ``None`` (the import
writes the declared missing value -6), and so is a speaker without a label.

The text must have its line breaks normalised to ``\\n`` (pedcomm.interop.qda.positions does that).

Times are *time points*: a stamp says "at this character the recording is at t". A selection
starts at the time of the last point at or before its first character and ends at the time of
the first point at or after its last character, so one rule serves stamps that open a turn, spans
that open and close it, and marks that close it. Recognised, with an example each (``⇥`` is a tab):

=========================  ==================================================================
bracketed span             ``[00:02:23.8 - 00:03:04.8] Primary oncologist: I can see ...``
bracketed stamp            ``[00:01:05] Dr. Smith: We do not know yet.`` (also ``[01:05]``)
parenthesised stamp        ``(00:01:05) Mother: What happens next?``
NVivo transcript rows      ``0:01:05.2 - 0:01:20.0⇥Interviewer⇥We do not know yet.``
                           (an optional row number first; ``timespan⇥content`` also)
MAXQDA / f4 time marks     ``I: How are you feeling? #00:01:23-4#`` (the mark closes the turn)
bare stamp (MAXQDA focus   ``00:03:40.5Zack: What will this accomplish?``,
group, oTranscribe)        ``02:03 I think it is the way it should be``
Otter.ai header line       ``Dr. Smith  0:49`` (the turn's text follows on the next lines)
Rev header                 ``Speaker 1 (00:00:05):`` alone or followed by the text
WebVTT / SRT cues          ``00:00:01.000 --> 00:00:04.000`` (``,`` decimals in SRT), with
                           ``<v Dr. Smith>`` or ``Dr. Smith:`` in the cue text
stamps inside a line       ``... and then (00:05:12) we talked`` (``[..]``, ``(..)``, ``#..#``)
=========================  ==================================================================

Speaker labels are read at the start of a line (after its stamp, if any): ``I:``, ``P:``,
``ONC:``, ``Mother:``, ``Dr. Smith:``, ``Speaker 1:``, ``SPEAKER_00:``; a label has at most 40
characters and 5 words. A line with a stamp or a label opens a turn; other lines continue it.

Stamps are read as times only when they are the text's structure (``read``): when they are on at
least half of its lines, or in at least half of its speaker turns (a WebVTT/SRT cue's text lines
count as stamped). A long text with a few lines that happen to start with a time ("1:57 the doctor
came back"), or comments with a time, is a text with remarks, not a timed transcript: its times
are then not read (and the import says why), rather than spreading three stamps over the whole text.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from decimal import Decimal

_T = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"  # h:mm:ss(.f), mm:ss(.f), m:ss
_TIME = re.compile(r"(?:(?P<h>\d{1,2}):)?(?P<m>\d{1,2}):(?P<s>\d{2})(?:[.,](?P<f>\d{1,3}))?$")
_DASH = r"\s*[-\u2013\u2014]\s*"
_LABEL = r"[^\W\d_][^:\n\t\[\]<>#]{0,39}?"

#: A stamp or span in brackets or parentheses, or between '#' (f4/MAXQDA: ``#00:01:23-4#``).
INLINE = re.compile(rf"\[(?P<a>{_T})(?:{_DASH}(?P<b>{_T}))?\]|\((?P<c>{_T})(?:{_DASH}(?P<d>{_T}))?\)"
                    rf"|#(?P<e>\d{{1,2}}:\d{{2}}:\d{{2}})(?:[-.,](?P<ef>\d{{1,3}}))?#")
#: A bare stamp or span at the start of a line, followed by a space, a tab or a label's first letter.
BARE = re.compile(rf"(?P<a>{_T})(?:{_DASH}(?P<b>{_T}))?(?=[ \t]|[^\W\d_]|$)")
#: WebVTT / SRT cue timing.
CUE = re.compile(rf"(?P<a>{_T})\s*-->\s*(?P<b>{_T})(?:[ \t].*)?$")
#: Otter-style header: a label and a time, alone on their line (Rev: the time in parentheses).
HEADER = re.compile(rf"(?P<label>{_LABEL})[ \t]+[\[(]?(?P<a>{_T})[\])]?[ \t]*:?[ \t]*$")
#: Rev inline: ``Speaker 1 (00:05): text``.
REV = re.compile(rf"(?P<label>{_LABEL})[ \t]+[\[(](?P<a>{_T})[\])][ \t]*:[ \t]*")
#: A speaker label opening a turn: ``Dr. Smith: ``; WebVTT voice tags ``<v Dr. Smith>``.
LABEL = re.compile(rf"(?P<label>{_LABEL})[ \t]*:(?=[ \t]|$)")
VOICE = re.compile(r"<v(?:\.[\w.-]+)?[ \t]+(?P<label>[^>\n]{1,40})>")


def seconds(text: str | None, tenths: str | None = None) -> Decimal | None:
    """'1:02:03.5' -> 3723.5; '02:03' -> 123; None when it is not a clock time (or no text)."""
    if text is None:
        return None
    m = _TIME.match(text.strip())
    if not m:
        return None
    h, mi, s = int(m["h"] or 0), int(m["m"]), int(m["s"])
    if s >= 60 or (m["h"] is not None and mi >= 60):
        return None
    frac = m["f"] if m["f"] is not None else tenths
    value = Decimal(h * 3600 + mi * 60 + s)
    if frac:
        value += Decimal(f"0.{frac}")
    return value


def _label_ok(label: str, *, names: bool = False) -> bool:
    """A plausible speaker label; ``names``: every word capitalised (for labels without a colon)."""
    words = label.split()
    if not 0 < len(words) <= 5 or any(ch in label for ch in "?!,;\"") or re.search(r"\d:\d", label):
        return False
    return not names or all(w[0].isupper() or w[0].isdigit() for w in words)


@dataclass(frozen=True)
class Turn:
    start: int  # first character of the line that opens the turn
    speaker: str | None  # the label as written, or None


@dataclass
class Transcript:
    text: str
    turns: list[Turn] = field(default_factory=list)
    #: time points (first character, end of the stamp, seconds), sorted by position
    points: list[tuple[int, int, Decimal]] = field(default_factory=list)
    #: character ranges that are stamps or labels, not dialogue (left out of excerpts)
    marks: list[tuple[int, int]] = field(default_factory=list)
    #: names of the formats recognised
    formats: set[str] = field(default_factory=set)
    #: indexes of the lines holding a time point (and the text lines of timed cues)
    timed_lines: set[int] = field(default_factory=set)
    lines: int = 0  # lines that are not blank (and not cue numbers)
    #: stamps found but not read as times (``read``): why, in words; None when read or none found
    set_aside: str | None = None

    @property
    def timed(self) -> bool:
        return bool(self.points)

    def labels(self) -> set[str]:
        return {t.speaker for t in self.turns if t.speaker}

    def index(self) -> tuple[list[int], list[int]]:
        """The first characters of the time points and of the turns (for bisection; built once)."""
        if getattr(self, "_index", None) is None:
            self._index = ([p[0] for p in self.points], [t.start for t in self.turns])
        return self._index


def read(text: str) -> Transcript:
    """The transcript of ``text``, its stamps read as times only when they are its structure
    (see the module docstring); otherwise its labels only, and ``set_aside`` says why."""
    tr = parse(text)
    if not tr.points:
        return tr
    stamped, speaker_turns = structure(tr)
    if 2 * len(tr.timed_lines) >= tr.lines or (speaker_turns and 2 * stamped >= speaker_turns):
        return tr
    untimed = parse(text, times=False)
    untimed.set_aside = (f"stamps on {len(tr.timed_lines)} of {tr.lines} lines"
                         + (f", in {stamped} of {speaker_turns} speaker turns" if speaker_turns else ", no speaker turns"))
    return untimed


def structure(tr: Transcript) -> tuple[int, int]:
    """(speaker turns holding a time point, speaker turns): turns that open with a label."""
    starts = [t.start for t in tr.turns] + [len(tr.text) + 1]
    points = [p[0] for p in tr.points]
    stamped = labelled = 0
    for k, turn in enumerate(tr.turns):
        if turn.speaker is None:
            continue
        labelled += 1
        i = bisect.bisect_left(points, turn.start)
        stamped += i < len(points) and points[i] < starts[k + 1]
    return stamped, labelled


def parse(text: str, times: bool = True) -> Transcript:
    """The turns, time points and marks of a transcript (line breaks already normalised to \\n);
    ``times=False`` reads labels only (no stamp is a time)."""
    tr = Transcript(text)
    pos = 0
    pending_end: list[tuple[int, Decimal]] = []  # (turn index, time) of spans that close their turn
    cue_ends: list[tuple[int, Decimal]] = []  # (line index of the cue timing, end time)
    lines = text.split("\n")
    starts = []
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    for i, line in enumerate(lines):
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if times and ((line.strip().isdigit() and CUE.match(nxt)) or (i == 0 and line.strip().startswith("WEBVTT"))):
            tr.marks.append((starts[i], starts[i] + len(line)))  # an SRT cue number, the WebVTT header
            continue
        tr.lines += bool(line.strip())
        before = len(tr.points)
        _parse_line(tr, line, starts[i], pending_end, cue_ends, i, times)
        if len(tr.points) > before:
            tr.timed_lines.add(i)
    for i, end in cue_ends:  # a cue's end time applies where its text ends (a blank line or the next cue)
        j = i + 1
        while j < len(lines) and lines[j].strip() and not CUE.match(lines[j].strip()):
            j += 1
        tr.timed_lines.update(range(i, j))
        stop = starts[j - 1] + len(lines[j - 1]) if j - 1 > i else starts[i] + len(lines[i])
        tr.points.append((stop, stop, end))
    for k, end in pending_end:
        stop = tr.turns[k + 1].start if k + 1 < len(tr.turns) else len(text)
        stop = len(text[:stop].rstrip())
        tr.points.append((stop, stop, end))
    tr.points.sort(key=lambda p: (p[0], p[1]))
    tr.marks.sort()
    return tr


def _saw(tr: Transcript, fmt: str) -> None:
    """Record that the transcript uses a format (named for the report)."""
    tr.formats |= {fmt}


def _point(tr: Transcript, a: int, b: int, value: Decimal | None) -> bool:
    if value is None:
        return False
    tr.points.append((a, b, value))
    tr.marks.append((a, b))
    return True


def _inline(tr: Transcript, line: str, ls: int, skip_to: int) -> None:
    """Stamps anywhere in the line after ``skip_to`` (f4/MAXQDA marks, inline [..] and (..))."""
    for m in INLINE.finditer(line, skip_to):
        if m["e"] is not None:
            if _point(tr, ls + m.start(), ls + m.end(), seconds(m["e"], m["ef"])):
                _saw(tr, "time marks #hh:mm:ss-d#")
            continue
        a, b = (m["a"], m["b"]) if m["a"] is not None else (m["c"], m["d"])
        if _point(tr, ls + m.start(), ls + m.end(), seconds(a)):
            _saw(tr, "stamps inside lines")
            if b is not None:
                _point(tr, ls + m.end(), ls + m.end(), seconds(b) or seconds(a))


def _open(tr: Transcript, ls: int, speaker: str | None) -> None:
    tr.turns.append(Turn(ls, speaker.strip() if speaker else None))


def _parse_line(tr: Transcript, line: str, ls: int, pending_end, cue_ends, index, times: bool = True) -> bool | None:
    """Read one line; returns True when it opens a turn (``times=False``: labels only)."""
    stripped = line.lstrip(" \ufeff")
    lead = len(line) - len(stripped)
    if not stripped.strip():
        return None
    if not times:
        m = LABEL.match(stripped) or VOICE.match(stripped)
        if m and _label_ok(m["label"]):
            tr.marks.append((ls + lead, ls + lead + m.end()))
            _saw(tr, "speaker labels")
            _open(tr, ls, m["label"])
            return True
        return None
    # WebVTT / SRT cue timing: the cue's text follows on the next lines
    m = CUE.match(stripped)
    if m:
        cue_start, cue_end = seconds(m["a"].replace(",", ".")), seconds(m["b"].replace(",", "."))
        if cue_start is not None:
            _saw(tr, "WebVTT/SRT cues")
            _point(tr, ls, ls + len(line), cue_start)
            _open(tr, ls, None)
            if cue_end is not None:
                cue_ends.append((index, cue_end))
            return True
    # NVivo transcript rows: [row number ⇥] timespan ⇥ [speaker ⇥] content
    if "\t" in stripped:
        cells = stripped.split("\t")
        k = 1 if len(cells) > 2 and cells[0].strip().isdigit() else 0
        span = re.fullmatch(rf"\s*(?P<a>{_T})(?:{_DASH}(?P<b>{_T}))?\s*", cells[k])
        if span and len(cells) - k >= 2 and seconds(span["a"]) is not None:
            body = ls + lead + len("\t".join(cells[:-1])) + 1
            speaker = cells[k + 1].strip() if len(cells) - k >= 3 else None
            _saw(tr, "NVivo transcript rows (tab-separated)")
            _point(tr, ls, body, seconds(span["a"]))
            tr.marks.append((ls, body))
            _open(tr, ls, speaker or None)
            if span["b"] and seconds(span["b"]) is not None:
                pending_end.append((len(tr.turns) - 1, seconds(span["b"])))
            _inline(tr, line, ls, body - ls)
            return True
    # Otter header (label and time alone), Rev header/inline (label (time):)
    m = HEADER.fullmatch(stripped) or REV.match(stripped)
    if m and _label_ok(m["label"], names=True) and seconds(m["a"]) is not None:
        _saw(tr, "Otter/Rev speaker and time headers")
        end = ls + lead + m.end()
        _point(tr, ls, end, seconds(m["a"]))
        _open(tr, ls, m["label"])
        _inline(tr, line, ls, end - ls)
        return True
    # a stamp or span at the start of the line, bracketed or bare
    at, stamp_end = lead, None
    a: str | None = None
    b: str | None = None
    m = INLINE.match(stripped)
    if m and m["e"] is None:
        a, b = (m["a"], m["b"]) if m["a"] is not None else (m["c"], m["d"])
        stamp_end = m.end()
        _saw(tr, "[hh:mm:ss - hh:mm:ss] spans" if b else
                       ("[hh:mm:ss] stamps" if stripped[0] == "[" else "(hh:mm:ss) stamps"))
    else:
        m = BARE.match(stripped)
        if m and seconds(m["a"]) is not None:
            a, b, stamp_end = m["a"], m["b"], m.end()
            _saw(tr, "bare hh:mm:ss stamps at line start")
    opened = False
    if stamp_end is not None and seconds(a) is not None:
        _point(tr, ls, ls + lead + stamp_end, seconds(a))
        at = lead + stamp_end
        opened = True
    rest = line[at:]
    skip = len(rest) - len(rest.lstrip(" \t"))
    m = LABEL.match(line, at + skip) or VOICE.match(line, at + skip)
    speaker = None
    if m and _label_ok(m["label"]):
        speaker = m["label"]
        tr.marks.append((ls + at, ls + m.end()))
        _saw(tr, "speaker labels")
        at = m.end()
        opened = True
    if opened:
        _open(tr, ls, speaker)
        if b is not None and seconds(b) is not None:
            pending_end.append((len(tr.turns) - 1, seconds(b)))
    _inline(tr, line, ls, at)
    return opened or None


@dataclass
class Located:
    """What the transcript says about one selection."""

    start: Decimal | None
    end: Decimal | None
    speaker: str | None  # the label of the turn the selection starts in
    in_turn: bool  # False: the selection starts before the transcript's first turn
    speakers: int  # how many different speakers' turns the selection covers


def locate(tr: Transcript, start: int, end: int) -> Located:
    """Times and speaker of the characters start..end (normalised positions, 0 <= start <= end <= len)."""
    text = tr.text
    s, e = start, end
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    t0 = t1 = None
    point_starts, turn_starts = tr.index()
    i = bisect.bisect_right(point_starts, s) - 1
    if i >= 0:
        t0 = tr.points[i][2]
    t1 = next((t for _, b, t in tr.points[max(i, 0):] if b >= e), None)
    k = bisect.bisect_right(turn_starts, s) - 1
    if k < 0:
        return Located(t0, t1, None, False, 0)
    last = bisect.bisect_left(turn_starts, e) - 1
    speakers = {tr.turns[j].speaker for j in range(k, max(k, last) + 1)}
    return Located(t0, t1, tr.turns[k].speaker, True, len(speakers))


def excerpt(tr: Transcript, start: int, end: int) -> str:
    """The dialogue of start..end: stamps and labels left out, line breaks and runs of spaces as one space."""
    parts, pos = [], start
    for a, b in tr.marks:
        if b <= start or a >= end:
            continue
        parts.append(tr.text[pos:max(a, pos)])
        pos = max(pos, b)
    parts.append(tr.text[pos:end] if pos < end else "")
    return " ".join("".join(parts).split())


def time_text(value: Decimal | None) -> str | None:
    """Seconds as pedcomm writes them ('65', '143.8'), or None."""
    if value is None:
        return None
    s = f"{value:f}"
    return s.rstrip("0").rstrip(".") if "." in s else s
