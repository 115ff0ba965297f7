"""`pedcomm meta`: combine site summaries without rows: random-effects pooled odds ratios, the
heterogeneity between sites, forest plots and the pooled descriptive tables.

Each model term is pooled on the log odds ratio scale (pedcomm.analysis.pooling): random effects
with the iterated (Paule-Mandel) between-site variance of statsmodels' ``combine_effects`` (its
``dl`` option does not truncate a negative estimate at 0 in statsmodels 0.15), I² truncated at 0,
and Hartung-Knapp-Sidik-Jonkman intervals (t with k - 1 degrees of freedom); with fewer sites than
META_FEW_SITES' minimum a caution is given and the fixed-effect estimate stands beside it. The
intercept is not pooled (sites differ in baseline odds). A site that withheld a model is left out
of that model; a site estimate pedcomm cannot trust (not finite, or an odds ratio beyond
META_ESTIMATE_UNTRUSTED's bound: a separated model fitted without bias reduction) is left out of
its term, and every warning a site wrote about its model is repeated (META_SITE_WARNING).
Pooled descriptive counts are sums over the sites that published the cell; a cell suppressed at
any site is shown as a lower bound (">= n").
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import standard
from ..standard.declaration import compatibility
from ..validation.registry import check
from ..validation.report import Report
from .summarize import FORMAT, FORMAT_VERSION

Z95 = 1.959963984540054
ESTIMATE_COLUMNS = ["model", "term", "label", "k_sites", "sites", "log_or", "se", "odds_ratio", "ci_lower", "ci_upper",
                    "tau2", "i2", "q", "p_heterogeneity", "fixed_odds_ratio", "fixed_ci_lower", "fixed_ci_upper",
                    "ci_method", "caution", "sites_bias_reduced", "sites_left_out"]
SITE_COLUMNS = ["model", "term", "site", "log_or", "se", "odds_ratio", "ci_lower", "ci_upper", "n_relationships", "events",
                "estimator", "flag"]
TABLE_COLUMNS = ["table", "title", "row", "column", "known_sum", "sites_reporting", "sites_suppressed", "shown"]


@dataclass
class Loaded:
    path: Path
    sha256: str
    summary: dict


@dataclass
class MetaResult:
    report: Report
    summaries: list[Loaded] = field(default_factory=list)
    estimates: pd.DataFrame | None = None  # one row per model term: pooled random-effects estimate
    site_estimates: pd.DataFrame | None = None
    tables: pd.DataFrame | None = None  # pooled descriptive counts
    extra: list = field(default_factory=list)  # the study's own pooled tables (its summary definition's ``pool``)
    out: Path | None = None


def _problem(summary) -> str | None:
    """Why a parsed file is not a site summary of a format this pedcomm reads (None when it is)."""
    if not isinstance(summary, dict) or summary.get("format") != FORMAT:
        return f"it is not a pedcomm site summary (no \"format\": \"{FORMAT}\")"
    version = summary.get("formatVersion")
    if not isinstance(version, str) or version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        return f"its summary format version is not {FORMAT_VERSION.split('.')[0]}.x"
    return None


@check("SUMMARY_UNREADABLE", "SUMMARY_INVALID", "SUMMARY_DISCLOSURE")
def load(paths: list[str | Path], report: Report) -> list[Loaded]:
    """Read each summary within bounds (pedcomm.files: a regular file of at most 16 MiB, strict
    JSON), then check it against the summary schema and the sharing rules (summary_rules)."""
    from ..files.inputs import InputRefused, read
    from ..files.jsonsafe import JSONRefused, loads
    from ..validation.refusals import input_refused
    from . import summary_rules

    out = []
    for p in map(Path, paths):
        report.ran("SUMMARY_UNREADABLE", None, None, 1)
        try:
            raw = read(p, "summary")
            summary = loads(raw)
        except InputRefused as e:
            input_refused(report, e, path=report.label(p.name))
            continue
        except OSError as e:
            report.add("SUMMARY_UNREADABLE", value=p.name, detail=f"it cannot be opened ({e.strerror or type(e).__name__})")
            continue
        except JSONRefused as e:
            report.add("SUMMARY_UNREADABLE", value=p.name, detail=f"it is not JSON pedcomm reads: {e}")
            continue
        why = _problem(summary)
        if why:
            report.add("SUMMARY_UNREADABLE", value=p.name, detail=why)
            continue
        report.ran("SUMMARY_INVALID", None, None, 1)
        report.ran("SUMMARY_DISCLOSURE", None, None, 1)
        invalid, disclosure = summary_rules.check(summary)
        if invalid:
            report.add("SUMMARY_INVALID", value=p.name, detail=summary_rules.in_words(invalid))
        if disclosure:
            report.add("SUMMARY_DISCLOSURE", value=p.name, detail=summary_rules.in_words(disclosure))
        if invalid or disclosure:
            continue
        out.append(Loaded(p, hashlib.sha256(raw).hexdigest(), summary))
    return out


@check("SUMMARY_INCOMPATIBLE", "SUMMARY_MODEL_WITHHELD")
def check_compatible(loaded: list[Loaded], report: Report) -> None:
    report.ran("SUMMARY_INCOMPATIBLE", None, None, len(loaded))
    sites = [s.summary["site"] for s in loaded]
    for site in sorted({s for s in sites if sites.count(s) > 1}):
        report.add("SUMMARY_INCOMPATIBLE", detail=f"the site {site} appears {sites.count(site)} times")
    if not loaded:
        return
    first = loaded[0].summary
    for s in loaded[1:]:
        d = s.summary
        if d["study"] != first["study"]:
            report.add("SUMMARY_INCOMPATIBLE", detail=f"the sites {first['site']} and {d['site']} summarized different "
                                                      f"studies ({first['study']}, {d['study']})")
            continue
        if compatibility(d["schemaVersion"], first["schemaVersion"]) == "major":
            report.add("SUMMARY_INCOMPATIBLE", detail=f"the sites {first['site']} and {d['site']} follow incompatible "
                                                      "versions of the standard "
                                                      f"({first['schemaVersion']}, {d['schemaVersion']})")
        if d["modelSpecification"] != first["modelSpecification"]:
            report.add("SUMMARY_INCOMPATIBLE", detail=f"the sites {first['site']} and {d['site']} fitted models of different "
                                                      "specifications (other pedcomm model definitions)")
        if compatibility(d["tool"]["standard"], first["tool"]["standard"]) == "major":
            report.add("SUMMARY_INCOMPATIBLE", detail=f"the sites {first['site']} and {d['site']} were summarized by pedcomm "
                                                      "releases of incompatible versions of the standard")
        if d["settings"] != first["settings"]:
            report.add("SUMMARY_INCOMPATIBLE", detail=f"the sites {first['site']} and {d['site']} used different model "
                                                      f"settings ({_settings(first)}; {_settings(d)})")
        terms0 = {m["name"]: m["terms"] for m in first.get("models", [])}
        for m in d.get("models", []):
            if m["name"] in terms0 and m["terms"] != terms0[m["name"]]:
                report.add("SUMMARY_INCOMPATIBLE", detail=f"the {m['name']} model of the sites {first['site']} and "
                                                          f"{d['site']} has different terms")
    for s in loaded:
        for m in s.summary.get("models", []):
            report.ran("SUMMARY_MODEL_WITHHELD", None, m["name"], 1)
            if m.get("status") != "shared":
                report.add("SUMMARY_MODEL_WITHHELD", field=m["name"], value=s.summary["site"],
                           detail=m.get("reason", "no reason given"))


def _settings(d: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in d["settings"].items() if v is not None)


def _untrusted(effect: float, variance: float) -> str | None:
    """Why a site's log odds ratio and variance cannot be pooled (None when they can)."""
    from ..validation.registry import parameter

    bound = float(parameter("META_ESTIMATE_UNTRUSTED", "max_abs_log_or"))
    if not (np.isfinite(effect) and np.isfinite(variance)) or variance <= 0:
        return "its estimate or variance is not a positive finite number"
    if abs(effect) > bound:
        return (f"its log odds ratio {effect:.3g} is beyond +-{bound:g} (an odds ratio beyond {np.exp(bound):.0f} or below "
                f"1/{np.exp(bound):.0f}): a separated model fitted without bias reduction")
    return None


@check("META_FEW_SITES", "META_ESTIMATE_UNTRUSTED", "META_SITE_WARNING")
def pool_models(loaded: list[Loaded], report: Report | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random-effects pooled log odds ratios per model term (pedcomm.analysis.pooling), and every
    site's estimates; findings about few sites, untrusted site estimates and the sites' own
    warnings go into ``report``.

    Extreme but valid inputs (a variance of 1e300) give infinite bounds, shown as 'inf': numpy's
    overflow warnings about them are not for the user."""
    import warnings

    with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return _pool_models(loaded, report)


def _pool_models(loaded: list[Loaded], report: Report | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    from ..analysis.pooling import HKSJ, random_effects
    from ..validation.registry import parameter
    from .summarize import definition

    report = report if report is not None else Report()
    labels = definition(loaded[0].summary["study"]).labels() if loaded else {}
    few = int(parameter("META_FEW_SITES", "minimum"))
    rows, site_rows = [], []
    names = list(dict.fromkeys(m["name"] for s in loaded for m in s.summary.get("models", [])))
    for s in loaded:
        for m in s.summary.get("models", []):
            report.ran("META_SITE_WARNING", None, m["name"], 1)
            if m.get("status") == "shared":
                for w in m.get("warnings", []):
                    report.add("META_SITE_WARNING", field=m["name"], value=s.summary["site"], detail=w)
    for name in names:
        shared = [(s.summary["site"], m) for s in loaded for m in s.summary.get("models", [])
                  if m["name"] == name and m.get("status") == "shared"]
        if not shared:
            continue
        terms = shared[0][1]["terms"]
        report.ran("META_FEW_SITES", None, name, 1)
        if len(shared) < few:
            report.add("META_FEW_SITES", field=name, value=name, detail=len(shared), expected=few)
        for k, term in enumerate(terms):
            if term == "const":
                continue
            used, left_out, reduced = [], [], []
            for site, m in shared:
                e, v = float(m["coef"][k]), float(m["cov"][k][k])
                bias_reduced = m.get("estimator") == "bias_reduced"
                why = _untrusted(e, v)
                report.ran("META_ESTIMATE_UNTRUSTED", None, name, 1)
                flag = ""
                if why is not None:
                    report.add("META_ESTIMATE_UNTRUSTED", field=f"{name} model, {term}", value=site, detail=why)
                    left_out.append(site)
                    flag = f"left out of the pooled estimate: {why} (META_ESTIMATE_UNTRUSTED)"
                else:
                    used.append((site, e, v))
                    if bias_reduced:
                        reduced.append(site)
                    if term in m.get("separated", []):
                        flag = "separated at this site: bias-reduced (Firth-type) estimate (MODEL_SEPARATION)"
                se = float(np.sqrt(v)) if np.isfinite(v) and v > 0 else float("nan")
                site_rows.append({"model": name, "term": term, "site": site, "log_or": e, "se": se,
                                  "odds_ratio": float(np.exp(e)) if why is None else float("nan"),
                                  "ci_lower": float(np.exp(e - Z95 * se)) if why is None else float("nan"),
                                  "ci_upper": float(np.exp(e + Z95 * se)) if why is None else float("nan"),
                                  "n_relationships": m["n_relationships"], "events": m["events"],
                                  "estimator": m.get("estimator", "standard"), "flag": flag})
            row = {"model": name, "term": term, "label": labels.get(term, term), "k_sites": len(used),
                   "sites": " ".join(site for site, _, _ in used), "sites_bias_reduced": " ".join(reduced),
                   "sites_left_out": " ".join(left_out), "caution": ""}
            if len(used) >= 2:
                pooled = random_effects([e for _, e, _ in used], [v for _, _, v in used])
                row.update({"log_or": pooled.estimate, "se": pooled.se, "odds_ratio": float(np.exp(pooled.estimate)),
                            "ci_lower": float(np.exp(pooled.lower)), "ci_upper": float(np.exp(pooled.upper)),
                            "tau2": pooled.tau2, "i2": pooled.i2, "q": pooled.q, "p_heterogeneity": pooled.p_heterogeneity,
                            "fixed_odds_ratio": float(np.exp(pooled.fixed)),
                            "fixed_ci_lower": float(np.exp(pooled.fixed_lower)),
                            "fixed_ci_upper": float(np.exp(pooled.fixed_upper)), "ci_method": HKSJ})
                if len(used) < few:
                    row["caution"] = (f"pooled from {len(used)} sites, fewer than {few}: tau² and the interval are "
                                      "unreliable (META_FEW_SITES)")
            rows.append(row)
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS), pd.DataFrame(site_rows, columns=SITE_COLUMNS)


def pool_tables(loaded: list[Loaded]) -> pd.DataFrame:
    """Pooled counts of every shared table cell and margin: sums, with how many sites suppressed it."""
    acc: dict[tuple, dict] = {}
    order = []
    for s in loaded:
        for tab in s.summary["tables"]:
            entries = []
            for i, r in enumerate(tab["rows"]):
                entries += [(r, c, tab["cells"][i][j]) for j, c in enumerate(tab["columns"])]
                if "row_totals" in tab:
                    entries.append((r, "total", tab["row_totals"][i]))
            if "column_totals" in tab:
                entries += [("total", c, v) for c, v in zip(tab["columns"], tab["column_totals"])]
            if "total" in tab:
                entries.append(("total", "total", tab["total"]))
            for r, c, v in entries:
                key = (tab["name"], r, c)
                if key not in acc:
                    acc[key] = {"table": tab["name"], "title": tab["title"], "row": r, "column": c,
                                "known_sum": 0, "sites_reporting": 0, "sites_suppressed": 0}
                    order.append(key)
                a = acc[key]
                if v is None:
                    a["sites_suppressed"] += 1
                else:
                    a["known_sum"] += int(v)
                    a["sites_reporting"] += 1
    frame = pd.DataFrame([acc[k] for k in order], columns=TABLE_COLUMNS[:-1])
    frame["shown"] = [f">= {n}" if sup else str(n) for n, sup in zip(frame["known_sum"], frame["sites_suppressed"])]
    return frame


def meta(paths: Sequence[str | Path], out: str | Path, *, one_stage: str | Path | None = None, force: bool = False,
         progress=None) -> MetaResult:
    """Combine site summaries into ``out`` (written only when every summary is usable and compatible).

    The output is claimed first (pedcomm.files.outputs): never onto a summary or the one-stage
    package, never over anything pedcomm did not write.
    """
    from ..files.inputs import package_files
    from ..files.outputs import FOLDER, claim

    protect = [*paths, *(package_files(one_stage) if one_stage is not None else [])]
    with claim(out, kind=FOLDER, command="meta", force=force, protect=protect) as dest:
        return _meta(paths, dest, one_stage, progress)


def _meta(paths, dest, one_stage, progress) -> MetaResult:
    from .meta_output import write_outputs

    report = Report()
    report.meta = {**standard.provenance(), "command": "meta"}
    result = MetaResult(report)
    result.summaries = load(paths, report)
    if report.totals()["error"]:
        return result
    check_compatible(result.summaries, report)
    if report.totals()["error"]:
        return result
    if progress:
        progress("pooling the estimates")
    result.estimates, result.site_estimates = pool_models(result.summaries, report)
    result.tables = pool_tables(result.summaries)
    from .summarize import definition

    spec = definition(result.summaries[0].summary["study"])
    if spec.pool is not None:
        result.extra = spec.pool([s.summary for s in result.summaries])
    comparison = None
    if one_stage is not None:
        first = result.summaries[0].summary
        comparison = compare_one_stage(one_stage, result.estimates, report, first["settings"], first["study"])
        if comparison is None:
            return result
    with dest.staging() as tmp:
        write_outputs(result, tmp, comparison)
    result.out = dest.given
    return result


def compare_one_stage(path: str | Path, estimates: pd.DataFrame, report: Report,
                      settings: dict | None = None, study: str = "survey") -> pd.DataFrame | None:
    """Fit the one-stage model on a pooled package and set it beside the pooled estimates, with the
    model settings the sites used (``settings`` of their summaries; survey.yaml's where absent).

    Returns None (and puts the package's findings into ``report``) when the package has errors.
    """
    from ..validation.run import validate
    from .summarize import definition

    validated = validate(path)
    if validated.report.status != "valid":
        report.findings.extend(validated.report.findings)
        report.counts.update(validated.report.counts)
        report.runs.update(validated.report.runs)
        return None
    fit = definition(study).one_stage
    if fit is None:
        report.add("SUMMARY_INCOMPATIBLE", detail=f"the {study} study has no one-stage model to compare with")
        return None
    one = fit(validated.tables, settings or {})
    for finding in one.attrs.get("findings", []):  # a separated or event-less one-stage model, said
        report.findings.append(finding)
        report.counts[(finding.code, finding.resource, finding.field)] += 1
    merged = estimates.merge(one, on=["model", "term"], how="inner", suffixes=("_meta", "_one_stage"))
    merged["difference"] = merged["log_or_meta"] - merged["log_or_one_stage"]
    merged["difference_in_se"] = merged["difference"] / merged["se_one_stage"]
    return merged
