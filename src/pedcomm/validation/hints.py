"""Grouped hints: one cause behind many findings, said once.

A site whose file went through a spreadsheet or the wrong REDCap export sees hundreds of findings
that have one fix. The checks record evidence as they go (``Report.clue``: values that are codes
spelled as labels, references that match once leading zeros are restored, cells that look like
dates); a renamed column is recognised here, from the missing and the unknown column of the same
table (closest name by edit distance, difflib's ratio). ``hints(report)`` groups the evidence by
cause, with counts and where, in a stable order; every rendering shows the same hints.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field

from .words import noun, plural

#: The causes, in the order they are shown, with what to do (one source for every rendering).
KINDS = {
    "renamed_column": ("A column was renamed",
                       "Rename each column back to the standard's name (the data dictionary lists them): until then the "
                       "checks that need the column cannot run (see 'Checks that could not run')."),
    "labels": ("Labels instead of raw codes",
               "The values are REDCap labels ('Female', 'Yes') where the standard stores raw codes ('female', true). "
               "Export the records again with 'CSV / Microsoft Excel (raw data)' and run pedcomm redcap import; "
               "do not correct the cells one by one."),
    "leading_zeros": ("Leading zeros lost in identifiers",
                      "The identifiers match once their leading zeros are restored ('P45' is 'P0045'): a spreadsheet "
                      "read them as numbers. Export again and do not open the file in Excel, or import its columns as text."),
    "excel_dates": ("Values turned into dates by a spreadsheet",
                    "These cells look like dates a spreadsheet made of codes or numbers. Export again from the source "
                    "(REDCap), or format the columns as text before saving."),
}


@dataclass
class Hint:
    kind: str
    title: str
    action: str
    count: int  #: findings (or columns, for a renamed column) sharing the cause
    where: list[str] = field(default_factory=list)  #: "table: column" or "table: 'old' -> 'new'"
    codes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        what = noun(self.count, "column") if self.kind == "renamed_column" else noun(self.count, "finding")
        return f"{self.title}: {self.count} {what} in {', '.join(self.where[:6])}" + (" ..." if len(self.where) > 6 else "")

    def as_dict(self) -> dict:
        return {**asdict(self), "summary": self.summary}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def closest_names(columns: list[str], wanted: list[str]) -> dict[str, str]:
    """For columns of a file not in the standard, the missing standard column each most likely is
    (same letters ignoring case and punctuation, else the closest by difflib's ratio >= 0.6); each
    standard column is matched once."""
    left = sorted(wanted)
    out = {}
    for col in sorted(columns):
        if not left:
            break
        by_norm = {_norm(m): m for m in left}
        close = difflib.get_close_matches(_norm(str(col)), list(by_norm), n=1, cutoff=0.6)
        guess = by_norm.get(_norm(str(col))) or (by_norm[close[0]] if close else None)
        if guess:
            out[col] = guess
            left.remove(guess)
    return out


def renamed_columns(report) -> list[tuple[str, str, str]]:
    """(table, column in the file, the standard's column it most likely is)."""
    missing: dict[str, list[str]] = {}
    unknown: dict[str, list[str]] = {}
    for (code, res, fld), n in report.counts.items():
        if n and fld and code == "COLUMN_MISSING":
            missing.setdefault(res, []).append(fld)
        elif n and fld and code == "COLUMN_UNKNOWN":
            unknown.setdefault(res, []).append(fld)
    return [(res, col, guess) for res in sorted(set(missing) & set(unknown))
            for col, guess in sorted(closest_names(unknown[res], missing[res]).items())]


def did_you_mean(report) -> dict[tuple[str, str], str]:
    """(table, unknown column) -> the standard column it most likely is (for the findings' own text)."""
    return {(res, col): guess for res, col, guess in renamed_columns(report)}


def hints(report) -> list[Hint]:
    out: dict[str, Hint] = {}

    def hint(kind: str) -> Hint:
        if kind not in out:
            out[kind] = Hint(kind, *KINDS[kind], count=0)
        return out[kind]

    for res, col, guess in renamed_columns(report):
        h = hint("renamed_column")
        h.count += 1
        h.where.append(f"{res}: '{col}' -> '{guess}'")
        h.codes = ["COLUMN_MISSING", "COLUMN_UNKNOWN"]
    for c in sorted(report.clues, key=lambda c: (c["kind"], c["resource"] or "", c["field"] or "", c["code"])):
        if c["kind"] not in KINDS:
            continue
        h = hint(c["kind"])
        h.count += c["count"]
        where = f"{c['resource']}: {c['field']}" if c.get("field") else str(c["resource"])
        if where not in h.where:
            h.where.append(where)
        if c["code"] not in h.codes:
            h.codes.append(c["code"])
    return [out[k] for k in KINDS if k in out]


def in_words(h: Hint) -> str:
    return f"{h.summary}. {h.action}"


__all__ = ["KINDS", "Hint", "hints", "renamed_columns", "did_you_mean", "in_words", "plural"]
