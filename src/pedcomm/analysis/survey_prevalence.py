"""Survey study: how many relationships are challenging, by whose report, and how far parents and
clinicians agree (among relationships with both reports)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .agreement import WILSON, cohen_kappa, mcnemar, wilson
from .compare import Reproduced
from .rounding import fmt, fmt_p, p_data, percent
from .table import Table, n_pct

PAIRED = "relationships with parent and clinician reports"


def _ci(p) -> str:
    return "" if p.lower is None else f"{fmt(100 * p.lower, 1)}-{fmt(100 * p.upper, 1)}"


def p_text(p: float) -> str:
    """'p = 0.04', 'p < 0.001', 'p > 0.99' (journal style, see rounding.fmt_p)."""
    text = fmt_p(p)
    return f"p {text[0]} {text[1:]}" if text[:1] in "<>" else f"p = {text}"


def crosstab(frame: pd.DataFrame) -> np.ndarray:
    """2x2 of paired relationships with both flags: rows parent yes/no, columns clinician yes/no."""
    sub = frame[frame["paired"]].dropna(subset=["parent_challenging", "clinician_challenging"])
    p, c = sub["parent_challenging"].to_numpy() == 1, sub["clinician_challenging"].to_numpy() == 1
    return np.array([[np.sum(p & c), np.sum(p & ~c)], [np.sum(~p & c), np.sum(~p & ~c)]], dtype="int64")


def prevalence(frame: pd.DataFrame, level: float = 0.95) -> tuple[Table, dict[str, Reproduced]]:
    paired = frame[frame["paired"]]
    both_known = paired.dropna(subset=["parent_challenging", "clinician_challenging"])
    parent_all = frame[frame["parent_report"] == 1].dropna(subset=["parent_challenging"])
    specs = [  # (key, reporter, population, relationships counted, flag column; None: both flags)
        ("challenging.parent", "Parent", PAIRED, paired.dropna(subset=["parent_challenging"]), "parent_challenging"),
        ("challenging.clinician", "Clinician", PAIRED, paired.dropna(subset=["clinician_challenging"]), "clinician_challenging"),
        ("challenging.both", "Both parent and clinician", PAIRED, both_known, None),
        ("challenging.parent_all", "Parent", "all relationships with a parent report", parent_all, "parent_challenging"),
    ]
    rows, values = [], {}
    for key, who, population, sub, col in specs:
        hit = (sub["parent_challenging"] == 1) & (sub["clinician_challenging"] == 1) if col is None else sub[col] == 1
        p = wilson(int(hit.sum()), len(sub), level)
        rows.append((key, who, population, p.k, p.n, float(round(float(percent(p.k, p.n) or 0), 6)),
                     None if p.lower is None else round(100 * p.lower, 6),
                     None if p.upper is None else round(100 * p.upper, 6), p.method))
        values[f"{key}.pct"] = Reproduced(percent(p.k, p.n), 100 * p.lower if p.n else None,
                                          100 * p.upper if p.n else None)
        values[f"{key}.n"] = Reproduced(p.k)
    values["relationships.n"] = Reproduced(len(frame))
    values["relationships.paired.n"] = Reproduced(int(frame["paired"].sum()))
    data = pd.DataFrame(rows, columns=["key", "reported_by", "population", "n", "denominator", "percent",
                                       "ci_lower", "ci_upper", "ci_method"])
    conf = f"{level:.0%}"
    display = pd.DataFrame({
        "Challenging, reported by": data["reported_by"],
        "Among": data["population"],
        "n/N (%)": [f"{k}/{n} ({fmt(percent(k, n), 1)})" if n else f"{k}/0" for k, n in zip(data["n"], data["denominator"])],
        f"{conf} CI, %": [_ci(wilson(k, n, level)) for k, n in zip(data["n"], data["denominator"])],
    })
    notes = [
        f"Parent-identified relationships: {len(frame)}; with both a parent and a clinician report: "
        f"{int(frame['paired'].sum())}.",
        f"Confidence intervals: {WILSON} ({conf}).",
        "A relationship is challenging for a reporter when any item of the reporter's Relationship "
        "Challenges Scale is at or beyond the item's challenge cutoff (survey_items).",
    ]
    return Table("survey_prevalence", "Prevalence of challenging relationships", data, display, notes), values


def agreement(frame: pd.DataFrame, level: float = 0.95) -> Table:
    """Parent-clinician agreement among relationships with both reports (2x2, kappa, McNemar)."""
    t = crosstab(frame)
    n = int(t.sum())
    k = cohen_kappa(t, level)
    m = mcnemar(t)
    conf = f"{level:.0%}"
    rows = [
        ("both", "Challenging by both", int(t[0, 0]), None, None, None, None, ""),
        ("parent_only", "Challenging by parent only", int(t[0, 1]), None, None, None, None, ""),
        ("clinician_only", "Challenging by clinician only", int(t[1, 0]), None, None, None, None, ""),
        ("neither", "Challenging by neither", int(t[1, 1]), None, None, None, None, ""),
        ("observed_agreement", "Observed agreement, %", n, 100 * k.observed, None, None, None, ""),
        ("chance_agreement", "Agreement expected by chance, %", n, 100 * k.expected, None, None, None, ""),
        ("kappa", "Cohen's kappa", n, k.kappa, k.lower, k.upper, None, k.method),
        ("mcnemar", "McNemar chi-square", n, m.statistic, None, None, m.p_value, m.method),
        ("mcnemar_exact", "McNemar exact p-value", n, None, None, None, m.exact_p, "exact binomial test on the discordant pairs"),
    ]
    data = pd.DataFrame(rows, columns=["key", "statistic", "n", "value", "ci_lower", "ci_upper", "p_value", "method"])
    for c in ("value", "ci_lower", "ci_upper"):
        data[c] = data[c].astype("float64").round(6)
    data["p_value"] = [p_data(p) for p in data["p_value"].astype("float64")]
    shown = []
    for r in rows:
        key, _, count, value, lo, hi, p, _ = r
        if key in ("both", "parent_only", "clinician_only", "neither"):
            shown.append(n_pct(count, n))
        elif key == "kappa":
            shown.append(f"{fmt(value, 3)} ({conf} CI {fmt(lo, 3)} to {fmt(hi, 3)})")
        elif key == "mcnemar":
            shown.append(f"{fmt(value, 2)} (1 df), {p_text(p)}")
        elif key == "mcnemar_exact":
            shown.append(p_text(p))
        else:
            shown.append(fmt(value, 1))
    display = pd.DataFrame({"Statistic": [r[1] for r in rows], "Value": shown})
    notes = [
        f"Among the {n} relationships with both a parent and a clinician report and both challenge flags known.",
        f"Cohen's kappa: {k.method}.",
        f"McNemar: {m.method}; discordant pairs {m.b} (parent only) and {m.c} (clinician only).",
    ]
    return Table("survey_agreement", "Agreement between parent and clinician reports", data, display, notes)
