"""Sandwich covariances for logistic GEE/GLM fits with one-way or two-way (crossed) clustering.

Written here because statsmodels has no two-way clustering for GEE and no bias-reduced (Mancl-DeRouen)
variant of two-way clustering for GLM; one-way clustering uses statsmodels itself (models.py), and the
tests check this module against statsmodels on one-way clustering before trusting its two-way sums.

Notation, for a logistic model with mean p = expit(X b), variance v = p (1 - p) and residuals
r = y - p, fitted as GEE with working clusters g (exchangeable correlation alpha; alpha = 0 is the
independence working correlation, i.e. maximum-likelihood GLM):

- D_g = diag(v_g) X_g, V_g = A_g^1/2 R_g(alpha) A_g^1/2 with A_g = diag(v_g);
- W_g = V_g^-1 D_g (one row w_i per observation), bread B = sum_g D_g' W_g;
- the estimating function sum_g D_g' V_g^-1 r_g = sum_i w_i r_i is a sum of per-observation
  contributions u_i = w_i r_i, so any grouping S of observations gives a meat M_S = sum_S u_S u_S'
  with u_S = sum_{i in S} u_i;
- Mancl and DeRouen (2001, Biometrics 57:126) replace r_S by (I - H_SS)^-1 r_S with the leverage
  H_SS = D_S B^-1 W_S' (for S = a working cluster this is their D_g B^-1 D_g' V_g^-1);
- two-way (Cameron, Gelbach and Miller 2011, J Bus Econ Stat 29:238): V = V_a + V_b - V_ab, the
  sandwiches clustered by each dimension minus the one clustered by their intersection; when that
  sum is not positive semi-definite its negative eigenvalues are set to 0 (their suggestion) and
  a note says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def codes(ids) -> np.ndarray:
    """Integer codes 0..G-1 of cluster ids (any hashable values; missing ids are not allowed)."""
    return pd.factorize(pd.Series(np.asarray(ids, dtype=object)), sort=False)[0]


def intersection(*dims) -> np.ndarray:
    """Codes of the intersection of several groupings (one cluster per distinct combination)."""
    frame = pd.DataFrame({i: codes(d) for i, d in enumerate(dims)})
    return frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()


@dataclass
class Pieces:
    """The per-observation quantities of a fitted logistic GEE (see the module docstring)."""

    X: np.ndarray
    v: np.ndarray  # p (1 - p)
    r: np.ndarray  # y - p
    W: np.ndarray  # rows w_i of V_g^-1 D_g
    bread_inv: np.ndarray  # B^-1
    notes: list[str] = field(default_factory=list)


def pieces(X, y, params, working_groups, alpha: float = 0.0) -> Pieces:
    """The pieces of a logistic GEE with exchangeable working correlation ``alpha`` within
    ``working_groups`` (alpha 0: independence, the GLM)."""
    X = np.asarray(X, dtype="float64")
    v, r, W = contributions(X, y, params, working_groups, alpha)
    B = (X * v[:, None]).T @ W
    return Pieces(X, v, r, W, np.linalg.inv(B))


def contributions(X, y, params, working_groups, alpha: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """v = p (1 - p), the residuals r = y - p and the rows w_i of V_g^-1 D_g of a logistic GEE: the
    per-observation parts whose sums over any set of rows (a site's, in a federated fit) add up to
    the bread sum D'W and the estimating function sum W'r."""
    X = np.asarray(X, dtype="float64")
    y = np.asarray(y, dtype="float64")
    p = 1.0 / (1.0 + np.exp(-(X @ np.asarray(params, dtype="float64"))))
    v = p * (1.0 - p)
    s = np.sqrt(v)
    W = np.empty_like(X)
    g = codes(working_groups)
    if alpha == 0.0:
        W[:] = X
    else:
        # R^-1 = (I - c 11') / (1 - alpha), c = alpha / (1 - alpha + n_g alpha), so
        # V^-1 D = A^-1/2 R^-1 A^1/2 X = (Z - c 1 1'Z) / ((1 - alpha) s), Z = diag(s) X
        Z = X * s[:, None]
        n_g = np.bincount(g)
        c = alpha / (1.0 - alpha + n_g * alpha)
        col_sums = np.zeros((len(n_g), X.shape[1]))
        np.add.at(col_sums, g, Z)
        W[:] = (Z - c[g][:, None] * col_sums[g]) / ((1.0 - alpha) * s[:, None])
    return v, y - p, W


def meat(pc: Pieces, groups, bias_reduced: bool = False) -> np.ndarray:
    """sum_S u_S u_S' over the clusters S of ``groups``; with ``bias_reduced`` the residuals of each
    cluster are first multiplied by (I - H_SS)^-1 (Mancl-DeRouen)."""
    g = codes(groups)
    k = pc.X.shape[1]
    if not bias_reduced:
        U = np.zeros((g.max() + 1 if len(g) else 0, k))
        np.add.at(U, g, pc.W * pc.r[:, None])
        return U.T @ U
    D = pc.X * pc.v[:, None]
    out = np.zeros((k, k))
    order = np.argsort(g, kind="stable")
    bounds = np.flatnonzero(np.diff(g[order])) + 1
    for idx in np.split(order, bounds):
        H = D[idx] @ pc.bread_inv @ pc.W[idx].T
        adjusted = np.linalg.solve(np.eye(len(idx)) - H, pc.r[idx])
        u = pc.W[idx].T @ adjusted
        out += np.outer(u, u)
    return out


def cgm_factor(groups, n: int, k: int) -> float:
    """The finite-sample factor statsmodels (and Stata) apply to a cluster-robust GLM covariance:
    G / (G - 1) x (N - 1) / (N - K)."""
    return finite_sample_factor(len(np.unique(codes(groups))), n, k)


def finite_sample_factor(G: int, n: int, k: int) -> float:
    """G / (G - 1) x (N - 1) / (N - K) for G clusters, N observations and K parameters."""
    return G / (G - 1) * (n - 1) / (n - k) if G > 1 and n > k else float("nan")


def two_way(pc: Pieces, first, second, bias_reduced: bool = False, factors: bool = False) -> np.ndarray:
    """Two-way clustered covariance V_first + V_second - V_intersection (Cameron-Gelbach-Miller).

    ``factors``: multiply each term by its own cgm_factor (as statsmodels' two-way GLM does);
    ``bias_reduced``: Mancl-DeRouen residuals within each term's clusters. A non-positive
    semi-definite sum has its negative eigenvalues set to 0, with a note in ``pc.notes``."""
    n, k = pc.X.shape
    both = intersection(first, second)
    total = np.zeros((k, k))
    for groups, sign in ((first, 1.0), (second, 1.0), (both, -1.0)):
        m = meat(pc, groups, bias_reduced)
        if factors:
            m = m * cgm_factor(groups, n, k)
        total += sign * m
    return two_way_sandwich(pc.bread_inv, total, pc.notes)


def two_way_sandwich(bread_inv: np.ndarray, total: np.ndarray, notes: list[str]) -> np.ndarray:
    """B^-1 (M_first + M_second - M_both) B^-1, made symmetric; a non-positive semi-definite result
    has its negative eigenvalues set to 0, with a note appended to ``notes``."""
    cov = bread_inv @ total @ bread_inv.T
    cov = (cov + cov.T) / 2
    vals, vecs = np.linalg.eigh(cov)
    if vals.min() < 0:
        notes.append("the two-way covariance was not positive semi-definite; its negative eigenvalues "
                     f"(smallest {vals.min():.3g}) were set to 0 (Cameron, Gelbach and Miller 2011)")
        cov = (vecs * np.clip(vals, 0.0, None)) @ vecs.T
    return cov


def one_way(pc: Pieces, groups, bias_reduced: bool = False) -> np.ndarray:
    """The one-way clustered sandwich B^-1 M B^-1 (statsmodels' GEE 'robust' or 'bias_reduced')."""
    return pc.bread_inv @ meat(pc, groups, bias_reduced) @ pc.bread_inv.T
