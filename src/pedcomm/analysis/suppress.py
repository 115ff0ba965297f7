"""Small-cell suppression of count tables, with complementary suppression.

A count table has cells (rows x columns) and, optionally, published row totals, column totals and
a grand total. Every published number from 1 to the threshold minus 1 is suppressed (primary
suppression; the default threshold is common US practice for shared tables, DataSHIELD's default
minimum non-zero count is 3; the thresholds and their reasons: SUMMARY_DISCLOSURE's parameters).
Zeros are shown, as both practices do, unless ``zeros`` is set:
suppressing a zero rarely protects anyone (a reader guesses it) and forces a complementary
suppression of a large cell in its line. A total
would then give a suppressed cell back by subtraction, so in every additive line (a row with its
published total, a column with its total, the row totals with the grand total, the column totals
with the grand total) that holds exactly one suppressed number, the smallest other number is
suppressed too (cells before totals, non-zero before zero), until no line has exactly one. Cells whose complement is
known (``denominators``: a column's number of relationships, minus the cell) are suppressed when
the complement is below the threshold, too.

This is the customary heuristic, not an optimal or provably safe pattern: it prevents recovering a
cell from a single line, which is what a reader with the table and a calculator can do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..validation.registry import parameter

#: The small-cell thresholds are parameters of SUMMARY_DISCLOSURE in validation/checks.yaml, each
#: with its reason: the default (counts below it are suppressed), pedcomm's minimum (no summary may
#: use less) and the summary format's maximum.
DEFAULT_THRESHOLD: int = parameter("SUMMARY_DISCLOSURE", "default_threshold")
MINIMUM_THRESHOLD: int = parameter("SUMMARY_DISCLOSURE", "minimum_threshold")
MAXIMUM_THRESHOLD: int = parameter("SUMMARY_DISCLOSURE", "maximum_threshold")


@dataclass
class CountTable:
    name: str
    title: str
    unit: str  # what is counted: parents, clinicians, relationships
    rows: list[str]
    columns: list[str]
    cells: np.ndarray  # int counts, rows x columns
    row_totals: bool = False  # publish each row's total
    column_totals: bool = False  # publish each column's total
    total: bool = False  # publish the grand total
    denominators: list[int] | None = None  # per column: the count the cells are part of (complements)
    notes: list[str] = field(default_factory=list)


def _augmented(t: CountTable) -> tuple[np.ndarray, np.ndarray]:
    """Values and a 'published' mask of the (R+1) x (C+1) table with its margins."""
    c = np.asarray(t.cells, dtype=np.int64)
    R, C = c.shape
    values = np.zeros((R + 1, C + 1), dtype=np.int64)
    values[:R, :C] = c
    values[:R, C] = c.sum(axis=1)
    values[R, :C] = c.sum(axis=0)
    values[R, C] = c.sum()
    published = np.zeros_like(values, dtype=bool)
    published[:R, :C] = True
    published[:R, C] = t.row_totals
    published[R, :C] = t.column_totals
    published[R, C] = t.total
    return values, published


def _lines(t: CountTable, R: int, C: int) -> list[list[tuple[int, int]]]:
    """The additive constraints among published numbers: each is a list of positions."""
    lines = []
    if t.row_totals:
        lines += [[(i, j) for j in range(C + 1)] for i in range(R)]
    if t.column_totals:
        lines += [[(i, j) for i in range(R + 1)] for j in range(C)]
    if t.row_totals and t.total:
        lines.append([(i, C) for i in range(R + 1)])
    if t.column_totals and t.total:
        lines.append([(R, j) for j in range(C + 1)])
    return lines


def _small(values: np.ndarray, threshold: int, zeros: bool) -> np.ndarray:
    return (values < threshold) & ((values > 0) | zeros)


def suppress(t: CountTable, threshold: int = DEFAULT_THRESHOLD,
             zeros: bool = False) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Values, a suppression mask over the augmented table, and the numbers of primary and
    complementary suppressions (``zeros``: suppress zero counts too)."""
    values, published = _augmented(t)
    R, C = np.asarray(t.cells).shape
    hidden = published & _small(values, threshold, zeros)
    if t.denominators is not None:
        complement = np.asarray(t.denominators, dtype=np.int64)[None, :] - values[:R, :C]
        hidden[:R, :C] |= _small(complement, threshold, zeros)
    primary = int(hidden.sum())
    lines = _lines(t, R, C)
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(hidden[p] for p in line) != 1:
                continue
            open_ = [p for p in line if not hidden[p]]
            inner = [p for p in open_ if p[0] < R and p[1] < C]
            # the smallest other number, cells before totals and non-zero before zero (a suppressed
            # zero protects little: a reader guesses it)
            pick = min(inner or open_, key=lambda p: (values[p] == 0, values[p], p))
            hidden[pick] = True
            changed = True
    return values, hidden, primary, int(hidden.sum()) - primary


def as_dict(t: CountTable, threshold: int = DEFAULT_THRESHOLD, zeros: bool = False) -> dict:
    """The shareable form of a table: suppressed numbers are null; unpublished margins are absent."""
    values, hidden, primary, complementary = suppress(t, threshold, zeros)
    R, C = np.asarray(t.cells).shape

    def shown(i, j):
        return None if hidden[i, j] else int(values[i, j])

    out: dict[str, Any] = {"name": t.name, "title": t.title, "unit": t.unit, "rows": list(t.rows), "columns": list(t.columns),
           "cells": [[shown(i, j) for j in range(C)] for i in range(R)]}
    if t.row_totals:
        out["row_totals"] = [shown(i, C) for i in range(R)]
    if t.column_totals:
        out["column_totals"] = [shown(R, j) for j in range(C)]
    if t.total:
        out["total"] = shown(R, C)
    out["suppressed"] = {"primary": primary, "complementary": complementary}
    if t.notes:
        out["notes"] = list(t.notes)
    return out


def published_numbers(d: dict) -> list[tuple[str, int | None]]:
    """Every number of a shared table, with where it is (for checks and tests)."""
    out = []
    for i, row in enumerate(d["cells"]):
        out += [(f"cells[{i}][{j}]", v) for j, v in enumerate(row)]
    out += [(f"row_totals[{i}]", v) for i, v in enumerate(d.get("row_totals", []))]
    out += [(f"column_totals[{j}]", v) for j, v in enumerate(d.get("column_totals", []))]
    if "total" in d:
        out.append(("total", d["total"]))
    return out


def single_suppressions(d: dict) -> list[str]:
    """Additive lines of a shared table with exactly one suppressed number (must be empty)."""
    cells = d["cells"]
    R, C = len(cells), len(cells[0]) if cells else 0
    rt, ct, tot = d.get("row_totals"), d.get("column_totals"), d.get("total", 0)
    lines = []
    if rt is not None:
        lines += [(f"row {i}", cells[i] + [rt[i]]) for i in range(R)]
    if ct is not None:
        lines += [(f"column {j}", [cells[i][j] for i in range(R)] + [ct[j]]) for j in range(C)]
    if rt is not None and "total" in d:
        lines.append(("row totals", rt + [tot]))
    if ct is not None and "total" in d:
        lines.append(("column totals", ct + [tot]))
    return [name for name, line in lines if sum(v is None for v in line) == 1]
