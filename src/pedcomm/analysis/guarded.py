"""A logistic model fitted only when its estimates can be trusted, with coded findings when not.

Every model pedcomm shows or shares goes through ``fit_guarded``:

1. no event (or no non-event) in the sample: no model at all (MODEL_NO_EVENTS);
2. terms the data cannot estimate (constant, collinear) are left out and named
   (MODEL_TERM_NOT_ESTIMABLE), shown as not estimable;
3. fewer events per estimated term than MODEL_FEW_EVENTS' minimum: a warning;
4. separation (pedcomm.analysis.diagnostics, by linear programming): the model is fitted by
   Firth-type bias reduction (pedcomm.analysis.firth), the separated terms named with the empty
   cells (MODEL_SEPARATION). Their intervals: the profile penalized likelihood for the maximum-
   likelihood method (glm_cluster; widened by the ratio of the sandwich to the model-based variance
   when that is above 1, Chandler and Bate 2007, never narrowed); for the GEE, Wald with the larger of the sandwich and the
   model-based standard error (a sandwich cannot see the variation a zero cell lacks, so alone it
   is far too small there). Other terms keep the run's sandwich, evaluated at the bias-reduced
   estimate;
5. dominant clusters: a warning when a clustering dimension's effective number of clusters is below
   CLUSTERS_DOMINANT's minimum;
6. anything that still fails (a singular matrix, no convergence) is MODEL_NOT_ESTIMABLE, never a
   traceback; numpy's and statsmodels' warnings are caught and kept as notes, never printed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..validation.registry import check, parameter
from ..validation.report import Finding, Report
from . import diagnostics, firth, sandwich
from .models import cluster_dimensions, fit_logistic

NO_EVENTS, FEW_EVENTS, SEPARATION = "MODEL_NO_EVENTS", "MODEL_FEW_EVENTS", "MODEL_SEPARATION"
TERM, FAILED, DOMINANT = "MODEL_TERM_NOT_ESTIMABLE", "MODEL_NOT_ESTIMABLE", "CLUSTERS_DOMINANT"

#: How a term's interval was computed (GuardedFit.intervals).
WALD, PROFILE, WALD_LARGER = "wald", "profile", "wald_larger"


@dataclass
class GuardedFit:
    """A model as pedcomm may show it. ``coef`` ... ``p`` have one value per term of the design
    (NaN where not estimated); ``cov`` is over the estimated terms (``kept``), with a separated
    term's variance raised to the one its interval uses (the covariance a site shares)."""

    model: str
    terms: list[str]
    status: str = "fitted"  # or "refused"
    reason: str = ""  # why refused, in words
    coef: np.ndarray = field(default_factory=lambda: np.zeros(0))
    se: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lower: np.ndarray = field(default_factory=lambda: np.zeros(0))  # log-odds scale
    upper: np.ndarray = field(default_factory=lambda: np.zeros(0))
    p: np.ndarray = field(default_factory=lambda: np.zeros(0))
    intervals: list[str] = field(default_factory=list)  # WALD, PROFILE, WALD_LARGER or "" per term
    kept: list[str] = field(default_factory=list)
    cov: np.ndarray | None = None
    bias_reduced: bool = False
    separated: list[str] = field(default_factory=list)
    not_estimable: dict[str, str] = field(default_factory=dict)
    dependence: float | None = None
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    report: Report | None = None  # the checks' report (findings and what was checked)

    @property
    def fitted(self) -> bool:
        return self.status == "fitted"


def events_per_parameter() -> float:
    return float(parameter(FEW_EVENTS, "minimum"))


def effective_minimum() -> float:
    return float(parameter(DOMINANT, "minimum"))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _events(y: np.ndarray) -> tuple[int, int]:
    events = int(y.sum())
    return events, len(y) - events


def _sandwich(X, y, params, dims, alpha, method, correction) -> np.ndarray:
    """The run's sandwich covariance at ``params`` (as models.fit_logistic computes it)."""
    pc = sandwich.pieces(X, y, params, dims[0], alpha)
    br = correction == "bias_reduced"
    if len(dims) == 2:
        return sandwich.two_way(pc, dims[0], dims[1], bias_reduced=br, factors=method == "glm_cluster" and not br)
    cov = sandwich.one_way(pc, dims[0], br)
    if method == "glm_cluster" and not br:
        cov = cov * sandwich.cgm_factor(dims[0], len(y), X.shape[1])
    return cov


def _bias_reduced(fit: GuardedFit, X: pd.DataFrame, y: np.ndarray, dims, method, correlation, correction, z, level):
    A = X.to_numpy(dtype="float64")
    penalized = firth.firth_logit(A, y)
    if method == "gee":
        gee = firth.br_gee(A, y, dims[0], correlation, start=penalized.params)
        params, alpha = gee.params, gee.alpha
        fit.dependence = alpha if correlation == "exchangeable" else 0.0
        model_based = sandwich.pieces(A, y, params, dims[0], alpha).bread_inv
    else:
        params, alpha, model_based = penalized.params, 0.0, penalized.cov
    cov = _sandwich(A, y, params, dims, alpha, method, correction)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    lower, upper = params - z * se, params + z * se
    p = 2 * stats.norm.sf(np.abs(params / np.where(se > 0, se, np.nan)))
    intervals = [WALD] * len(params)
    scale = np.ones(len(params))
    for j, term in enumerate(X.columns):
        if term not in fit.separated:
            continue
        larger = float(np.sqrt(max(model_based[j, j], cov[j, j])))
        scale[j] = larger / se[j] if se[j] > 0 else 1.0
        se[j] = larger
        if method == "glm_cluster":
            inflation = max(1.0, cov[j, j] / model_based[j, j])
            lower[j], upper[j], p[j] = firth.profile_interval(A, y, penalized, j, level, inflation)
            intervals[j] = PROFILE
        else:
            lower[j], upper[j] = params[j] - z * larger, params[j] + z * larger
            p[j] = 2 * stats.norm.sf(abs(params[j]) / larger)
            intervals[j] = WALD_LARGER
    if np.any(scale != 1.0):
        cov = cov * np.outer(scale, scale)
    return params, se, lower, upper, p, intervals, cov


@check(NO_EVENTS, FEW_EVENTS, SEPARATION, TERM, FAILED, DOMINANT)
def fit_guarded(X: pd.DataFrame, y, clusters, *, model: str, method: str = "gee", correlation: str = "exchangeable",
                correction: str = "none", level: float = 0.95, analysis: str | None = None) -> GuardedFit:
    """Fit one logistic model (``X`` a DataFrame with its terms, ``const`` first) the way
    pedcomm.analysis.models.fit_logistic does, or refuse it, with the findings that say why.
    ``analysis``: the model's name in messages (default: 'the {model} model')."""
    y = np.asarray(y, dtype="float64")
    terms = [str(c) for c in X.columns]
    label = analysis or f"{model} model"
    report = Report()
    fit = GuardedFit(model, terms)
    report.ran("MODEL_NO_EVENTS", None, model, 1)
    nan = np.full(len(terms), np.nan)
    fit.coef, fit.se, fit.lower, fit.upper, fit.p = nan.copy(), nan.copy(), nan.copy(), nan.copy(), nan.copy()
    fit.intervals = [""] * len(terms)

    def done(status: str = "fitted", reason: str = "") -> GuardedFit:
        fit.status, fit.reason = status, reason
        fit.findings, fit.report = list(report.findings), report
        return fit

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _fit(fit, report, X, y, clusters, model, label, method, correlation, correction, level, done)


def _fit(fit, report, X, y, clusters, model, label, method, correlation, correction, level, done) -> GuardedFit:
    terms = fit.terms
    events, non_events = _events(y)
    if events == 0 or non_events == 0:
        what = "events" if events == 0 else "non-events"
        detail = f"no {what[:-1]} among its {_plural(len(y), 'relationship')}"
        report.add("MODEL_NO_EVENTS", field=model, value=what, analysis=label, detail=detail)
        return done("refused", f"{detail} ({NO_EVENTS})")
    dims = cluster_dimensions(clusters)
    for dim_name, ids in zip(_dimension_names(clusters, len(dims)), dims):
        report.ran("CLUSTERS_DOMINANT", None, dim_name, 1)
        sizes = diagnostics.cluster_sizes(ids)
        if sizes.clusters and sizes.effective < effective_minimum():
            report.add("CLUSTERS_DOMINANT", field=dim_name, value=label, analysis=label, expected=f"{effective_minimum():g}",
                       detail=f"{sizes.clusters} clusters, effective number {sizes.effective:.1f}, the largest holding "
                              f"{100 * sizes.largest_share:.0f}% of the relationships")
    for code in ("MODEL_FEW_EVENTS", "MODEL_SEPARATION", "MODEL_TERM_NOT_ESTIMABLE", "MODEL_NOT_ESTIMABLE"):
        report.ran(code, None, model, 1)
    fit.not_estimable = diagnostics.not_estimable(X)
    for term, why in fit.not_estimable.items():
        report.add("MODEL_TERM_NOT_ESTIMABLE", field=model, value=term, analysis=label, detail=why)
    kept = [t for t in terms if t not in fit.not_estimable]
    Xk = X[kept]
    fit.kept = kept
    slopes = len(kept) - (1 if "const" in kept else 0)
    epp = min(events, non_events) / slopes if slopes else float("inf")
    if epp < events_per_parameter():
        fewer = "events" if events <= non_events else "non-events"
        report.add("MODEL_FEW_EVENTS", field=model, value=f"{epp:.1f}", analysis=label, expected=f"{events_per_parameter():g}",
                   detail=f"{min(events, non_events)} {fewer} for {_plural(slopes, 'estimated term')} "
                          f"({epp:.1f} per term)")
    z = float(stats.norm.ppf(0.5 + level / 2))
    with warnings.catch_warnings(record=True) as seen, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            fit.separated = diagnostics.separated_terms(Xk, y)
            if fit.separated:
                cells = [cell for term, cell in diagnostics.zero_cells(Xk, y) if term in fit.separated]
                report.add("MODEL_SEPARATION", field=model, value=", ".join(fit.separated), analysis=label,
                           detail="; ".join(cells) or "the outcome is perfectly predicted by a combination of "
                                                     + ", ".join(fit.separated))
                fit.bias_reduced = True
                params, se, lower, upper, p, intervals, cov = _bias_reduced(
                    fit, Xk, y, dims, method, correlation, correction, z, level)
            else:
                caught: list[str] = []
                res = fit_logistic(Xk, y, clusters, method, correlation=correlation, caught=caught, correction=correction)
                if res is None:
                    raise ArithmeticError("statsmodels returned no estimate")
                params = np.asarray(res.params, dtype="float64")
                cov = np.asarray(res.cov, dtype="float64")
                se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
                lower, upper = params - z * se, params + z * se
                p = 2 * stats.norm.sf(np.abs(params / np.where(se > 0, se, np.nan)))
                intervals = [WALD] * len(params)
                fit.dependence = res.dependence
                fit.notes += sorted(set(caught)) + res.notes
            if not (np.isfinite(params).all() and np.isfinite(cov).all()):
                raise ArithmeticError("the estimates are not finite")
        except (np.linalg.LinAlgError, ArithmeticError, ValueError) as e:
            reason = _in_words(e)
            report.add("MODEL_NOT_ESTIMABLE", field=model, value=label, analysis=label, detail=reason)
            return done("refused", f"{reason} ({FAILED})")
    del seen  # numpy's and statsmodels' warnings: statsmodels' are in the notes (fit_logistic's ``caught``)
    index = [terms.index(t) for t in kept]
    for src, dest in ((params, fit.coef), (se, fit.se), (lower, fit.lower), (upper, fit.upper), (p, fit.p)):
        dest[index] = src
    for i, kind in zip(index, intervals):
        fit.intervals[i] = kind
    fit.cov = cov
    return done()


def _dimension_names(clusters, n: int) -> list[str]:
    if isinstance(clusters, pd.DataFrame):
        return [str(c) for c in clusters.columns]
    if isinstance(clusters, pd.Series) and clusters.name is not None:
        return [str(clusters.name)]
    return [f"dimension {i + 1}" for i in range(n)]


def _in_words(e: Exception) -> str:
    if isinstance(e, np.linalg.LinAlgError):
        return f"a matrix of the fit is singular ({e})"
    if isinstance(e, firth.NotConverged):
        return f"the bias-reduced fit did not converge ({e})"
    return str(e) or type(e).__name__
