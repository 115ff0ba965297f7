"""Survey study: how many relationships are challenging, by whose report, and how far parents and
clinicians agree (among relationships with both reports).

Every interval is given twice: as usually computed, treating the relationships as independent
(Wilson, Fleiss-Cohen-Everitt, McNemar), and respecting the clustering of the analysis (the
clustering variables of the models, one- or two-way: design-based variances, clustered.py;
survey.yaml ``uncertainty``). Each table says which method gave which interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ....analysis import clustered
from ....analysis.agreement import WILSON, cohen_kappa, mcnemar, wilson
from ....analysis.compare import Reproduced
from ....analysis.rounding import fmt, fmt_p, p_data, percent
from ....analysis.table import Table, n_pct
from .design import config

PAIRED = "relationships with parent and clinician reports"
NAIVE = "treating relationships as independent"


def _ci(lo, hi, decimals: int = 1, sep: str = "-") -> str:
    """'lo-hi' (or 'lo to hi' where a limit may be negative); blank without an interval."""
    if lo is None or hi is None or lo != lo or hi != hi:
        return ""
    return f"{fmt(lo, decimals)}{sep}{fmt(hi, decimals)}"


def p_text(p: float) -> str:
    """'p = 0.04', 'p < 0.001', 'p > 0.99' (journal style, see rounding.fmt_p)."""
    text = fmt_p(p)
    return f"p {text[0]} {text[1:]}" if text[:1] in "<>" else f"p = {text}"


def cluster_ids(sub: pd.DataFrame, dimensions: list[str]) -> list[np.ndarray]:
    return [sub[d].astype(str).to_numpy() for d in dimensions]


def clusters_text(sub: pd.DataFrame, dimensions: list[str]) -> str:
    return ", ".join(f"{sub[d].nunique()} {d.removesuffix('_id')}s" for d in dimensions)


def crosstab(frame: pd.DataFrame) -> np.ndarray:
    """2x2 of paired relationships with both flags: rows parent yes/no, columns clinician yes/no."""
    sub = _both_known(frame)
    p, c = sub["parent_challenging"].to_numpy() == 1, sub["clinician_challenging"].to_numpy() == 1
    return np.array([[np.sum(p & c), np.sum(p & ~c)], [np.sum(~p & c), np.sum(~p & ~c)]], dtype="int64")


def _both_known(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["paired"]].dropna(subset=["parent_challenging", "clinician_challenging"])


def prevalence(frame: pd.DataFrame, level: float = 0.95, dimensions: list[str] | None = None
               ) -> tuple[Table, dict[str, Reproduced]]:
    dimensions = dimensions or config()["method"]["cluster"].split("+")
    paired = frame[frame["paired"]]
    parent_all = frame[frame["parent_report"] == 1].dropna(subset=["parent_challenging"])
    specs = [  # (key, reporter, population, relationships counted, flag column; None: both flags)
        ("challenging.parent", "Parent", PAIRED, paired.dropna(subset=["parent_challenging"]), "parent_challenging"),
        ("challenging.clinician", "Clinician", PAIRED, paired.dropna(subset=["clinician_challenging"]), "clinician_challenging"),
        ("challenging.both", "Both parent and clinician", PAIRED, _both_known(frame), None),
        ("challenging.parent_all", "Parent", "all relationships with a parent report", parent_all, "parent_challenging"),
    ]
    method = clustered.WILSON_EFFECTIVE.format(clusters=" and ".join(dimensions))
    rows, values, notes_extra = [], {}, []
    for key, who, population, sub, col in specs:
        hit = (sub["parent_challenging"] == 1) & (sub["clinician_challenging"] == 1) if col is None else sub[col] == 1
        p = wilson(int(hit.sum()), len(sub), level)
        cl = clustered.proportion(hit.to_numpy(), cluster_ids(sub, dimensions), level)
        if cl.note:
            notes_extra.append(f"{who} ({population}): {cl.note}.")
        rows.append((key, who, population, p.k, p.n, float(round(float(percent(p.k, p.n) or 0), 6)),
                     None if p.lower is None else round(100 * p.lower, 6),
                     None if p.upper is None else round(100 * p.upper, 6), p.method,
                     round(100 * cl.lower, 6), round(100 * cl.upper, 6), method,
                     round(100 * cl.naive_se, 6), round(100 * cl.se, 6), round(cl.se_ratio, 6),
                     min(sub[d].nunique() for d in dimensions), clusters_text(sub, dimensions)))
        values[f"{key}.pct"] = Reproduced(percent(p.k, p.n), 100 * p.lower if p.n and p.lower is not None else None,
                                          100 * p.upper if p.n and p.upper is not None else None)
        values[f"{key}.n"] = Reproduced(p.k)
    values["relationships.n"] = Reproduced(len(frame))
    values["relationships.paired.n"] = Reproduced(int(frame["paired"].sum()))
    data = pd.DataFrame(rows, columns=["key", "reported_by", "population", "n", "denominator", "percent",
                                       "ci_lower", "ci_upper", "ci_method", "clustered_ci_lower", "clustered_ci_upper",
                                       "clustered_ci_method", "se_naive", "se_clustered", "se_ratio", "n_clusters",
                                       "clusters"])
    conf = f"{level:.0%}"
    display = pd.DataFrame({
        "Challenging, reported by": data["reported_by"],
        "Among": data["population"],
        "n/N (%)": [f"{k}/{n} ({fmt(percent(k, n), 1)})" if n else f"{k}/0" for k, n in zip(data["n"], data["denominator"])],
        f"{conf} CI, % ({NAIVE})": [_ci(r.ci_lower, r.ci_upper) for r in data.itertuples()],
        f"{conf} CI, % (clustered)": [_ci(r.clustered_ci_lower, r.clustered_ci_upper) for r in data.itertuples()],
        "SE ratio": [fmt(v, 2) for v in data["se_ratio"]],
        "Clusters": data["clusters"],
    })
    notes = [
        f"Parent-identified relationships: {len(frame)}; with both a parent and a clinician report: "
        f"{int(frame['paired'].sum())}.",
        f"CI {NAIVE}: {WILSON} ({conf}).",
        f"Clustered CI: {method} (G/(G-1) per dimension"
        + ("; two-way: V_1 + V_2 - V_12" if len(dimensions) == 2 else "") + ").",
        "SE ratio: the clustered standard error over the binomial one, sqrt(p(1 - p)/N) (the square root of the "
        "design effect); above 1 the clustering makes the estimate less precise than N independent relationships.",
        *notes_extra,
        "A relationship is challenging for a reporter when any item of the reporter's Relationship "
        "Challenges Scale is at or beyond the item's challenge cutoff (survey_items).",
    ]
    return Table("survey_prevalence", "Prevalence of challenging relationships", data, display, notes), values


def agreement_findings(frame: pd.DataFrame) -> list:
    """AGREEMENT_DEGENERATE when the parent-clinician 2x2 table has no disagreement or a constant reporter."""
    from ....analysis.agreement_checks import degenerate_tables

    t = crosstab(frame)
    return degenerate_tables("parent-clinician agreement", [("the parent and clinician reports",
                                                             (t[0, 0], t[0, 1], t[1, 0], t[1, 1]))])


def agreement(frame: pd.DataFrame, level: float = 0.95, dimensions: list[str] | None = None) -> Table:
    """Parent-clinician agreement among relationships with both reports (2x2, kappa, the difference
    of the two prevalences, McNemar), each with a naive and a clustered interval or p-value."""
    dimensions = dimensions or config()["method"]["cluster"].split("+")
    sub = _both_known(frame)
    first, second = sub["parent_challenging"].to_numpy() == 1, sub["clinician_challenging"].to_numpy() == 1
    ids = cluster_ids(sub, dimensions)
    t = crosstab(frame)
    n = int(t.sum())
    k = cohen_kappa(t, level)
    m = mcnemar(t)
    ck = clustered.kappa(first, second, ids, level)
    diff = clustered.difference(first, second, ids, level)
    cm = clustered.mcnemar(first, second, ids)
    z = float(stats.norm.ppf(0.5 + level / 2))
    conf = f"{level:.0%}"
    by = " and ".join(dimensions)
    wald = clustered.WALD_LINEARIZED.format(clusters=by)
    blank = (None, None, None, None, "", None, None, None, "")  # value, naive CI and p, method, clustered CI and p, method
    rows = [
        ("both", "Challenging by both", int(t[0, 0]), *blank),
        ("parent_only", "Challenging by parent only", int(t[0, 1]), *blank),
        ("clinician_only", "Challenging by clinician only", int(t[1, 0]), *blank),
        ("neither", "Challenging by neither", int(t[1, 1]), *blank),
        ("observed_agreement", "Observed agreement, %", n, 100 * k.observed, *blank[1:]),
        ("chance_agreement", "Agreement expected by chance, %", n, 100 * k.expected, *blank[1:]),
        ("kappa", "Cohen's kappa", n, k.kappa, k.lower, k.upper, None, k.method, ck.lower, ck.upper, None,
         ck.note if ck.note.startswith("no clustered interval") else wald + ", limits truncated to [-1, 1]"),
        ("difference", "Clinician minus parent prevalence, percentage points", n, 100 * diff.estimate,
         100 * (diff.estimate - z * diff.naive_se), 100 * (diff.estimate + z * diff.naive_se), None,
         "Wald interval of a paired difference, SE sqrt((b + c) - (b - c)^2 / N) / N",
         100 * diff.lower, 100 * diff.upper, None, wald),
        ("mcnemar", "McNemar chi-square", n, m.statistic, None, None, m.p_value, m.method, None, None, None, ""),
        ("mcnemar_exact", "McNemar exact p-value", n, None, None, None, m.exact_p,
         "exact binomial test on the discordant pairs", None, None, None, ""),
        ("mcnemar_clustered", "McNemar chi-square, clustered", n, cm.statistic, None, None, None, "",
         None, None, cm.p_value, f"{clustered.DURKALSKI}; clusters: {by}"),
    ]
    data = pd.DataFrame(rows, columns=["key", "statistic", "n", "value", "ci_lower", "ci_upper", "p_value", "method",
                                       "clustered_ci_lower", "clustered_ci_upper", "clustered_p_value",
                                       "clustered_method"])
    for c in ("value", "ci_lower", "ci_upper", "clustered_ci_lower", "clustered_ci_upper"):
        data[c] = data[c].astype("float64").round(6)
    for c in ("p_value", "clustered_p_value"):
        data[c] = [p_data(p) for p in data[c].astype("float64")]
    data["n_clusters"] = min(sub[d].nunique() for d in dimensions)
    data["clusters"] = clusters_text(sub, dimensions)

    def value_text(key, count, value):
        if key in ("both", "parent_only", "clinician_only", "neither"):
            return n_pct(count, n)
        if key == "kappa":
            return fmt(value, 3)
        if key in ("mcnemar", "mcnemar_clustered"):
            return f"{fmt(value, 2)} (1 df)"
        if key == "mcnemar_exact":
            return ""
        return fmt(value, 1)

    decimals = {"kappa": 3, "difference": 1}
    display = pd.DataFrame({
        "Statistic": data["statistic"],
        "Value": [value_text(r[0], r[2], r[3]) for r in rows],
        f"{conf} CI ({NAIVE})": [_ci(r[4], r[5], decimals.get(r[0], 1), " to ") for r in rows],
        f"{conf} CI (clustered)": [_ci(r[8], r[9], decimals.get(r[0], 1), " to ") for r in rows],
        "p": [p_text(r[6]) if r[6] is not None else (p_text(r[10]) if r[10] is not None else "") for r in rows],
    })
    notes = [
        f"Among the {n} relationships with both a parent and a clinician report and both challenge flags known; "
        f"clusters: {clusters_text(sub, dimensions)}.",
        f"Cohen's kappa, {NAIVE}: {k.method}; clustered: {wald} (G/(G-1) per dimension), limits truncated to [-1, 1].",
        "Clinician minus parent prevalence (what McNemar's test is about), "
        f"{NAIVE}: Wald interval of a paired difference; clustered: {wald}.",
        f"McNemar, {NAIVE}: {m.method}; discordant pairs {m.b} (parent only) and {m.c} (clinician only).",
        f"McNemar, clustered: {clustered.DURKALSKI}, clusters {by}"
        + (" (two-way: V_1 + V_2 - V_12)" if len(dimensions) == 2 else "") + ".",
        *[f"{what}: {e.note}." for what, e in (("Kappa", ck), ("Difference", diff), ("McNemar", cm)) if e.note],
        *[f"{f.code}: {f.message}" for f in agreement_findings(frame)],
    ]
    return Table("survey_agreement", "Agreement between parent and clinician reports", data, display, notes)
