"""Proportions, kappa and McNemar against hand computation (and statsmodels, an independent code)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from pedcomm.analysis.agreement import cohen_kappa, mcnemar, wilson
from pedcomm.analysis.rounding import fmt, fmt_p, percent, round_half_up

# The 2x2 implied by the published survey figures (published-facts.md): parent yes & clinician yes,
# parent yes only, clinician yes only, neither.
A, B, C, D = 33, 48, 94, 163
TABLE = [[A, B], [C, D]]


def test_kappa_by_hand_formula():
    n = A + B + C + D
    po = (A + D) / n
    pe = ((A + B) / n) * ((A + C) / n) + ((C + D) / n) * ((B + D) / n)
    k = cohen_kappa(TABLE)
    assert k.n == n == 338
    assert k.observed == pytest.approx(po, abs=1e-12)
    assert k.expected == pytest.approx(pe, abs=1e-12)
    assert k.kappa == pytest.approx((po - pe) / (1 - pe), abs=1e-12)
    assert round(k.kappa, 3) == 0.035  # "Cohen's kappa about 0.035"


def test_kappa_standard_error_against_statsmodels():
    from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

    ours, theirs = cohen_kappa(TABLE), sm_kappa(TABLE)
    assert ours.se == pytest.approx(theirs.std_kappa, rel=1e-9)
    assert ours.lower == pytest.approx(theirs.kappa_low, rel=1e-9)
    assert ours.upper == pytest.approx(theirs.kappa_upp, rel=1e-9)


def test_kappa_standard_error_2x2_by_hand():
    """Fleiss-Cohen-Everitt variance written out cell by cell for a 2x2 table."""
    n = A + B + C + D
    p = [[A / n, B / n], [C / n, D / n]]
    r = [p[0][0] + p[0][1], p[1][0] + p[1][1]]
    c = [p[0][0] + p[1][0], p[0][1] + p[1][1]]
    po, pe = p[0][0] + p[1][1], r[0] * c[0] + r[1] * c[1]
    k = (po - pe) / (1 - pe)
    a = sum(p[i][i] * (1 - (r[i] + c[i]) * (1 - k)) ** 2 for i in range(2))
    b = (1 - k) ** 2 * (p[0][1] * (c[0] + r[1]) ** 2 + p[1][0] * (c[1] + r[0]) ** 2)
    var = (a + b - (k - pe * (1 - k)) ** 2) / (n * (1 - pe) ** 2)
    assert cohen_kappa(TABLE).se == pytest.approx(math.sqrt(var), rel=1e-12)


def test_kappa_perfect_agreement():
    k = cohen_kappa([[20, 0], [0, 30]])
    assert k.kappa == pytest.approx(1.0)
    assert k.se == pytest.approx(0.0, abs=1e-12)


def test_mcnemar_by_hand():
    m = mcnemar(TABLE)
    assert (m.b, m.c) == (B, C)
    assert m.statistic == pytest.approx((abs(B - C) - 1) ** 2 / (B + C), abs=1e-12)  # 2025/142
    assert m.p_value == pytest.approx(math.erfc(math.sqrt(m.statistic / 2)), rel=1e-9)  # chi2(1) tail
    n = B + C
    tail = sum(math.comb(n, i) for i in range(min(B, C) + 1)) / 2 ** n
    assert m.exact_p == pytest.approx(min(1.0, 2 * tail), rel=1e-9)


def test_mcnemar_no_discordant_pairs():
    m = mcnemar([[5, 0], [0, 7]])
    assert m.statistic == 0.0 and m.p_value == 1.0 and m.exact_p == 1.0


@pytest.mark.parametrize("k,n", [(33, 338), (0, 20), (20, 20), (1, 3)])
def test_wilson_by_hand_and_statsmodels(k, n):
    from statsmodels.stats.proportion import proportion_confint

    z = 1.959963984540054
    p = k / n
    centre = (k + z * z / 2) / (n + z * z)
    half = z * math.sqrt(n) / (n + z * z) * math.sqrt(p * (1 - p) + z * z / (4 * n))
    got = wilson(k, n)
    assert got.lower == pytest.approx(max(0.0, centre - half), abs=1e-12)
    assert got.upper == pytest.approx(min(1.0, centre + half), abs=1e-12)
    lo, hi = proportion_confint(k, n, method="wilson")
    assert (got.lower, got.upper) == pytest.approx((lo, hi), abs=1e-12)


def test_wilson_empty():
    assert wilson(0, 0).lower is None and wilson(0, 0).estimate is None


def test_rounding_is_half_up_like_the_article():
    # 25/400 = 6.25 % is published as 6.3 (Python's round() would give 6.2)
    assert fmt(percent(25, 400), 1) == "6.3"
    assert fmt(percent(57, 80), 1) == "71.3"
    assert fmt(percent(10, 400), 1) == "2.5"
    assert fmt(Fraction(-1, 1000), 2) == "0.00"  # no negative zero
    assert str(round_half_up(2.675, 2)) == "2.68"  # decimal value of repr, not the binary one
    assert fmt(None, 1) == "" and fmt(float("nan"), 1) == ""
    assert fmt_p(0.0004) == "<0.001" and fmt_p(0.0125) == "0.01"


@pytest.mark.parametrize("p, shown", [
    (0.0, "<0.001"), (1e-19, "<0.001"), (0.000999, "<0.001"), (0.001, "0.001"), (0.0049, "0.005"),
    (0.00995, "0.010"),  # below 0.01: three decimals, even where they round to 0.010
    (0.01, "0.01"), (0.0125, "0.01"), (0.044, "0.04"), (0.0449, "0.04"),
    (0.0451, "0.045"), (0.0496, "0.050"), (0.04999, "0.050"),  # two decimals would round up to 0.05
    (0.05, "0.05"), (0.123, "0.12"), (0.125, "0.13"), (0.985, "0.99"), (0.99, "0.99"), (0.991, ">0.99"),
    (1.0, ">0.99"), (None, ""), (float("nan"), ""),
])
def test_p_values_as_journals_print_them(p, shown):
    """AMA style (JAMA Network Open): 2 decimals, 3 below 0.01 or where 2 would reach 0.05 from below,
    '<0.001' and '>0.99' at the ends; never '0.0'."""
    assert fmt_p(p) == shown


def test_p_values_for_machines_keep_significant_digits():
    from pedcomm.analysis.rounding import p_data

    assert p_data(3.14159e-19) == 3.14159e-19 and p_data(0.123456789) == 0.123457
    assert p_data(None) is None and p_data(float("nan")) is None
