"""Character positions as each QDA tool counts them, mapped onto one normalised text.

A PlainTextSelection's ``startPosition``/``endPosition`` count characters of its source's plain
text, but tools count differently:

- **line breaks**: a Windows line break (CR LF) is one character for ATLAS.ti (which stores the
  text with CR LF but counts each break once; QualCoder's REFI import works around it), for
  MAXQDA and for QualCoder (which adds CR LF for MAXQDA without changing its positions), and two
  for NVivo on Windows, which counts the bytes of the text file as written;
- **units**: Unicode code points (Python, QualCoder) or UTF-16 code units (NVivo, ATLAS.ti and
  MAXQDA are Windows programs), which differ for characters outside the Basic Multilingual Plane
  (emoji, some CJK characters).

The text is normalised once (every CR LF or lone CR becomes LF) and each convention maps a
tool position to an index of that text. A position that falls inside a character (between CR
and LF when breaks count twice, inside a surrogate pair) or past the end is invalid. With
``auto``, the convention is chosen from the selections themselves: the one under which most
positions are valid and fall on word boundaries (a coder selects words, not halves of them), the
tool's own convention (from the project's ``origin``) breaking ties. Nothing depends on a
convention when the texts hold no CR LF and no characters outside the BMP.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from itertools import accumulate

LINE_BREAKS = ("auto", "one", "two")
UNITS = ("auto", "codepoints", "utf16")


@dataclass(frozen=True)
class Convention:
    line_breaks: str = "one"  # 'one' or 'two': how a CR LF is counted
    units: str = "codepoints"  # 'codepoints' or 'utf16'

    def describe(self, line_breaks: bool = True, units: bool = True) -> str:
        parts = []
        if line_breaks:
            parts.append(f"a Windows line break (CR LF) as {'one character' if self.line_breaks == 'one' else 'two characters'}")
        if units:
            parts.append(f"characters as {'Unicode code points' if self.units == 'codepoints' else 'UTF-16 code units'}")
        return " and ".join(parts)


class Source:
    """One source text: normalised, and the tool positions of each of its characters."""

    def __init__(self, raw: str):
        self.raw = raw
        self.crlf = "\r\n" in raw
        self.astral = any(ord(c) > 0xFFFF for c in raw)
        # normalise: CR LF and lone CR become LF; remember which LFs were CR LF
        out, doubled, i, n = [], [], 0, len(raw)
        while i < n:
            c = raw[i]
            if c == "\r":
                pair = i + 1 < n and raw[i + 1] == "\n"
                out.append("\n")
                doubled.append(pair)
                i += 2 if pair else 1
                continue
            out.append(c)
            doubled.append(False)
            i += 1
        self.text = "".join(out)
        self._doubled = doubled
        self._cum: dict[Convention, list[int]] = {}

    @property
    def ambiguous(self) -> bool:
        return self.crlf or self.astral

    def _offsets(self, conv: Convention) -> list[int]:
        """Tool position of each character boundary (len(text) + 1 entries, strictly increasing)."""
        if conv not in self._cum:
            two, utf16 = conv.line_breaks == "two", conv.units == "utf16"
            weights = [2 if (two and d) or (utf16 and ord(c) > 0xFFFF) else 1 for c, d in zip(self.text, self._doubled)]
            self._cum[conv] = [0, *accumulate(weights)]
        return self._cum[conv]

    def length(self, conv: Convention) -> int:
        """The text's length as the tool counts it."""
        return self._offsets(conv)[-1] if self.ambiguous else len(self.text)

    def index(self, position: int, conv: Convention) -> int | None:
        """The normalised index of a tool position, or None when it is outside the text or inside a character."""
        if not self.ambiguous:
            return position if 0 <= position <= len(self.text) else None
        cum = self._offsets(conv)
        i = bisect.bisect_left(cum, position)
        return i if i < len(cum) and cum[i] == position else None


def _boundary(text: str, i: int) -> bool:
    """True when ``i`` is not strictly inside a word."""
    return i <= 0 or i >= len(text) or not (text[i - 1].isalnum() and text[i].isalnum())


def tool_default(origin: str) -> Convention:
    """The convention of the tool that wrote the project (its ``origin`` attribute)."""
    o = (origin or "").casefold()
    if "nvivo" in o:
        return Convention("two", "utf16")
    if "atlas" in o or "maxqda" in o:
        return Convention("one", "utf16")
    return Convention("one", "codepoints")


@dataclass
class Choice:
    convention: Convention
    how: str  # 'option', 'detected', 'tool default', 'irrelevant'
    valid: int = 0  # selections whose positions are valid under it
    total: int = 0
    runner_up: int | None = None  # selections valid under the next best convention
    crlf: bool = False  # the texts hold Windows line breaks
    astral: bool = False  # ... and characters outside the Basic Multilingual Plane
    aligned: int = 0  # selection ends (two per selection) that fall between words under it

    @property
    def misaligned(self) -> bool:
        """Fewer than 80% of the selections' ends fall between words: the counting may be wrong."""
        return self.total > 0 and self.aligned < 0.8 * 2 * self.total

    def describe(self) -> str:
        return self.convention.describe(self.crlf, self.astral)


def choose(spans: list[tuple[Source, int, int]], origin: str, line_breaks: str = "auto",
           units: str = "auto") -> Choice:
    """The counting convention for a project's selections (see the module docstring)."""
    default = tool_default(origin)
    lb = [line_breaks] if line_breaks != "auto" else ["one", "two"]
    un = [units] if units != "auto" else ["codepoints", "utf16"]
    relevant = [(s, a, b) for s, a, b in spans if s.ambiguous]
    if not relevant:
        picked = Convention(lb[0] if line_breaks != "auto" else default.line_breaks,
                            un[0] if units != "auto" else default.units)
        return Choice(picked, "irrelevant", len(spans), len(spans))
    crlf, astral = any(s.crlf for s, _, _ in relevant), any(s.astral for s, _, _ in relevant)
    if not crlf:
        lb = [line_breaks if line_breaks != "auto" else default.line_breaks]
    if not astral:
        un = [units if units != "auto" else default.units]
    scored = []
    for lbi in lb:
        for uni in un:
            conv = Convention(lbi, uni)
            valid = aligned = 0
            for src, a, b in relevant:
                i, j = src.index(a, conv), src.index(b, conv)
                if i is None or j is None or j < i:
                    continue
                valid += 1
                aligned += _boundary(src.text, i) + _boundary(src.text, j)
            like_tool = (lbi == default.line_breaks) + (uni == default.units)
            scored.append(((valid, aligned, like_tool), conv, valid, aligned))
    scored.sort(key=lambda x: x[0], reverse=True)
    best = scored[0]
    if (not crlf or line_breaks != "auto") and (not astral or units != "auto"):
        how = "option"
    elif len(scored) == 1 or scored[1][0][:2] == best[0][:2]:
        how = "tool default"
    else:
        how = "detected"
    return Choice(best[1], how, best[2], len(relevant), scored[1][2] if len(scored) > 1 else None, crlf, astral,
                  best[3])
