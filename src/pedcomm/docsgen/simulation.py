"""The simulation-study page: bias and 95% CI coverage of every estimator pedcomm offers, generated
from the benchmark's results file (benchmarks/results/sim_or_coverage.json), never typed.

The page also says which estimator is survey.yaml's default today and whether the results file was
written with that default; a default outside the 93-97% coverage band is stated as such.
"""

from __future__ import annotations

import json
from pathlib import Path

from .md import BANNER, code, table

RESULTS = Path(__file__).resolve().parents[3] / "benchmarks" / "results" / "sim_or_coverage.json"
#: The coverage a default estimator must reach for every term (issue 15), as proportions.
COVERAGE_BAND = (0.93, 0.97)


def load(path: Path = RESULTS) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def default_key(method: dict) -> tuple[str, str, str]:
    """(estimator, correction, clustering) of survey.yaml's ``method`` block, as the benchmark names them."""
    clustering = "two_way" if "+" in method["cluster"] else method["cluster"].removesuffix("_id")
    return method["default"], method.get("correction", "none"), clustering


def verdicts(result: dict) -> dict[str, tuple[float, float, bool]]:
    """Per method: lowest and highest coverage over the terms, and whether all are within the band."""
    out: dict[str, list[float]] = {}
    for r in result["rows"]:
        out.setdefault(r["method"], []).append(r["coverage"])
    lo, hi = COVERAGE_BAND
    return {m: (min(c), max(c), all(lo <= x <= hi for x in c)) for m, c in out.items()}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def page(path: Path = RESULTS) -> str:
    from ..studies.survey.analysis.design import config

    head = [BANNER.format(source="benchmarks/results/sim_or_coverage.json (written by benchmarks/sim_or_coverage.py)"),
            "# Simulation study: bias and coverage of the odds ratios", ""]
    result = load(path)
    if result is None:
        return "\n".join(head + ['!!! warning "Not run"', "",
                                 "    `benchmarks/results/sim_or_coverage.json` is not in this copy of pedcomm: run "
                                 "`python benchmarks/sim_or_coverage.py` to write it.", ""])
    d = result["design"]
    key = default_key(config()["method"])
    rows_by_method: dict[str, list[dict]] = {}
    for r in result["rows"]:
        rows_by_method.setdefault(r["method"], []).append(r)
    default_name = next((m for m, rs in rows_by_method.items()
                         if (rs[0]["estimator"], rs[0]["correction"], rs[0]["clustering"]) == key), None)
    recorded = result.get("default", {})
    stale = default_key({"default": recorded.get("method", ""), "correction": recorded.get("correction", "none"),
                         "cluster": recorded.get("cluster", "")}) != key
    v = verdicts(result)
    lo, hi = COVERAGE_BAND
    out = head + [
        "Why this page exists: on the shipped SYNTHETIC package, the reproduced odds ratios agree with the published "
        "ones by construction (the data were calibrated with pedcomm's own estimator), so that agreement says "
        "nothing about whether the estimators are unbiased or their confidence intervals right. This simulation "
        "does: it generates many studies with KNOWN (planted) odds ratios and counts how often each estimator's 95% "
        "CI contains the truth. A correct 95% CI covers the truth in 95% of studies.", "",
        "## Design", "",
        f"- {result['replicates']} simulated studies (seed {result['seed']}), each with {d['parents']} parents and "
        f"{d['clinicians']} clinicians; {_pct(d['share_of_parents_with_two_clinicians'])} of the parents report on two "
        f"clinicians, so parents are crossed with clinicians (median {d['relationships_median']:.0f} relationships, "
        f"{d['clinician_clusters_range'][0]}-{d['clinician_clusters_range'][1]} clinician clusters, median "
        f"{d['events_median']:.0f} events).",
        f"- Outcomes correlated within clinicians (latent correlation {d['copula_correlation_clinician']}) and within "
        f"parents ({d['copula_correlation_parent']}) through a Gaussian copula, which keeps each outcome's probability "
        f"exactly logistic in the covariates: the planted odds ratios are the true marginal ones. Baseline risk "
        f"{d['baseline_risk']}.",
        f"- A rare exposure (a parent attribute of about 8% of parents: median "
        f"{d['rare_exposure_relationships_median']:.0f} exposed relationships per study), a common parent exposure, "
        "a clinician attribute and a null parent attribute.",
        f"- Command: {code(result['command'])}; pedcomm {result['pedcomm']}, Python {result['python']}, "
        f"{result['seconds']} s.", "",
        "## Coverage by estimator", "",
        f"Lowest and highest coverage of the four odds ratios; a default estimator must cover every one within "
        f"{_pct(lo)}-{_pct(hi)}.", "",
        table(["Estimator", "Default", "Coverage, lowest", "Coverage, highest", f"All within {_pct(lo)}-{_pct(hi)}"],
              [[m, "**default**" if m == default_name else "", _pct(a), _pct(b), "yes" if ok else "no"]
               for m, (a, b, ok) in v.items()]),
    ]
    if default_name is None:
        out += ['!!! warning "The default is not in the simulation"', "",
                f"    survey.yaml's default estimator ({', '.join(key)}) is not among the simulated ones: rerun the "
                "benchmark.", ""]
    else:
        a, b, ok = v[default_name]
        out += [f"survey.yaml's default ({default_name}) covers {_pct(a)} to {_pct(b)}: "
                + ("within the band for every odds ratio." if ok else "NOT within the band for every odds ratio."), ""]
    if stale:
        out += ['!!! warning "Results written with another default"', "",
                "    The results file was written when survey.yaml's default was "
                f"{recorded}; rerun `python benchmarks/sim_or_coverage.py`.", ""]
    out += ["## Bias and coverage per odds ratio", "",
            "Bias: mean estimated log odds ratio minus the true one (maximum-likelihood and GEE estimates carry a "
            "small-sample bias away from 1, largest for the rare exposure). Monte Carlo standard errors (MC SE) in "
            "brackets. Empirical SE: the spread of the estimates over the studies; mean CI width on the log scale.", "",
            table(["Estimator", "Odds ratio", "True OR", "Median estimate", "Bias, log OR (MC SE)", "Empirical SE",
                   "Mean CI width", "Coverage (MC SE)", "Failed fits"],
                  [[r["method"], r["term"].replace("_", " "), f"{r['planted_or']:.2f}", f"{r['median_or']:.2f}",
                    f"{r['bias_log_or']:+.3f} ({r['bias_mc_se']:.3f})", f"{r['empirical_se']:.3f}",
                    f"{r['mean_ci_width_log']:.3f}", f"{_pct(r['coverage'])} ({_pct(r['coverage_mc_se'])})",
                    str(r["failed"])] for r in result["rows"]]),
            "Estimators: GEE = logistic GEE, exchangeable working correlation within clinicians; GLM = maximum "
            "likelihood; 'bias-reduced' = Mancl and DeRouen's small-sample correction of the sandwich; 'two-way' = "
            "Cameron, Gelbach and Miller's clustering by clinician and by parent (src/pedcomm/analysis/models.py).", ""]
    return "\n".join(out + small_sites(result.get("small_sites")))


def small_sites(small: dict | None) -> list[str]:
    """The small-site scenario (issue 28) of the results file, or a note that it was not run."""
    head = ["## Small sites", ""]
    if small is None:
        return head + ["Not in this results file: run `python benchmarks/sim_or_coverage.py --small-sites` to add it.", ""]
    d = small["design"]
    lo, hi = d["relationships_per_site"]
    out = head + [
        f"- {small['replicates']} simulated consortia (seed {small['seed']}) of {d['sites']} sites with {lo}-{hi} "
        f"relationships each ({d['clinicians_per_site']} clinicians per site, the same crossing and copula as above, "
        f"baseline risk {d['baseline_risk']}), a rare parent exposure (8% of parents) and a common one, the same odds "
        "ratios at every site.",
        f"- Each site fitted as every pedcomm command fits a model (pedcomm.analysis.guarded: no model without events, "
        f"a bias-reduced Firth-type fit when separated) with survey.yaml's default estimator ({d['estimator']}).",
        f"- Command: {code(small['command'])}; {small['seconds']} s.", "",
        f"Sites whose model was fitted: {_pct(small['share_fitted'])} (median {small['median_sites_fitted']:.0f} of "
        f"{d['sites']} per consortium); of the fitted ones {_pct(small['share_bias_reduced'])} were separated and "
        f"fitted by bias reduction. Sites whose model `pedcomm summarize` would share (disclosure rules at threshold "
        f"{d['threshold']}, at least CLUSTERS_TOO_FEW's minimum of clinician clusters): {_pct(small['share_shared'])} "
        f"(median {small['median_sites_shared']:.0f} per consortium).", "",
        table(["Estimate", "Odds ratio", "True OR", "Estimates", "Median estimate", "Bias, log OR (MC SE)",
               "Coverage (MC SE)"],
              [[r["estimate"], r["term"].replace("_", " "), f"{r['planted_or']:.2f}", str(r["estimates"]),
                "" if r["median_or"] is None else f"{r['median_or']:.2f}",
                "" if r["bias_log_or"] is None else f"{r['bias_log_or']:+.3f} ({r['bias_mc_se'] or 0:.3f})",
                "" if r["coverage"] is None else f"{_pct(r['coverage'])} ({_pct(r['coverage_mc_se'])})"]
               for r in small["rows"]]),
        "Meta-analyses: random effects with Hartung-Knapp-Sidik-Jonkman intervals (pedcomm.analysis.pooling) over the "
        "sites with an estimate of the term (two or more); site estimates beyond META_ESTIMATE_UNTRUSTED's bound are left "
        "out as `pedcomm meta` leaves them out. One-stage: the same model on all sites' rows with a fixed effect per site.",
        ""]
    return out
