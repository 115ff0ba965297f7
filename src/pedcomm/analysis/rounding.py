"""Rounding as publications do it: half away from zero, on exact values where we have them.

Python's ``round`` and ``format`` round half to even on the binary value, so 25/400 = 6.25 % would
print as 6.2 where the article prints 6.3. Percentages are therefore kept as exact fractions and
every number shown is rounded here, once.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from numbers import Real

#: A number this module rounds: exact fractions, Python numbers, numpy scalars.
Number = float | Fraction | Real


def _decimal(x: Number) -> Decimal:
    if isinstance(x, Fraction):
        with localcontext() as ctx:
            ctx.prec = 40
            return Decimal(x.numerator) / Decimal(x.denominator)
    return Decimal(repr(float(x)))


def round_half_up(x: Number, decimals: int) -> Decimal:
    """``x`` rounded to ``decimals`` places, ties away from zero (infinities stay as they are).

    The precision is the number's own digits plus the places asked for, so a value as large as a
    float can be (1e308) rounds instead of exceeding the default 28 digits."""
    d = _decimal(x)
    if not d.is_finite():
        return d
    with localcontext() as ctx:
        ctx.prec = max(28, d.adjusted() + decimals + 2)
        ctx.Emax, ctx.Emin = 999_999, -999_999
        return d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def fmt(x: Number | None, decimals: int) -> str:
    """``x`` as text at ``decimals`` places (blank for a missing value; 'inf' or '-inf' for an infinite one)."""
    if x is None or (isinstance(x, float) and x != x):
        return ""
    out = round_half_up(x, decimals)
    if out.is_nan():
        return ""
    if out.is_infinite():
        return "-inf" if out < 0 else "inf"
    if out == 0:
        out = abs(out)  # no "-0.00"
    return f"{out:f}"


def percent(k: int, n: int) -> Fraction | None:
    """100 k / n, exactly; None when n is 0."""
    return Fraction(100 * int(k), int(n)) if n else None


def percent_value(k: int, n: int, decimals: int = 6) -> float | None:
    """100 k / n as a float rounded to ``decimals`` places, for a machine-readable table; None when n is 0."""
    p = percent(k, n)
    return None if p is None else float(round(float(p), decimals))


def fmt_p(p: float | None) -> str:
    """A p-value as journals print it (AMA Manual of Style, as JAMA Network Open applies it).

    Two decimals (0.04, 0.12); three below 0.01 (0.005) and where two would round a value below
    0.05 up to 0.05 (0.049); '<0.001' below 0.001 and '>0.99' above 0.99. Never '0.0' or '1.00'.
    Blank for a missing value.
    """
    if p is None or p != p:
        return ""
    p = float(p)
    if p < 0.001:
        return "<0.001"
    if p > 0.99:
        return ">0.99"
    two = fmt(p, 2)
    if p < 0.01 or (p < 0.05 and two == "0.05"):
        return fmt(p, 3)
    return two


def p_data(p: float | None, digits: int = 6) -> float | None:
    """A p-value for a machine-readable table: ``digits`` significant digits, so a very small
    p-value stays visible (1.23e-19) instead of rounding to 0.0 at fixed decimals."""
    if p is None or p != p:
        return None
    return float(f"{float(p):.{digits}g}")
