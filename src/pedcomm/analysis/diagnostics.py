"""What makes a logistic model's estimates impossible or untrustworthy, found before it is fitted.

- Terms the data cannot estimate: a covariate constant in the model's sample, or a linear
  combination of the terms before it (the column adds nothing to the rank of X; as R's lm/glm
  alias a term, the later one of a collinear set is named).
- Separation (Albert and Anderson 1984): a direction b with (2 y_i - 1) x_i'b >= 0 for every
  relationship makes the likelihood increase without bound along it, so the maximum-likelihood
  estimate does not exist (complete or quasi-complete separation). Found exactly by linear
  programming (Konis 2007, the method of R's detectseparation): for each term j, maximize and minimize
  b_j over the cone {b : (2 y - 1) * X b >= 0} within the box |b| <= 1; a non-zero optimum means
  b_j can diverge. The zero cells (a level of a binary covariate with no event, or no non-event)
  say where, in words.
- Dominant clusters: the effective number of clusters (sum n_g)^2 / sum n_g^2 (Kish's effective
  number, the inverse Herfindahl index of the cluster sizes) and the largest cluster's share: a
  sandwich covariance with one cluster holding half the relationships behaves like one from about 4
  clusters, whatever the count of clusters says (Carter, Schnepel and Steigerwald 2017, Rev Econ Stat
  99:698: the effective number of clusters, not their count, governs a cluster-robust test).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .sandwich import codes

#: Relative tolerance of the rank and linear-programming decisions.
TOLERANCE = 1e-7


def _columns(X) -> tuple[np.ndarray, list[str]]:
    if isinstance(X, pd.DataFrame):
        return X.to_numpy(dtype="float64"), [str(c) for c in X.columns]
    arr = np.asarray(X, dtype="float64")
    return arr, [f"x{j}" for j in range(arr.shape[1])]


def _value(v: float) -> str:
    return f"{v:g}"


def not_estimable(X) -> dict[str, str]:
    """Terms that cannot be estimated, with why: constant in the sample (other than the
    intercept), or a linear combination of the terms kept before it."""
    A, names = _columns(X)
    n = len(A)
    if n:  # scale-free decisions: each column divided by its largest absolute value
        A = A / np.where(np.abs(A).max(axis=0) > 0, np.abs(A).max(axis=0), 1.0)
    out: dict[str, str] = {}
    kept: list[int] = []
    for j, name in enumerate(names):
        col = A[:, j]
        if name != "const" and n and np.ptp(col) == 0 and "const" in names:
            out[name] = f"it is constant ({_value(_columns(X)[0][0, j])} for all {n} relationships)"
            continue
        if kept:
            basis = A[:, kept]
            coef, *_ = np.linalg.lstsq(basis, col, rcond=None)
            resid = col - basis @ coef
            if float(np.linalg.norm(resid)) <= TOLERANCE * max(float(np.linalg.norm(col)), 1.0):
                used = [names[kept[i]] for i, c in enumerate(coef) if abs(c) > 1e-8]
                out[name] = f"it is a linear combination of {', '.join(used) or 'the terms before it'}"
                continue
        kept.append(j)
    return out


def zero_cells(X, y) -> list[tuple[str, str]]:
    """(term, cell in words) of each level of a binary (0/1) covariate with no event or no
    non-event among its relationships."""
    A, names = _columns(X)
    y = np.asarray(y, dtype="float64")
    out = []
    for j, name in enumerate(names):
        col = A[:, j]
        if name == "const" or not np.isin(col, (0.0, 1.0)).all():
            continue
        for level in (1.0, 0.0):
            at = col == level
            n, events = int(at.sum()), int(y[at].sum())
            if n and events == 0:
                out.append((name, f"{name} = {level:g}: 0 events in {n} relationships"))
            elif n and events == n:
                out.append((name, f"{name} = {level:g}: all {n} relationships are events (no non-event)"))
    return out


def separated_terms(X, y) -> list[str]:
    """The terms whose maximum-likelihood estimate diverges (complete or quasi-complete
    separation), by linear programming; [] when the estimate exists."""
    from scipy.optimize import linprog

    A, names = _columns(X)
    y = np.asarray(y, dtype="float64")
    if len(A) == 0:
        return []
    scale = np.maximum(np.abs(A).max(axis=0), 1.0)
    S = (2 * y - 1)[:, None] * (A / scale)  # rows s_i; the cone: S b >= 0
    k = A.shape[1]
    bounds = [(-1.0, 1.0)] * k
    total = linprog(-S.sum(axis=0), A_ub=-S, b_ub=np.zeros(len(S)), bounds=bounds, method="highs")
    if total.status != 0 or -total.fun <= TOLERANCE * len(S):
        return []
    out = []
    for j in range(k):
        for sign in (1.0, -1.0):
            c = np.zeros(k)
            c[j] = -sign
            res = linprog(c, A_ub=-S, b_ub=np.zeros(len(S)), bounds=bounds, method="highs")
            if res.status == 0 and -res.fun > TOLERANCE and np.abs(S @ res.x).max() > TOLERANCE:
                out.append(names[j])
                break
    return out


@dataclass(frozen=True)
class ClusterSizes:
    clusters: int
    effective: float  # (sum n_g)^2 / sum n_g^2
    largest_share: float  # the largest cluster's share of the observations


def cluster_sizes(ids) -> ClusterSizes:
    sizes = np.bincount(codes(ids)).astype("float64")
    if len(sizes) == 0:
        return ClusterSizes(0, 0.0, 0.0)
    total = sizes.sum()
    return ClusterSizes(len(sizes), float(total ** 2 / np.sum(sizes ** 2)), float(sizes.max() / total))
