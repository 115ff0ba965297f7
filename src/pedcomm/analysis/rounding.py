"""Rounding as publications do it: half away from zero, on exact values where we have them.

Python's ``round`` and ``format`` round half to even on the binary value, so 25/400 = 6.25 % would
print as 6.2 where the article prints 6.3. Percentages are therefore kept as exact fractions and
every number shown is rounded here, once.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from numbers import Real


def _decimal(x: Real | Fraction) -> Decimal:
    if isinstance(x, Fraction):
        with localcontext() as ctx:
            ctx.prec = 40
            return Decimal(x.numerator) / Decimal(x.denominator)
    return Decimal(repr(float(x)))


def round_half_up(x: Real | Fraction, decimals: int) -> Decimal:
    """``x`` rounded to ``decimals`` places, ties away from zero."""
    return _decimal(x).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def fmt(x: Real | Fraction | None, decimals: int) -> str:
    """``x`` as text at ``decimals`` places (blank for a missing value)."""
    if x is None or (isinstance(x, float) and x != x):
        return ""
    out = round_half_up(x, decimals)
    if out == 0:
        out = abs(out)  # no "-0.00"
    return f"{out:f}"


def percent(k: int, n: int) -> Fraction | None:
    """100 k / n, exactly; None when n is 0."""
    return Fraction(100 * int(k), int(n)) if n else None


def fmt_p(p: float | None) -> str:
    """A p-value as usually printed: 3 decimals, '<0.001' below that."""
    if p is None or p != p:
        return ""
    return "<0.001" if p < 0.001 else fmt(p, 3)
