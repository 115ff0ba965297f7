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
KAPPA_BOUNDARY = ("goodness-of-fit interval of Donner and Eliasziw (1992), valid at perfect agreement where the Wald "
                  "interval has zero width")
#: Why a kappa has no interval (or no meaning) at the edge of its table; a 2x2 table's degeneracy in words.
NO_DISAGREEMENT = "no disagreement: the Wald standard error is 0 at kappa = 1"
ONE_RATER_CONSTANT = ("one rater gave one answer only, so kappa is 0 by construction and says nothing about "
                      "agreement")
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


def degenerate(both, first_only, second_only, neither) -> str:
    """'' for an ordinary 2x2 agreement table; else why kappa's Wald interval is void: one rater
    constant (ONE_RATER_CONSTANT; kappa 0 by construction), or no disagreement (NO_DISAGREEMENT).
    Both raters constant and equal is undefined kappa (NaN), not degenerate."""
    a, b, c, d = (float(x) for x in (both, first_only, second_only, neither))
    n = a + b + c + d
    first_yes, second_yes = a + b, a + c
    if n == 0 or (first_yes in (0, n) and second_yes in (0, n) and first_yes == second_yes):
        return ""  # empty, or both raters constant and equal: kappa undefined (NaN)
    if first_yes in (0, n) or second_yes in (0, n):
        return ONE_RATER_CONSTANT
    if b + c == 0:
        return NO_DISAGREEMENT
    return ""


def donner_eliasziw(both, discordant, neither, level: float = 0.95) -> tuple[float, float]:
    """Confidence limits for kappa of a 2x2 table from the goodness-of-fit chi-square (1 df) of the
    common-correlation model (Donner and Eliasziw 1992, Stat Med 11:1511): cell probabilities
    pi^2 + pi(1 - pi)k, 2 pi(1 - pi)(1 - k), (1 - pi)^2 + pi(1 - pi)k with pi the pooled 'yes'
    share; the limits are the kappas whose chi-square equals the critical value (at perfect
    agreement the upper limit is 1)."""
    from scipy.optimize import brentq

    n = float(both + discordant + neither)
    pi = (2 * both + discordant) / (2 * n)
    s = pi * (1 - pi)
    crit = float(stats.chi2.ppf(level, 1))
    observed = np.array([both, discordant, neither], dtype="float64")

    def chi2(k: float) -> float:
        expected = n * np.array([pi * pi + s * k, 2 * s * (1 - k), (1 - pi) ** 2 + s * k])
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(expected > 0, (observed - expected) ** 2 / expected, np.where(observed > 0, np.inf, 0.0))
        return float(terms.sum())

    k_hat = 1 - discordant / (2 * n * s)
    k_min = max(-pi / (1 - pi), -(1 - pi) / pi) + 1e-12
    lower = k_min if chi2(k_min) <= crit else float(brentq(lambda k: chi2(k) - crit, k_min, k_hat))
    upper = 1.0 if chi2(1.0) <= crit else float(brentq(lambda k: chi2(k) - crit, k_hat, 1.0 - 1e-12))
    return lower, upper


def cohen_kappa(table, level: float = 0.95) -> Kappa:
    """Cohen's kappa of a square table (rows: rater 1, columns: rater 2), with a Wald CI
    (standard error of Fleiss, Cohen and Everitt 1969; see ``kappa_arrays``). A 2x2 table without
    disagreement gets Donner and Eliasziw's interval instead (KAPPA_BOUNDARY); one with a constant
    rater gets none (NaN limits, ``method`` says why)."""
    t = np.asarray(table)
    k, se, po, pe, n = (float(x[0]) for x in kappa_arrays(t[None, :, :]))
    z = _z(level)
    if t.shape == (2, 2):
        why = degenerate(t[0, 0], t[0, 1], t[1, 0], t[1, 1])
        if why == NO_DISAGREEMENT:
            lo, hi = donner_eliasziw(t[0, 0], 0, t[1, 1], level)
            return Kappa(k, se, lo, hi, po, pe, int(n), KAPPA_BOUNDARY)
        if why:
            return Kappa(k, se, float("nan"), float("nan"), po, pe, int(n), f"no interval: {why}")
    return Kappa(k, se, k - z * se, k + z * se, po, pe, int(n))


def cohen_kappa_2x2(both: Any, first_only: Any, second_only: Any, neither: Any, level: float = 0.95) -> pd.DataFrame:
    """Kappa of many binary ratings at once (e.g. one per code), from the cells of their 2x2 tables
    (rater 1 yes & rater 2 yes, yes & no, no & yes, no & no; equal-length arrays).

    Returns one row per table: n, observed (percent agreement as a proportion), expected (chance
    agreement), kappa, se, lower, upper (Wald CI at ``level``); kappa, se and CI are NaN where
    kappa is undefined (see ``kappa_arrays``). ``degenerate``: why a table's Wald interval is void
    ('' when it is not): without disagreement the interval is Donner and Eliasziw's, with a
    constant rater there is none (NaN)."""
    cells = [np.asarray(x, dtype="float64").ravel() for x in (both, first_only, second_only, neither)]
    tables = np.stack([np.stack(cells[:2], axis=-1), np.stack(cells[2:], axis=-1)], axis=-2)
    k, se, po, pe, n = kappa_arrays(tables.reshape(-1, 2, 2))
    z = _z(level)
    lower, upper = k - z * se, k + z * se
    why = [degenerate(*row) for row in zip(*cells)]
    for i, w in enumerate(why):
        if w == NO_DISAGREEMENT:
            lower[i], upper[i] = donner_eliasziw(cells[0][i], 0, cells[3][i], level)
        elif w:
            lower[i], upper[i] = np.nan, np.nan
    return pd.DataFrame({"n": n.astype("int64"), "observed": po, "expected": pe, "kappa": k, "se": se,
                         "lower": lower, "upper": upper, "degenerate": why})


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
