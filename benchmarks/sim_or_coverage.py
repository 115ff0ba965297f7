"""Simulation: bias and 95% CI coverage of the odds ratios of every estimator pedcomm offers.

Not a test (it takes minutes). Data are generated with PLANTED population-averaged odds ratios in a
design like the survey study's: about 250 parents and 78 clinicians, relationships CROSSED between
them (a third of the parents report on two clinicians, clinicians see from 1 to about 15 parents),
one rare exposure (a parent attribute in about 8% of parents, like 'less patient-centeredness'),
a clinician attribute, and outcomes correlated within clinicians AND within parents through a
Gaussian copula, which leaves each outcome's marginal probability exactly logistic in the
covariates, so the planted odds ratios are the true values of the marginal models that GEE and
the GLM estimate. Every estimator is pedcomm's own (pedcomm.analysis.models.fit_logistic, as
`pedcomm reproduce` calls it).

Small sites (issue 28, ``--small-sites``): 10 sites of 30 to 80 relationships each, the same crossed
design and copula, a rare parent exposure (8%) and a common one, the same odds ratios at every site.
Each site is fitted the way every pedcomm command fits a model (pedcomm.analysis.guarded: refused
without events, bias-reduced when separated), with survey.yaml's default estimator. Reported: the
share of sites whose model is fitted, and whose model `pedcomm summarize` would share (its
disclosure rules at the default threshold); bias and 95% coverage of the site estimates, of the
random-effects meta-analysis of the shared (and of all fitted) site estimates (Hartung-Knapp-
Sidik-Jonkman, pedcomm.analysis.pooling), and of the one-stage fit on the pooled rows with a fixed
effect per site.

Writes benchmarks/results/sim_or_coverage.json (and .csv); the docs page "Simulation study" is
generated from that file (src/pedcomm/docsgen/simulation.py), never typed.

    .venv/bin/python benchmarks/sim_or_coverage.py                    # 1000 replicates (about 25 min)
    .venv/bin/python benchmarks/sim_or_coverage.py --reps 500 --seed 7
    .venv/bin/python benchmarks/sim_or_coverage.py --small-sites --reps 200   # adds the small-site scenario
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

from pedcomm import __version__
from pedcomm.analysis.models import fit_logistic
from pedcomm.studies.survey.analysis.design import config

RESULTS = Path(__file__).resolve().parent / "results"

#: Planted odds ratios (like the published survey models'), with the share of units exposed.
TERMS = {
    # term: (planted OR, level, share exposed)
    "rare_parent_exposure": (5.84, "parent", 0.08),  # like less patient-centeredness (published 5.84)
    "common_parent_exposure": (3.03, "parent", 0.25),  # like high school education or less
    "clinician_attribute": (2.65, "clinician", 0.30),  # like 10-19 years in practice
    "null_parent_attribute": (1.00, "parent", 0.40),
}
BASELINE_RISK = 0.15  # probability of the outcome for an unexposed parent and clinician
PARENTS = 252  # parents with a paired relationship in the survey study
TWO_CLINICIANS = 0.34  # share of parents with two relationships (338 relationships of 252 parents)
CLINICIANS = 78  # the survey study's models had 74 clinician clusters (80 clinicians took part)
RHO_CLINICIAN = 0.15  # latent (copula) correlation of two relationships of one clinician
RHO_PARENT = 0.30  # ... of one parent (and 0.45 for the same parent and clinician: not possible here)

#: Every estimator pedcomm offers: (name, method, correction, clustering).
METHODS = [
    ("GEE, clinician", "gee", "none", "clinician"),
    ("GEE bias-reduced, clinician", "gee", "bias_reduced", "clinician"),
    ("GLM cluster-robust, clinician", "glm_cluster", "none", "clinician"),
    ("GLM bias-reduced, clinician", "glm_cluster", "bias_reduced", "clinician"),
    ("GEE two-way, clinician + parent", "gee", "none", "two_way"),
    ("GEE bias-reduced two-way, clinician + parent", "gee", "bias_reduced", "two_way"),
    ("GLM two-way, clinician + parent", "glm_cluster", "none", "two_way"),
    ("GLM bias-reduced two-way, clinician + parent", "glm_cluster", "bias_reduced", "two_way"),
]


def simulate(rng: np.random.Generator, clinicians: int = CLINICIANS):
    """One study: X (with const), y, clinician ids, parent ids."""
    weight = rng.choice([3.0, 1.5, 1.2], size=clinicians, p=[0.475, 0.40, 0.125])  # attendings see more
    w = weight / weight.sum()
    par, cli = [], []
    for p in range(PARENTS):
        k = 2 if rng.random() < TWO_CLINICIANS else 1
        for c in rng.choice(clinicians, size=k, replace=False, p=w):
            par.append(p)
            cli.append(c)
    par, cli = np.array(par), np.array(cli)
    n = len(par)
    cols = [np.ones(n)]
    for _, (_, level, share) in TERMS.items():
        units = PARENTS if level == "parent" else clinicians
        x = (rng.random(units) < share).astype(float)
        cols.append(x[par] if level == "parent" else x[cli])
    X = np.column_stack(cols)
    beta = np.array([np.log(BASELINE_RISK / (1 - BASELINE_RISK)), *np.log([t[0] for t in TERMS.values()])])
    prob = 1 / (1 + np.exp(-(X @ beta)))
    z = (np.sqrt(RHO_CLINICIAN) * rng.normal(size=clinicians)[cli] + np.sqrt(RHO_PARENT) * rng.normal(size=PARENTS)[par]
         + np.sqrt(1 - RHO_CLINICIAN - RHO_PARENT) * rng.normal(size=n))
    y = (stats.norm.cdf(z) < prob).astype(float)  # P(y = 1) = prob exactly, correlated within both
    return X, y, cli, par


def run(reps: int, seed: int, clinicians: int = CLINICIANS, progress: bool = True) -> dict:
    rng = np.random.default_rng(seed)
    truth = np.log([t[0] for t in TERMS.values()])
    z = stats.norm.ppf(0.975)
    est = {m[0]: [] for m in METHODS}
    cover = {m[0]: [] for m in METHODS}
    width = {m[0]: [] for m in METHODS}
    failed = {m[0]: 0 for m in METHODS}
    sizes = []
    t0 = time.perf_counter()
    for rep in range(reps):
        X, y, cli, par = simulate(rng, clinicians)
        sizes.append((len(y), len(np.unique(cli)), len(np.unique(par)), int(y.sum()),
                      int(X[:, 1].sum())))
        for name, method, correction, clustering in METHODS:
            clusters = cli if clustering == "clinician" else np.column_stack([cli, par])
            res = fit_logistic(X, y, clusters, method, correction=correction)
            b, se = (None, None) if res is None else (np.asarray(res.params)[1:], np.asarray(res.bse)[1:])
            if b is None or not (np.isfinite(b).all() and np.isfinite(se).all()) or np.abs(b).max() > 15:
                failed[name] += 1  # separation: no finite estimate
                continue
            est[name].append(b)
            cover[name].append((b - z * se <= truth) & (truth <= b + z * se))
            width[name].append(2 * z * se)
        if progress and (rep + 1) % 50 == 0:
            print(f"  {rep + 1}/{reps} replicates, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    seconds = time.perf_counter() - t0
    rows = []
    for name, method, correction, clustering in METHODS:
        b, c, wd = np.array(est[name]), np.array(cover[name]), np.array(width[name])
        k = len(b)
        for j, term in enumerate(TERMS):
            bias = float(b[:, j].mean() - truth[j])
            cov = float(c[:, j].mean())
            rows.append({
                "method": name, "estimator": method, "correction": correction, "clustering": clustering,
                "term": term, "planted_or": TERMS[term][0], "exposed_share": TERMS[term][2], "level": TERMS[term][1],
                "replicates": k, "failed": failed[name],
                "median_or": round(float(np.exp(np.median(b[:, j]))), 4),
                "bias_log_or": round(bias, 4), "bias_mc_se": round(float(b[:, j].std(ddof=1) / np.sqrt(k)), 4),
                "empirical_se": round(float(b[:, j].std(ddof=1)), 4),
                "mean_ci_width_log": round(float(wd[:, j].mean()), 4),
                "coverage": round(cov, 4), "coverage_mc_se": round(float(np.sqrt(cov * (1 - cov) / k)), 4),
            })
    sizes = np.array(sizes)
    default = config()["method"]
    return {
        "script": "benchmarks/sim_or_coverage.py",
        "command": f"python benchmarks/sim_or_coverage.py --reps {reps} --seed {seed} --clinicians {clinicians}",
        "pedcomm": __version__, "python": platform.python_version(), "seconds": round(seconds),
        "replicates": reps, "seed": seed,
        "design": {
            "parents": PARENTS, "clinicians": clinicians, "share_of_parents_with_two_clinicians": TWO_CLINICIANS,
            "copula_correlation_clinician": RHO_CLINICIAN, "copula_correlation_parent": RHO_PARENT,
            "baseline_risk": BASELINE_RISK,
            "relationships_median": float(np.median(sizes[:, 0])),
            "clinician_clusters_range": [int(sizes[:, 1].min()), int(sizes[:, 1].max())],
            "events_median": float(np.median(sizes[:, 3])),
            "rare_exposure_relationships_median": float(np.median(sizes[:, 4])),
        },
        "default": {"method": default["default"], "correction": default.get("correction", "none"),
                    "cluster": default["cluster"]},
        "rows": rows,
    }


# -- small sites (issue 28) ---------------------------------------------------------------------------

SMALL_SITES = 10
SMALL_SIZES = (30, 80)  # relationships per site, uniform
SMALL_TERMS = {"rare_parent_exposure": (3.0, 0.08), "common_parent_exposure": (2.0, 0.30)}  # planted OR, share
SMALL_BASELINE = 0.20


def simulate_site(rng: np.random.Generator):
    """One small site: X (const and the two exposures), y, clinician and parent ids."""
    n_target = int(rng.integers(SMALL_SIZES[0], SMALL_SIZES[1] + 1))
    parents = max(2, int(round(n_target / (1 + TWO_CLINICIANS))))
    clinicians = max(2, n_target // 4)
    par, cli = [], []
    for p in range(parents):
        k = 2 if rng.random() < TWO_CLINICIANS else 1
        for c in rng.choice(clinicians, size=k, replace=False):
            par.append(p)
            cli.append(c)
    par, cli = np.array(par), np.array(cli)
    n = len(par)
    cols = [np.ones(n)]
    for _, share in SMALL_TERMS.values():
        cols.append((rng.random(parents) < share).astype(float)[par])
    X = np.column_stack(cols)
    beta = np.array([np.log(SMALL_BASELINE / (1 - SMALL_BASELINE)), *np.log([t[0] for t in SMALL_TERMS.values()])])
    prob = 1 / (1 + np.exp(-(X @ beta)))
    z = (np.sqrt(RHO_CLINICIAN) * rng.normal(size=clinicians)[cli] + np.sqrt(RHO_PARENT) * rng.normal(size=parents)[par]
         + np.sqrt(1 - RHO_CLINICIAN - RHO_PARENT) * rng.normal(size=n))
    return X, (stats.norm.cdf(z) < prob).astype(float), cli, par


def run_small_sites(reps: int, seed: int, progress: bool = True) -> dict:
    import pandas as pd

    from pedcomm.analysis.guarded import fit_guarded
    from pedcomm.analysis.pooling import random_effects
    from pedcomm.studies.survey.summary import _withheld_reason

    m = config()["method"]
    method, correction, dims = m["default"], m["correction"], m["cluster"].split("+")
    names = ["const", *SMALL_TERMS]
    truth = np.log([t[0] for t in SMALL_TERMS.values()])
    z = stats.norm.ppf(0.975)
    rng = np.random.default_rng(seed)
    acc: dict[str, dict[str, list]] = {k: {t: [] for t in SMALL_TERMS} for k in
                                       ("site", "meta_shared", "meta_fitted", "pooled")}
    fitted = shared = bias_reduced = total = 0
    k_shared, k_fitted = [], []
    t0 = time.perf_counter()

    def fit(X, y, cli, par):
        frame = pd.DataFrame(X, columns=names[:X.shape[1]] if X.shape[1] == len(names) else
                             [*names, *[f"site_{i}" for i in range(X.shape[1] - len(names))]])
        clusters = pd.DataFrame({"clinician_id": cli, "parent_id": par})[dims]
        return frame, clusters, fit_guarded(frame, y, clusters, model="sim", method=method, correction=correction)

    for rep in range(reps):
        rows, per_fitted, per_shared = [], [], []
        for s_i in range(SMALL_SITES):
            X, y, cli, par = simulate_site(rng)
            rows.append((X, y, cli + 1000 * s_i, par + 1000 * s_i, s_i))
            frame, clusters, g = fit(X, y, cli, par)
            total += 1
            if not g.fitted:
                continue
            fitted += 1
            bias_reduced += g.bias_reduced
            ok = _withheld_reason(frame, pd.Series(y), clusters[dims[0]], 11, clusters) is None and not g.not_estimable
            shared += ok
            for j, term in enumerate(SMALL_TERMS, start=1):
                if np.isfinite(g.coef[j]):
                    acc["site"][term].append((g.coef[j], g.lower[j], g.upper[j]))
            per_fitted.append(g)
            if ok:
                per_shared.append(g)
        for key, sites in (("meta_fitted", per_fitted), ("meta_shared", per_shared)):
            (k_fitted if key == "meta_fitted" else k_shared).append(len(sites))
            for j, term in enumerate(SMALL_TERMS, start=1):
                use = [(g.coef[j], g.cov[g.kept.index(term), g.kept.index(term)]) for g in sites
                       if term in g.kept and np.isfinite(g.coef[j]) and abs(g.coef[j]) < 10]
                if len(use) >= 2:
                    p = random_effects([e for e, _ in use], [v for _, v in use])
                    acc[key][term].append((p.estimate, p.lower, p.upper))
        X = np.vstack([r[0] for r in rows])
        site = np.concatenate([np.full(len(r[1]), r[4]) for r in rows])
        dummies = np.column_stack([(site == s_i).astype(float) for s_i in range(1, SMALL_SITES)])
        g = fit(np.column_stack([X, dummies]), np.concatenate([r[1] for r in rows]),
                np.concatenate([r[2] for r in rows]), np.concatenate([r[3] for r in rows]))[2]
        if g.fitted:
            for j, term in enumerate(SMALL_TERMS, start=1):
                acc["pooled"][term].append((g.coef[j], g.lower[j], g.upper[j]))
        if progress and (rep + 1) % 25 == 0:
            print(f"  small sites: {rep + 1}/{reps} replicates, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    labels = {"site": "Site estimates (each fitted site)", "meta_shared": "Meta-analysis of the shared site estimates",
              "meta_fitted": "Meta-analysis of every fitted site's estimate", "pooled": "One-stage fit on the pooled rows"}
    out_rows = []
    for key, terms in acc.items():
        for j, (term, values) in enumerate(terms.items()):
            a = np.array(values) if values else np.zeros((0, 3))
            k = len(a)
            cover = float(np.mean((a[:, 1] <= truth[j]) & (truth[j] <= a[:, 2]))) if k else float("nan")
            out_rows.append({"estimate": labels[key], "term": term, "planted_or": SMALL_TERMS[term][0], "estimates": k,
                             "median_or": round(float(np.exp(np.median(a[:, 0]))), 4) if k else None,
                             "bias_log_or": round(float(a[:, 0].mean() - truth[j]), 4) if k else None,
                             "bias_mc_se": round(float(a[:, 0].std(ddof=1) / np.sqrt(k)), 4) if k > 1 else None,
                             "coverage": round(cover, 4) if k else None,
                             "coverage_mc_se": round(float(np.sqrt(cover * (1 - cover) / k)), 4) if k else None})
    return {"replicates": reps, "seed": seed, "seconds": round(time.perf_counter() - t0),
            "command": f"python benchmarks/sim_or_coverage.py --small-sites --reps {reps} --seed {seed}",
            "design": {"sites": SMALL_SITES, "relationships_per_site": list(SMALL_SIZES), "baseline_risk": SMALL_BASELINE,
                       "clinicians_per_site": "relationships / 4", "estimator": f"{method}, {correction}, {'+'.join(dims)}",
                       "threshold": 11},
            "share_fitted": round(fitted / total, 4), "share_shared": round(shared / total, 4),
            "share_bias_reduced": round(bias_reduced / max(fitted, 1), 4),
            "median_sites_shared": float(np.median(k_shared)), "median_sites_fitted": float(np.median(k_fitted)),
            "rows": out_rows}


def write(result: dict, folder: Path = RESULTS) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sim_or_coverage.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    with open(folder / "sim_or_coverage.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(result["rows"][0]))
        w.writeheader()
        w.writerows(result["rows"])


def show(result: dict) -> None:
    d = result["design"]
    print(f"{result['replicates']} replicates, seed {result['seed']}, {d['parents']} parents, "
          f"{d['clinicians']} clinicians, median {d['relationships_median']:.0f} relationships; {result['seconds']} s")
    print(f"{'method':<46}{'term':<24}{'OR':>6}{'median':>8}{'bias':>9}{'(MC)':>8}{'cover':>8}{'(MC)':>7}{'fail':>6}")
    for r in result["rows"]:
        print(f"{r['method']:<46}{r['term']:<24}{r['planted_or']:>6.2f}{r['median_or']:>8.3f}{r['bias_log_or']:>+9.4f}"
              f"{r['bias_mc_se']:>8.4f}{r['coverage']:>8.3f}{r['coverage_mc_se']:>7.3f}{r['failed']:>6}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--clinicians", type=int, default=CLINICIANS)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--no-write", action="store_true", help="print only; do not write benchmarks/results/")
    ap.add_argument("--small-sites", action="store_true",
                    help="run only the small-site scenario and add it to the existing results file")
    args = ap.parse_args()
    if args.small_sites:
        small = run_small_sites(args.reps, args.seed)
        print(json.dumps(small, indent=1))
        if not args.no_write:
            path = RESULTS / "sim_or_coverage.json"
            res = json.loads(path.read_text(encoding="utf-8"))
            res["small_sites"] = small
            write(res)
            print(f"added the small-site scenario to {path}")
        sys.exit(0)
    res = run(args.reps, args.seed, args.clinicians)
    show(res)
    if not args.no_write:
        write(res)
        print(f"wrote {RESULTS / 'sim_or_coverage.json'} and .csv")
