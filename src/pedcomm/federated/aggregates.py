"""What a site computes from its own rows for one model and one request: sums, never rows.

Each function takes the site's design matrix ``X`` (n x k, built by the study's model code), the
outcome ``y`` (0/1) and integer cluster codes, and returns a few arrays whose sizes depend only on
the number of parameters k: k x k matrices, k-vectors and scalars. Summed over the sites they are
exactly the sums the pooled fit computes over all rows, because every clinician and every parent
belongs to one site (so every working-correlation cluster and every sandwich cluster does too).

- ``irls``: one step of iteratively reweighted least squares for the maximum-likelihood logistic
  regression (statsmodels' GLM IRLS, also the GEE's starting values): X'WX, X'Wz and the deviance;
- ``gee_step``: the GEE's estimating-equation sum W'r and its derivative D'W (statsmodels' GEE
  update), at given coefficients and exchangeable working correlation;
- ``moments``: the Pearson-residual moments statsmodels' exchangeable working correlation is
  estimated from;
- ``meats``: the cluster-level pieces of the sandwich (sum over clusters of u_S u_S', Mancl-DeRouen
  adjusted if asked), given the inverse of the bread summed over every site.
"""

from __future__ import annotations

import numpy as np

from ..analysis import sandwich

#: statsmodels' bound on fitted probabilities in the logit link's derivative and the variance
FLOAT_EPS = float(np.finfo(float).eps)


def _mean(X: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    eta = X @ beta
    return eta, 1.0 / (1.0 + np.exp(-eta))


def deviance(y: np.ndarray, mu: np.ndarray) -> float:
    """The binomial deviance, written as statsmodels writes it."""
    return float(np.sum(2 * (y * np.log(y / mu + 1e-200) + (1 - y) * np.log((1 - y) / (1 - mu) + 1e-200))))


def irls(X: np.ndarray, y: np.ndarray, beta: np.ndarray | None) -> dict[str, np.ndarray]:
    """X'WX, X'Wz and the deviance at ``beta``; at the start (None) at mu = (y + 0.5) / 2, the
    binomial family's starting values."""
    if beta is None:
        mu = (y + 0.5) / 2
        eta = np.log(mu / (1 - mu))
    else:
        eta, mu = _mean(X, beta)
    clean = np.clip(mu, FLOAT_EPS, 1 - FLOAT_EPS)
    w = clean * (1 - clean)
    z = eta + (y - mu) / w
    Xw = X * w[:, None]
    return {"xwx": Xw.T @ X, "xwz": Xw.T @ z, "deviance": np.array([deviance(y, mu)])}


def gee_step(X: np.ndarray, y: np.ndarray, working: np.ndarray, beta: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    """The bread sum D'V^-1 D and the estimating function sum D'V^-1 r at (beta, alpha)."""
    v, r, W = sandwich.contributions(X, y, beta, working, alpha)
    return {"bread": (X * v[:, None]).T @ W, "score": W.T @ r}


def moments(X: np.ndarray, y: np.ndarray, working: np.ndarray, beta: np.ndarray) -> dict[str, np.ndarray]:
    """Sums of the squared Pearson residuals, of their products within working clusters, the
    number of those pairs and of rows: the exchangeable correlation's moment estimate."""
    _, mu = _mean(X, beta)
    clean = np.clip(mu, FLOAT_EPS, 1 - FLOAT_EPS)
    e = (y - mu) / np.sqrt(clean * (1 - clean))
    g = sandwich.codes(working)
    sums = np.bincount(g, weights=e)
    squares = np.bincount(g, weights=e * e)
    sizes = np.bincount(g).astype("float64")
    return {"moments": np.array([float(np.sum(e * e)), float(np.sum((sums ** 2 - squares) / 2)),
                                 float(np.sum(sizes * (sizes - 1) / 2)), float(len(y))])}


def meats(X: np.ndarray, y: np.ndarray, working: np.ndarray, groupings: list[np.ndarray], beta: np.ndarray,
          alpha: float, bread_inv: np.ndarray, bias_reduced: bool) -> dict[str, np.ndarray]:
    """The meat of each grouping (sum over its clusters of u_S u_S') with the pooled bread's inverse,
    and the number of clusters of each."""
    v, r, W = sandwich.contributions(X, y, beta, working, alpha)
    pc = sandwich.Pieces(np.asarray(X, dtype="float64"), v, r, W, bread_inv)
    out = {f"meat{i}": sandwich.meat(pc, g, bias_reduced) for i, g in enumerate(groupings)}
    out["clusters"] = np.array([float(len(np.unique(g))) for g in groupings])
    return out
