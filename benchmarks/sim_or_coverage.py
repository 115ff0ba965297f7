"""Simulation: bias and 95% CI coverage of the odds ratios pedcomm's estimators report.

Not a test (it takes a few minutes). Data are generated with PLANTED population-averaged odds ratios
and clustering like the survey study's (relationships nested in clinicians): outcomes within a
cluster are correlated through a Gaussian copula, which leaves each outcome's marginal probability
exactly logistic in the covariates, so the planted odds ratios are the true values of the marginal
models that GEE and cluster-robust GLM estimate. Both estimators are pedcomm's own
(pedcomm.analysis.models.fit_logistic), as used by `pedcomm reproduce`.

    .venv/bin/python benchmarks/sim_or_coverage.py                 # 1000 replicates, about 30 s
    .venv/bin/python benchmarks/sim_or_coverage.py --reps 500 --clusters 400 --seed 7
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from pedcomm.analysis.models import fit_logistic

#: Planted odds ratios (like the published survey model's, one null) and the intercept.
PLANTED = {"x_parent_binary": 3.0, "x_parent_continuous": 1.5, "x_cluster_binary": 2.5, "x_null": 1.0}
INTERCEPT = -1.6
CLUSTERS = 80  # clinicians (as in the survey study; --clusters to change)
MEAN_SIZE = 5  # relationships per clinician (Poisson, at least 1): about 400 rows
RHO = 0.3  # latent within-cluster correlation of the copula


def simulate(rng: np.random.Generator, clusters: int = CLUSTERS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sizes = 1 + rng.poisson(MEAN_SIZE - 1, clusters)
    g = np.repeat(np.arange(clusters), sizes)
    n = len(g)
    X = np.column_stack([
        np.ones(n),
        rng.binomial(1, 0.3, n),
        rng.normal(0, 1, n),
        np.repeat(rng.binomial(1, 0.4, clusters), sizes),  # a clinician attribute
        rng.binomial(1, 0.5, n),
    ]).astype(float)
    beta = np.array([INTERCEPT, *np.log(list(PLANTED.values()))])
    p = 1 / (1 + np.exp(-(X @ beta)))
    z = np.sqrt(RHO) * np.repeat(rng.normal(size=clusters), sizes) + np.sqrt(1 - RHO) * rng.normal(size=n)
    y = (stats.norm.cdf(z) < p).astype(float)  # P(y = 1) = p exactly, correlated within clusters
    return X, y, g


def run(reps: int, seed: int, clusters: int = CLUSTERS) -> None:
    rng = np.random.default_rng(seed)
    methods = ("gee", "glm_cluster")
    truth = np.log(np.array(list(PLANTED.values())))
    est = {m: [] for m in methods}
    cover = {m: [] for m in methods}
    failed = {m: 0 for m in methods}
    z = stats.norm.ppf(0.975)
    t0 = time.perf_counter()
    for _ in range(reps):
        X, y, g = simulate(rng, clusters)
        for m in methods:
            res = fit_logistic(X, y, g, m)
            if res is None:
                failed[m] += 1
                continue
            b, se = np.asarray(res.params)[1:], np.asarray(res.bse)[1:]
            est[m].append(b)
            cover[m].append((b - z * se <= truth) & (truth <= b + z * se))
    seconds = time.perf_counter() - t0
    print(f"{reps} replicates, seed {seed}, {clusters} clusters of mean size {MEAN_SIZE}, "
          f"copula correlation {RHO}; {seconds:.0f} s")
    print(f"{'method':<12}{'term':<22}{'planted OR':>11}{'median OR':>11}{'bias logOR':>12}"
          f"{'(MC SE)':>9}{'coverage':>10}{'(MC SE)':>9}")
    for m in methods:
        b, c = np.array(est[m]), np.array(cover[m])
        k = len(b)
        for j, term in enumerate(PLANTED):
            bias = b[:, j].mean() - truth[j]
            bias_se = b[:, j].std(ddof=1) / np.sqrt(k)
            cov = c[:, j].mean()
            cov_se = np.sqrt(cov * (1 - cov) / k)
            print(f"{m:<12}{term:<22}{PLANTED[term]:>11.2f}{np.exp(np.median(b[:, j])):>11.3f}"
                  f"{bias:>+12.4f}{bias_se:>9.4f}{cov:>10.3f}{cov_se:>9.3f}")
        if failed[m]:
            print(f"{m}: {failed[m]} fits failed and are left out")
    print("Coverage should be near 0.95 (cluster-robust CIs are often a little low with few clusters); "
          "bias of log OR near 0 (maximum-likelihood logistic estimates carry a small-sample bias "
          "away from 0 of order 1/n).")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--clusters", type=int, default=CLUSTERS)
    ap.add_argument("--seed", type=int, default=2021)
    args = ap.parse_args()
    run(args.reps, args.seed, args.clusters)
