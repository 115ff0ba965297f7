"""Published targets (validation/targets.csv): the one place published numbers are written."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from . import TARGETS


@dataclass(frozen=True)
class Target:
    study: str
    target: str
    section: str
    statistic: str
    population: str
    published: float
    decimals: int
    ci_lower: float | None
    ci_upper: float | None
    model: str | None
    term: str | None
    source: str
    note: str
    label: str = ""  # what the number is, in words (the comparison table shows it)


def _num(s: str) -> float | None:
    return float(s) if s not in ("", None) else None


@cache
def targets() -> dict[str, Target]:
    out = {}
    with open(TARGETS, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            key = f"{r['study']}.{r['target']}"
            out[key] = Target(r["study"], r["target"], r["section"], r["statistic"], r["population"],
                              float(r["published"]), int(r["decimals"]), _num(r["ci_lower"]), _num(r["ci_upper"]),
                              r["model"] or None, r["term"] or None, r["source"], r["note"],
                              r.get("label") or r["target"])
    return out


def value(key: str) -> float:
    return targets()[key].published


def count(key: str) -> int:
    """A published count; or a count implied by a published percentage of a published denominator."""
    return int(round(value(key)))


def odds_ratios(study: str, model: str) -> dict[str, Target]:
    return {t.term: t for t in targets().values() if t.study == study and t.model == model and t.term is not None}
