"""A result table: tidy numbers for machines, formatted cells for manuscripts, a title and notes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Table:
    """One output table of a study.

    ``data`` is written as CSV (one column per quantity, numbers as numbers); ``display`` is the
    same content formatted for a manuscript (Markdown, HTML, LaTeX). ``notes`` say how every number
    was computed (methods, denominators, assumptions).
    """

    name: str  # file stem, e.g. "survey_models"
    title: str
    data: pd.DataFrame
    display: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: The display column whose runs of equal values are row groups (bold rows across the table in
    #: Markdown, HTML and LaTeX instead of a label repeated on every row): None finds it (the first
    #: column, when its values come in runs and some run is longer than one row); "" means none.
    group: str | None = None

    def row_group(self) -> str | None:
        """The display column rendered as row groups, or None."""
        if self.group is not None:
            return self.group or None
        if self.display.shape[1] < 3 or len(self.display) < 2:
            return None
        first = self.display.columns[0]
        values = [str(v) for v in self.display[first]]
        runs = [v for i, v in enumerate(values) if i == 0 or v != values[i - 1]]
        return first if len(runs) == len(set(runs)) and len(runs) < len(values) else None


def n_pct(k: int, n: int, decimals: int = 1) -> str:
    """'k (p)' with p the percentage of n, rounded half up."""
    from .rounding import fmt, percent

    p = percent(k, n)
    return f"{k} ({fmt(p, decimals)})" if p is not None else f"{k}"
