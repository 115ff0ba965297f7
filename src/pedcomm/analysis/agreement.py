"""Proportions with confidence intervals and agreement between two raters on a binary rating.

Written out in a few lines each (closed forms) so the tests can check them against hand
computation and against statsmodels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

#: Names written next to the results, so a reader knows which method produced each interval.
WILSON = "Wilson score interval"
KAPPA_CI = "asymptotic Wald interval, standard error of Fleiss, Cohen and Everitt (1969)"
MCNEMAR = "McNemar chi-square with continuity correction (1 df); exact binomial p-value alongside"


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


@dataclass(frozen=True)
class Proportion:
    k: int
    n: int
    lower: float | None
    upper: float | None
    method: str = WILSON

    @property
    def estimate(self) -> float | None:
        return self.k / self.n if self.n else None


def wilson(k: int, n: int, level: float = 0.95) -> Proportion:
    """Wilson score interval for k successes out of n."""
    if n == 0:
        return Proportion(k, n, None, None)
    z = _z(level)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Proportion(k, n, max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Kappa:
    kappa: float
    se: float
    lower: float
    upper: float
    observed: float  # observed agreement
    expected: float  # chance agreement
    n: int
    method: str = KAPPA_CI


def kappa_arrays(tables) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cohen's kappa of a stack of square tables (shape m x k x k; rows rater 1, columns rater 2),
    vectorized: (kappa, standard error, observed agreement, chance agreement, n), one value per table.

    Standard error: the large-sample variance of Fleiss, Cohen and Everitt (1969), Psychol Bull
    72:323-327 (the one most software reports). Kappa and its standard error are NaN where they are
    undefined: an empty table, or chance agreement 1 (both raters used one and the same category).
    The one implementation of kappa in pedcomm: ``cohen_kappa`` and ``cohen_kappa_2x2`` call it."""
    t = np.asarray(tables, dtype="float64")
    n = t.sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = t / n[:, None, None]
        rows, cols = p.sum(axis=2), p.sum(axis=1)
        po = np.trace(p, axis1=1, axis2=2)
        pe = np.sum(rows * cols, axis=1)
        k = (po - pe) / (1 - pe)
        diag = np.diagonal(p, axis1=1, axis2=2)
        a = np.sum(diag * (1 - (rows + cols) * (1 - k)[:, None]) ** 2, axis=1)
        off = p * (1 - np.eye(t.shape[1]))
        b = (1 - k) ** 2 * np.sum(off * (cols[:, :, None] + rows[:, None, :]) ** 2, axis=(1, 2))
        c = (k - pe * (1 - k)) ** 2
        se = np.sqrt(np.maximum(a + b - c, 0.0) / (n * (1 - pe) ** 2))
    undefined = (n == 0) | (pe >= 1)
    k, se = np.where(undefined, np.nan, k), np.where(undefined, np.nan, se)
    return k, se, po, pe, n


def cohen_kappa(table, level: float = 0.95) -> Kappa:
    """Cohen's kappa of a square table (rows: rater 1, columns: rater 2), with a Wald CI
    (standard error of Fleiss, Cohen and Everitt 1969; see ``kappa_arrays``)."""
    k, se, po, pe, n = (float(x[0]) for x in kappa_arrays(np.asarray(table)[None, :, :]))
    z = _z(level)
    return Kappa(k, se, k - z * se, k + z * se, po, pe, int(n))


def cohen_kappa_2x2(both: Any, first_only: Any, second_only: Any, neither: Any, level: float = 0.95) -> pd.DataFrame:
    """Kappa of many binary ratings at once (e.g. one per code), from the cells of their 2x2 tables
    (rater 1 yes & rater 2 yes, yes & no, no & yes, no & no; equal-length arrays).

    Returns one row per table: n, observed (percent agreement as a proportion), expected (chance
    agreement), kappa, se, lower, upper (Wald CI at ``level``); kappa, se and CI are NaN where
    kappa is undefined (see ``kappa_arrays``)."""
    cells = [np.asarray(x, dtype="float64") for x in (both, first_only, second_only, neither)]
    tables = np.stack([np.stack(cells[:2], axis=-1), np.stack(cells[2:], axis=-1)], axis=-2)
    k, se, po, pe, n = kappa_arrays(tables.reshape(-1, 2, 2))
    z = _z(level)
    return pd.DataFrame({"n": n.astype("int64"), "observed": po, "expected": pe, "kappa": k, "se": se,
                         "lower": k - z * se, "upper": k + z * se})


@dataclass(frozen=True)
class McNemar:
    b: int  # rater 1 yes, rater 2 no
    c: int  # rater 1 no, rater 2 yes
    statistic: float
    df: int
    p_value: float
    exact_p: float
    method: str = MCNEMAR


def mcnemar(table) -> McNemar:
    """McNemar's test of marginal homogeneity on a 2x2 table [[yes-yes, yes-no], [no-yes, no-no]]."""
    t = np.asarray(table, dtype="int64")
    b, c = int(t[0, 1]), int(t[1, 0])
    if b + c == 0:
        return McNemar(b, c, 0.0, 1, 1.0, 1.0)
    stat = max(abs(b - c) - 1, 0) ** 2 / (b + c)
    p = float(stats.chi2.sf(stat, 1))
    exact = float(stats.binomtest(min(b, c), b + c, 0.5).pvalue)
    return McNemar(b, c, float(stat), 1, p, exact)
