"""Published targets beside reproduced values, with a status for each (DIR/comparison.csv).

Statuses, in order of preference:

- ``exact``: equal at the published rounding (the target's ``decimals``; ties rounded half up);
- ``within``: an odds ratio not equal at that rounding, but within ``OR_RELATIVE_TOLERANCE`` of the
  published point estimate, with a 95% CI that overlaps the published one;
- ``published_inconsistent``: a percentage that cannot be reproduced because the publication
  contradicts itself: its published count and published denominator are both reproduced
  ``exact``, the published count over the published denominator does not round to the published
  percentage, and the target's ``note`` documents this. The reproduced value is never adjusted;
- ``off``: anything else (the reproduction disagrees with the publication);
- ``not_reproduced``: the study ran but produced no value for this target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..standard.targets import Target, targets
from .rounding import fmt, round_half_up

#: A reproduced odds ratio is 'within' if |reproduced / published - 1| <= this (and the CIs overlap).
OR_RELATIVE_TOLERANCE = 0.10

STATUSES = ("exact", "within", "published_inconsistent", "off", "not_reproduced")
COLUMNS = ["study", "target", "published", "reproduced", "status"]

STATUS_MEANING = {
    "exact": "equal to the published value at the published rounding (ties rounded half up)",
    "within": (f"an odds ratio within {OR_RELATIVE_TOLERANCE:.0%} of the published point estimate whose "
               "95% CI overlaps the published 95% CI"),
    "published_inconsistent": (
        "a percentage the publication contradicts itself on: the published count and denominator are "
        "both reproduced exactly, but the published count over the published denominator does not round "
        "to the published percentage (documented in the target's note in validation/targets.csv); the "
        "reproduced value is the correct percentage of the reproduced count and is not adjusted"),
    "off": "disagrees with the published value",
    "not_reproduced": "no reproduced value (the data needed for it are missing)",
}


@dataclass(frozen=True)
class Reproduced:
    """A reproduced value of a target; percentages as exact fractions of their counts.

    ``numerator`` and ``denominator`` name the targets (within the study) of the counts behind a
    percentage, so a percentage can be checked against the published counts."""

    value: float | Fraction | None
    ci_lower: float | None = None
    ci_upper: float | None = None
    numerator: str | None = None
    denominator: str | None = None
    ci_method: str | None = None  # how the reproduced interval was computed, shown beside it


@dataclass(frozen=True)
class Row:
    study: str
    target: str
    published: str
    reproduced: str
    status: str
    target_spec: Target
    value: Reproduced | None

    def as_record(self) -> dict:
        return {c: getattr(self, c) for c in COLUMNS}


def _exact(t: Target, v: Reproduced | None) -> bool:
    if v is None or v.value is None:
        return False
    return round_half_up(v.value, t.decimals) == round_half_up(t.published, t.decimals)


def _within(t: Target, v: Reproduced) -> bool:
    if t.statistic != "odds ratio" or v.value is None or not t.published:
        return False
    close = abs(float(v.value) / t.published - 1) <= OR_RELATIVE_TOLERANCE
    if t.ci_lower is None or t.ci_upper is None or v.ci_lower is None or v.ci_upper is None:
        return False
    overlap = v.ci_lower <= t.ci_upper and t.ci_lower <= v.ci_upper
    return close and overlap


def _published_inconsistent(t: Target, v: Reproduced, values: dict[str, Reproduced]) -> bool:
    if t.statistic != "percent" or not t.note.strip() or not (v.numerator and v.denominator):
        return False
    everything = targets()
    num, den = everything.get(f"{t.study}.{v.numerator}"), everything.get(f"{t.study}.{v.denominator}")
    if num is None or den is None or not den.published:
        return False
    if not (_exact(num, values.get(v.numerator)) and _exact(den, values.get(v.denominator))):
        return False
    implied = Fraction(100) * Fraction(str(num.published)) / Fraction(str(den.published))
    return round_half_up(implied, t.decimals) != round_half_up(t.published, t.decimals)


def status(t: Target, v: Reproduced | None, values: dict[str, Reproduced]) -> str:
    if v is None or v.value is None or (isinstance(v.value, float) and math.isnan(v.value)):
        return "not_reproduced"
    if _exact(t, v):
        return "exact"
    if _within(t, v):
        return "within"
    if _published_inconsistent(t, v, values):
        return "published_inconsistent"
    return "off"


def compare(study: str, values: dict[str, Reproduced]) -> list[Row]:
    """One row per published target of ``study`` (in validation/targets.csv order)."""
    rows = []
    for t in targets().values():
        if t.study != study:
            continue
        v = values.get(t.target)
        rows.append(Row(study, t.target, fmt(t.published, t.decimals),
                        fmt(v.value, t.decimals) if v is not None else "", status(t, v, values), t, v))
    return rows
