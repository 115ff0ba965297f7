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


def n_pct(k: int, n: int, decimals: int = 1) -> str:
    """'k (p)' with p the percentage of n, rounded half up."""
    from .rounding import fmt, percent

    p = percent(k, n)
    return f"{k} ({fmt(p, decimals)})" if p is not None else f"{k}"
