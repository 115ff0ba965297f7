"""A Table as a LaTeX ``longtable`` that fits the text width of the document it is pasted into.

Our own rather than great-tables' ``as_latex``: that one sets every table in a 12 pt ``tabular*``
whose columns never wrap, as wide as its longest cell (most of our tables overflow a plain
``article`` by 60-460 pt, so the odds-ratio and p columns of the models table fall off the page),
repeats the group label on every row and cannot break across pages. Here:

- every column is a ``p{}`` column whose width is a fraction of ``\\linewidth`` (so the table fits
  whatever the document's text width), shared out by the cells' lengths and never narrower than
  the column's longest word; the font steps down (small, footnotesize, scriptsize) until the
  longest words fit;
- a table's row groups (``Table.group``) are bold rows spanning the table, not a repeated column;
- ``longtable`` breaks long tables across pages and repeats the header;
- the notes follow as small paragraphs.

The packages it needs are declared in its first line (``PACKAGES``); the tests compile every table
of a reproduction with pdflatex in a plain ``article`` with just these and fail on an overfull box.
"""

from __future__ import annotations

import math
import re

import pandas as pd

PACKAGES = ("booktabs", "longtable", "array")
#: The text width of a plain 10 pt ``article`` (345 pt) is what the widths are planned for; the
#: fractions then scale with the document's own \linewidth.
PLANNED_WIDTH_PT = 345.0
TABCOLSEP_PT = 6.0
#: (command, font size in pt); an average character of Computer Modern is about 0.5 em, a wide one 0.6 em
FONTS = (("\\small", 9.0), ("\\footnotesize", 8.0), ("\\scriptsize", 7.0))
CHAR_EM = 0.5
WIDE_CHAR_EM = 0.62

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_\allowbreak{}",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
#: Characters pdflatex's default input encoding does not set, and how to write them.
_UNICODE = {"²": r"\textsuperscript{2}", "³": r"\textsuperscript{3}", "τ": r"$\tau$", "χ": r"$\chi$",
            "α": r"$\alpha$", "κ": r"$\kappa$", "≥": r"$\geq$", "≤": r"$\leq$", "±": r"$\pm$", "×": r"$\times$",
            "−": "-", "–": "--", "—": "---", "†": r"\textdagger{}", "‡": r"\textdaggerdbl{}", "·": r"\textperiodcentered{}",
            "…": r"\dots{}", "‘": "`", "’": "'", "“": "``", "”": "''", "≠": r"$\neq$", "→": r"$\rightarrow$",
            "\u00a0": "~", "µ": r"$\mu$", "°": r"\textdegree{}"}


def escape(text) -> str:
    """``text`` as literal LaTeX (special characters escaped; symbols outside Latin-1 written as
    commands; anything else outside Latin-1 as '?', so pdflatex never stops on it)."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    out = []
    for ch in str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " "):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ord(ch) < 32:
            out.append(" ")
        elif ord(ch) > 255:
            out.append("?")
        else:
            out.append(ch)
    return "".join(out)


_NUMERIC = re.compile(r"^[\s<>=≥≤+\-−–.,%()0-9/\u2020†*]*$")


def _is_numeric(values: list[str]) -> bool:
    filled = [v for v in values if v.strip()]
    return bool(filled) and sum(bool(_NUMERIC.match(v)) for v in filled) >= 0.8 * len(filled)


#: Approximate widths of Computer Modern characters, in em (capitals and digits are wider than most
#: lower-case letters); a little generous, so a planned column is never narrower than its words.
_NARROW, _WIDE = set("ijlt.,;:'!|()[] "), set("MWmw@%")


#: Small sizes of Computer Modern are drawn wider than the large ones, and math symbols (<, >) are
#: wider than text: every estimate is taken this much wider.
_SAFETY = 1.12


def _em(text: str) -> float:
    return _SAFETY * sum(0.32 if c in _NARROW else 0.95 if c in _WIDE else 0.75 if c.isupper() else 0.55 for c in text)


def _longest_word(texts) -> float:
    """The widest unbreakable piece: words, split after underscores too (escape lets a line break there)."""
    return max([_em(w) for t in texts for w in re.split(r"\s+|(?<=_)", str(t)) if w] + [0.6])


def _fits(least_em: list[float], pt: float) -> bool:
    gaps = 2 * TABCOLSEP_PT * (len(least_em) - 1)
    return sum(least_em) * pt <= PLANNED_WIDTH_PT - gaps


def plan_widths(header: list[str], columns: list[list[str]]) -> tuple[str, list[float]]:
    """The font command and each column's width as a fraction of \\linewidth: every column at
    least as wide as its longest word, in the largest font where that fits; the width left over
    shared out by how much longer each column's longest cell is."""
    n = len(header)
    usable = PLANNED_WIDTH_PT - 2 * TABCOLSEP_PT * (n - 1)
    natural = [max([_em(str(v)) for v in col] + [_em(str(h))]) for h, col in zip(header, columns)]
    least = [_longest_word([h, *col]) for h, col in zip(header, columns)]
    font, size = next(((cmd, pt) for cmd, pt in FONTS if _fits(least, pt)), FONTS[-1])
    widths = [w * size for w in least]  # pt
    spare = usable - sum(widths)
    if spare > 0:
        wants = [max(nat * size - w, 0.0) for nat, w in zip(natural, widths)]
        total = sum(wants)
        share = 1.0 if total <= spare else spare / total
        widths = [w + x * share for w, x in zip(widths, wants)]
    return font, [math.floor(1000 * w / PLANNED_WIDTH_PT) / 1000 for w in widths]  # rounded down: never wider


def column_chunks(header: list[str], columns: list[list[str]]) -> list[list[int]]:
    """The columns of each part of a table too wide for the page even in the smallest font: the
    first column (the row labels) in every part, then as many of the others as fit, in order."""
    least = [_longest_word([h, *col]) for h, col in zip(header, columns)]
    small = FONTS[-1][1]
    if len(header) < 3 or _fits(least, small):
        return [list(range(len(header)))]
    parts, current = [], [0]
    for j in range(1, len(header)):
        if len(current) > 1 and not _fits([least[i] for i in current + [j]], FONTS[1][1]):
            parts.append(current)
            current = [0]
        current.append(j)
    parts.append(current)
    return parts


def _longtable(title: str, header: list[str], cells: list[list[str]], groups: list[str] | None) -> list[str]:
    font, fractions = plan_widths(header, cells)
    aligns = [r"\raggedleft" if _is_numeric(col) else r"\raggedright" for col in cells]
    spec = "".join(f">{{{a}\\arraybackslash}}p{{{f:.3f}\\linewidth}}" for a, f in zip(aligns, fractions))
    n = len(header)
    head = " & ".join(escape(h) for h in header) + r" \\"
    out = [r"\begingroup",
           f"\\par\\medskip\\noindent{{\\raggedright\\bfseries {escape(title)}\\par}}\\nopagebreak" + font,
           r"\setlength{\LTleft}{0pt}\setlength{\LTright}{0pt}\setlength{\LTpre}{4pt}",
           f"\\begin{{longtable}}{{@{{}}{spec}@{{}}}}",
           r"\toprule", head, r"\midrule", r"\endfirsthead",
           f"\\multicolumn{{{n}}}{{@{{}}l}}{{\\textit{{(continued)}}}}\\\\", r"\toprule", head, r"\midrule", r"\endhead",
           r"\bottomrule", r"\endlastfoot"]
    last = None
    rows = len(cells[0]) if cells else 0
    for i in range(rows):
        if groups is not None and groups[i] != last:
            last = groups[i]
            if i:
                out.append(r"\addlinespace")
            out.append(f"\\multicolumn{{{n}}}{{@{{}}p{{\\linewidth}}@{{}}}}{{\\textbf{{{escape(last)}}}}}\\\\")
        out.append(" & ".join(escape(col[i]) for col in cells) + r" \\")
    out += [r"\end{longtable}", r"\endgroup"]
    return out


def to_latex(title: str, display: pd.DataFrame, notes: list[str], group: str | None) -> str:
    """The table as LaTeX: one longtable, or several (each with the row labels) when it is too wide;
    then the notes."""
    frame = display.copy()
    groups = None
    if group:
        groups = [str(v) for v in frame[group]]
        frame = frame.drop(columns=[group])
    header = [str(c) for c in frame.columns]
    cells = [[("" if v is None or (isinstance(v, float) and v != v) else str(v)) for v in frame[c]] for c in frame.columns]
    parts = column_chunks(header, cells)
    out = [f"% pedcomm table; preamble: \\usepackage{{{','.join(PACKAGES)}}}"]
    for k, part in enumerate(parts, 1):
        name = title if len(parts) == 1 else f"{title} (part {k} of {len(parts)})"
        out += _longtable(name, [header[j] for j in part], [cells[j] for j in part], groups)
    if notes:
        out.append(r"\begingroup\footnotesize\raggedright")
        if len(parts) > 1:
            out.append(f"The table is printed in {len(parts)} parts to fit the page; each part repeats the first column.\\par")
        out += [escape(note) + r"\par" for note in notes]
        out.append(r"\endgroup")
    return "\n".join(out) + "\n"
