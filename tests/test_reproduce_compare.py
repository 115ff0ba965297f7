"""The comparison statuses (exact / within / published_inconsistent / off / not_reproduced), on the
real published targets with made-up reproduced values."""

from __future__ import annotations

from fractions import Fraction

from pedcomm.analysis.compare import OR_RELATIVE_TOLERANCE, Reproduced, compare, status
from pedcomm.standard.targets import targets


def T(name):
    return targets()[f"survey.{name}"]


def counts(name):
    """Reproduced values for a percentage target whose published count and denominator are matched."""
    num, den = f"{name}.n", f"{name.split('.')[0]}.n"
    n, d = int(T(num).published), int(T(den).published)
    return {num: Reproduced(n), den: Reproduced(d)}, Reproduced(Fraction(100 * n, d), numerator=num, denominator=den)


def test_the_documented_inconsistency_is_recognised_and_not_adjusted():
    values, pct = counts("parents.race.other")
    t = T("parents.race.other.pct")
    assert t.note  # documented in targets.csv
    assert status(t, pct, values) == "published_inconsistent"
    # the reproduced value shown is the true percentage, not the published one
    row = [r for r in compare("survey", {**values, "parents.race.other.pct": pct}) if r.target == t.target][0]
    assert row.reproduced != row.published and row.status == "published_inconsistent"


def test_inconsistency_needs_exact_counts():
    values, pct = counts("parents.race.other")
    values["parents.race.other.n"] = Reproduced(values["parents.race.other.n"].value + 1)
    assert status(T("parents.race.other.pct"), pct, values) == "off"


def test_consistent_percentages_are_exact_or_off():
    values, pct = counts("parents.race.asian")
    assert status(T("parents.race.asian.pct"), pct, values) == "exact"
    wrong = Reproduced(pct.value + 1, numerator=pct.numerator, denominator=pct.denominator)
    assert status(T("parents.race.asian.pct"), wrong, values) == "off"  # no note: never excused


def test_odds_ratio_statuses():
    t = T("parent_model.or.anxiety")
    lo, hi = t.ci_lower, t.ci_upper
    assert status(t, Reproduced(t.published, lo, hi), {}) == "exact"
    near = t.published * (1 + OR_RELATIVE_TOLERANCE / 2)
    assert status(t, Reproduced(near, lo, hi), {}) == "within"
    far = t.published * (1 + 2 * OR_RELATIVE_TOLERANCE)
    assert status(t, Reproduced(far, lo, hi * 2), {}) == "off"
    # close point estimate, but a CI that does not overlap the published one
    assert status(t, Reproduced(near, hi * 1.01, hi * 2), {}) == "off"
    assert status(t, Reproduced(near), {}) == "off"  # no CI, cannot be 'within'


def test_missing_values_are_not_reproduced():
    rows = compare("survey", {})
    assert rows and all(r.status == "not_reproduced" and r.reproduced == "" for r in rows)
    assert status(T("parents.n"), Reproduced(None), {}) == "not_reproduced"
