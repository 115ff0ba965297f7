"""The files `pedcomm meta` writes: pooled odds ratios, site estimates, pooled tables, forest plots,
the one-stage comparison (when asked) and an index recording every input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._base import __version__
from ..analysis.render_tables import markdown_table, write_table
from ..analysis.rounding import fmt, fmt_p, p_data
from ..analysis.table import Table
from ..standard.declaration import standard_version
from ..validation.masking import path_shown
from ..validation.report.safe import md
from .forest import TermRows, meta_forest

#: Marks a pooled odds ratio from fewer sites than META_FEW_SITES' minimum.
FEW_MARK = "[few sites]"


def model_title(model: str) -> str:
    """A model's name in words ('parent' -> 'Parent-reported challenging relationship')."""
    return f"{model.capitalize()}-reported challenging relationship"


def _or(o, lo, hi) -> str:
    if o is None or o != o:  # NaN: not pooled
        return "not pooled (fewer than 2 sites)"
    if lo != lo or hi != hi:
        return fmt(o, 2)
    return f"{fmt(o, 2)} ({fmt(lo, 2)}-{fmt(hi, 2)})"


def estimates_table(est: pd.DataFrame) -> Table:
    caution = est["caution"].fillna("").astype(str) if "caution" in est else pd.Series([""] * len(est))
    display = pd.DataFrame({
        "Model": [model_title(m) for m in est["model"]], "Characteristic": est["label"], "Sites": est["k_sites"],
        "Pooled odds ratio (95% CI)": [_or(o, lo, hi) + (f" {FEW_MARK}" if c else "")
                                       for o, lo, hi, c in zip(est["odds_ratio"], est["ci_lower"], est["ci_upper"], caution)],
        "Fixed-effect odds ratio (95% CI)": [_or(o, lo, hi) for o, lo, hi in
                                             zip(est["fixed_odds_ratio"], est["fixed_ci_lower"], est["fixed_ci_upper"])],
        "I²": [f"{fmt(100 * v, 0)}%" if v == v else "" for v in est["i2"].astype(float)],
        "τ²": [fmt(v, 3) for v in est["tau2"].astype(float)],
        "Heterogeneity p": [fmt_p(v) for v in est["p_heterogeneity"].astype(float)],
    })
    data = est.copy()
    for c in data.columns:
        if c == "p_heterogeneity":
            data[c] = [p_data(v) for v in data[c].astype(float)]  # never 0.0 for a tiny p-value
        elif data[c].dtype.kind == "f":
            data[c] = data[c].round(6)
    notes = ["Random-effects meta-analysis of the sites' log odds ratios: iterated Paule-Mandel between-site variance τ² "
             "(statsmodels combine_effects), Hartung-Knapp-Sidik-Jonkman 95% CIs (t with k - 1 degrees of freedom, "
             "variance never below the usual random-effects one); I² truncated at 0. The intercept is not pooled.",
             "Fixed effect: inverse-variance weighted mean, normal 95% CI; it assumes one odds ratio at every site.",
             "Heterogeneity p: Cochran's Q test of equal effects across sites (chi-square, k - 1 df).",
             "Each site fitted the same model with the same settings (see index.md); sites that withheld a model are "
             "not among its sites; a site estimate pedcomm cannot trust is left out of its term (META_ESTIMATE_UNTRUSTED); "
             "a site whose model was separated shared a bias-reduced (Firth-type) fit, pooled and marked in site_estimates."]
    if any(caution):
        notes.append(f"{FEW_MARK} {next(c for c in caution if c)}: read these pooled odds ratios with caution and beside "
                     "the fixed-effect ones.")
    return Table("meta_models", "Pooled odds ratios across sites (two-stage, random effects)", data, display, notes)


def site_table(sites: pd.DataFrame, labels: dict[str, str] | None = None) -> Table:
    """Each site's odds ratios; ``labels``: model term -> its label (the pooled estimates')."""
    labels = labels or {}
    display = pd.DataFrame({"Model": [model_title(m) for m in sites["model"]],
                            "Characteristic": [labels.get(t, t) for t in sites["term"]], "Site": sites["site"],
                            "Odds ratio (95% CI)": [_or(o, lo, hi) for o, lo, hi in
                                                    zip(sites["odds_ratio"], sites["ci_lower"], sites["ci_upper"])],
                            "Relationships": sites["n_relationships"], "Events": sites["events"],
                            "Flag": sites["flag"].fillna("") if "flag" in sites else ""})
    data = sites.copy()
    for c in ("log_or", "se", "odds_ratio", "ci_lower", "ci_upper"):
        data[c] = data[c].round(6)
    return Table("site_estimates", "Each site's odds ratios", data, display,
                 ["From the site summaries: log odds ratio and its variance (the diagonal of the shared covariance)."])


def pooled_counts_table(tables: pd.DataFrame) -> Table:
    display = pd.DataFrame({"Table": tables["table"], "Row": tables["row"], "Column": tables["column"],
                            "Pooled count": tables["shown"], "Sites suppressing": tables["sites_suppressed"]})
    notes = ["Sums of the sites' published counts. A count suppressed at a site (below its threshold, or to protect "
             "a suppressed count) is unknown, so the pooled count is a lower bound, shown as '>= n'."]
    return Table("pooled_tables", "Pooled descriptive tables", tables, display, notes)


def comparison_table(cmp: pd.DataFrame) -> Table:
    def ci(lo, se):
        return f"{fmt(np.exp(lo), 2)} ({fmt(np.exp(lo - 1.959964 * se), 2)}-{fmt(np.exp(lo + 1.959964 * se), 2)})"

    display = pd.DataFrame({
        "Model": [model_title(m) for m in cmp["model"]], "Characteristic": cmp["label"],
        "One-stage OR (95% CI)": [ci(e, s) for e, s in zip(cmp["log_or_one_stage"], cmp["se_one_stage"])],
        "Two-stage OR (95% CI)": [ci(e, s) for e, s in zip(cmp["log_or_meta"], cmp["se_meta"])],
        "Difference (log OR)": [fmt(v, 3) for v in cmp["difference"]],
        "Difference / SE": [fmt(v, 2) for v in cmp["difference_in_se"]],
    })
    status = cmp["status"] if "status" in cmp else pd.Series("fitted", index=cmp.index)
    if (status != "fitted").any():  # a separated or event-less pooled model: how its row was fitted, said
        display["One-stage fit"] = status.to_numpy()
    data = cmp[["model", "term", "label", "log_or_one_stage", "se_one_stage", "log_or_meta", "se_meta",
                "difference", "difference_in_se", "k_sites", "n_relationships", "n_sites"]].round(6)
    data = data.assign(one_stage_status=status.to_numpy())
    notes = ["One-stage: the same model on the pooled rows with a fixed effect per site, same estimator and clustering "
             "as the site summaries. Two-stage: random-effects meta-analysis of the site estimates.",
             "With the same effects at every site both estimate the same log odds ratios; they differ by how they weight "
             "the sites, by a small fraction of a standard error when the sites agree."]
    return Table("one_stage_vs_meta", "One-stage (pooled rows) and two-stage (site summaries) odds ratios", data, display, notes)


def _forests(result, folder: Path) -> list[str]:
    files = []
    est, sites = result.estimates, result.site_estimates
    for model in dict.fromkeys(est["model"]):
        terms = []
        for r in est[est["model"] == model].to_dict("records"):
            s = sites[(sites["model"] == model) & (sites["term"] == r["term"])]
            pooled = None
            if r["odds_ratio"] == r["odds_ratio"]:  # not NaN: pooled from two sites or more
                pooled = (r["odds_ratio"], r["ci_lower"], r["ci_upper"])
            het = f"I² {fmt(100 * r['i2'], 0)}%, τ² {fmt(r['tau2'], 3)}" if pooled else ""
            site_rows = list(zip(s["site"], s["odds_ratio"], s["ci_lower"], s["ci_upper"]))
            terms.append(TermRows(r["label"], site_rows, pooled, het))
        files += meta_forest(terms, folder, f"forest_{model}",
                             f"{model.capitalize()}-reported challenge: sites and pooled estimate")
    return files


def index_markdown(result, written: dict[str, list[str]], figures: list[str]) -> str:
    lines = ["# Meta-analysis of site summaries", "",
             f"Written by pedcomm {__version__} (standard {standard_version()}) from {len(result.summaries)} site summaries. "
             "No row-level data were used"
             + (", except the pooled package of the one-stage comparison." if "one_stage_vs_meta" in written else "."),
             "", "## Inputs", ""]
    inputs = pd.DataFrame([{"site": s.summary["site"], "file": path_shown(s.path.name), "sha256": s.sha256,
                            "pedcomm": s.summary["tool"]["version"], "standard": s.summary["schemaVersion"],
                            "threshold": s.summary["disclosure"]["threshold"],
                            **{f"{part} shared": ", ".join(m["name"] for m in s.summary[part] if m.get("status") == "shared")
                               or "none" for part in ("models", "agreement") if part in s.summary}}
                           for s in result.summaries])
    lines += [markdown_table(inputs), "## Settings", ""]
    first = result.summaries[0].summary["settings"]
    lines += [f"- {md(k)}: {md(v)}" for k, v in first.items() if v is not None]
    lines += ["", "## Files", ""]
    for name, files in written.items():
        lines.append(f"- {name}: " + ", ".join(f"[{f}]({f})" for f in files))
    if figures:
        lines.append("- forest plots: " + ", ".join(f"[{f}]({f})" for f in figures))
    lines.append("")
    warnings = [f.message for f in result.report.findings]
    if warnings:
        lines += ["## Notes", ""] + [f"- {md(w)}" for w in warnings] + [""]
    return "\n".join(lines)


def write_outputs(result, folder: Path, comparison: pd.DataFrame | None) -> None:
    written = {}
    models = result.estimates is not None and len(result.estimates) > 0
    tables = []
    if models:
        labels = dict(zip(result.estimates["term"], result.estimates["label"]))
        tables = [estimates_table(result.estimates), site_table(result.site_estimates, labels)]
    tables.append(pooled_counts_table(result.tables))
    if comparison is not None:
        tables.append(comparison_table(comparison))
    tables += result.extra
    for t in tables:
        written[t.name] = list(write_table(t, folder).values())
    figures = _forests(result, folder) if models else []
    (folder / "index.md").write_text(index_markdown(result, written, figures), encoding="utf-8", newline="")
