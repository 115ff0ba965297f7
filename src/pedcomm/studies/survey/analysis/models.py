"""Survey study: the two multivariable logistic models (parent-reported and clinician-reported
challenge), with the estimation settings chosen in survey.yaml or on the command line."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ....analysis.compare import Reproduced
from ....analysis.guarded import PROFILE, WALD_LARGER, fit_guarded
from ....analysis.rounding import fmt, fmt_p, p_data
from ....analysis.table import Table
from .design import config, design

#: Row labels of the model terms (presentation only; definitions are in survey.yaml).
TERM_LABELS = {
    "const": "Intercept (baseline odds)",
    "parent_male": "Parent male (vs female)",
    "race_black": "Black (vs White)",
    "race_hispanic": "Hispanic (vs White)",
    "race_asian_other": "Asian or other race (vs White)",
    "hs_or_less": "High school education or less",
    "anxiety": "Parent anxiety",
    "depression": "Parent depression",
    "mixed_messages_common": "Mixed messages common",
    "less_pc_transitions": "Less patient-centeredness across transitions",
    "years_10_19": "Clinician in practice 10-19 years (vs <10)",
    "years_20_plus": "Clinician in practice >=20 years (vs <10)",
    "clinician_female": "Clinician female (vs male)",
}

#: Short names accepted for the clustering variables; two joined by '+' cluster two-way.
CLUSTER_ALIASES = {"clinician": "clinician_id", "parent": "parent_id", "site": "site_id"}
#: Marks a separated term's odds ratio in the tables (bias-reduced estimate; see the notes).
SEPARATED_MARK = "[separated]"
COVARIANCE_NAMES = {"none": "uncorrected", "bias_reduced": "bias-reduced (Mancl-DeRouen)"}


def _canonical_cluster(cluster: str, choices: list[str]) -> str:
    """'parent+clinician' -> the configured spelling of the same set, e.g. 'clinician_id+parent_id'."""
    parts = {CLUSTER_ALIASES.get(c.strip(), c.strip()) for c in cluster.split("+")}
    for choice in choices:
        if set(choice.split("+")) == parts:
            return choice
    shown = ", ".join("+".join(k for part in c.split("+") for k, v in CLUSTER_ALIASES.items() if v == part) or c
                      for c in choices)
    raise ValueError(f"unknown cluster {cluster!r}; choose one of: {shown}")


@dataclass(frozen=True)
class ModelSettings:
    """How the models are estimated; defaults from survey.yaml (``method``)."""

    method: str
    cluster: str  # one clustering variable, or two joined by '+' (the first holds the GEE working correlation)
    correlation: str
    correction: str
    ci: str
    level: float

    @classmethod
    def from_config(cls, method: str | None = None, cluster: str | None = None, correction: str | None = None,
                    cfg: dict | None = None) -> ModelSettings:
        m = (cfg or config())["method"]
        method = method or m["default"]
        if method not in m["choices"]:
            raise ValueError(f"unknown method {method!r}; choose one of: {', '.join(m['choices'])}")
        cluster = _canonical_cluster(cluster or m["cluster"], m["cluster_choices"])
        correction = correction or m["correction"]
        if correction not in m["correction_choices"]:
            raise ValueError(f"unknown correction {correction!r}; choose one of: {', '.join(m['correction_choices'])}")
        return cls(method, cluster, m["correlation"], correction, m["ci"], float(m["level"]))

    @property
    def dimensions(self) -> list[str]:
        """The clustering variables (one, or two for two-way clustering)."""
        return self.cluster.split("+")

    def covariance(self) -> str:
        """How the standard errors are computed, in words."""
        dims = self.dimensions
        if len(dims) == 2:
            a, b = (d.removesuffix("_id") for d in dims)
            how = (f"two-way clustered by {dims[0]} and {dims[1]} (Cameron-Gelbach-Miller: V_{a} + V_{b} - "
                   "V_both, of the estimating functions")
            if self.correction == "bias_reduced":
                how += ", each term with Mancl-DeRouen's small-sample bias correction)"
            elif self.method == "glm_cluster":
                how += ", each term with its finite-sample factor G/(G-1) x (N-1)/(N-K))"
            else:
                how += ", no small-sample correction)"
            return how
        if self.correction == "bias_reduced":
            return f"bias-reduced (Mancl-DeRouen) sandwich standard errors clustered by {dims[0]}"
        if self.method == "gee":
            return f"robust (sandwich) standard errors clustered by {dims[0]}, no small-sample correction"
        return (f"cluster-robust standard errors clustered by {dims[0]} (finite-sample factor "
                "G/(G-1) x (N-1)/(N-K))")

    def describe(self) -> str:
        conf = f"{self.level:.0%}"
        if self.method == "gee":
            how = f"logistic GEE, {self.correlation} working correlation within {self.dimensions[0]}"
        else:
            how = "maximum-likelihood logistic regression (GLM)"
        return f"{how}; {self.covariance()}; {self.ci.capitalize()} {conf} CIs and p-values"

    def ci_method(self) -> str:
        """The interval's method in a few words (a column of the tables)."""
        est = "GEE" if self.method == "gee" else "GLM"
        return f"Wald, {est}, {COVARIANCE_NAMES[self.correction]} sandwich clustered by {' and '.join(self.dimensions)}"

    def interval_method(self, kind: str, bias_reduced: bool) -> str:
        """How one term's interval was computed (pedcomm.analysis.guarded's kinds), in a few words:
        ``ci_method`` for an ordinary fit; the bias-reduced (Firth-type) fit of a separated model;
        the separated terms' own intervals."""
        if not bias_reduced:
            return self.ci_method()
        est = "bias-reduced GEE (Firth-type)" if self.method == "gee" else "Firth penalized likelihood (GLM)"
        sandwich = f"{COVARIANCE_NAMES[self.correction]} sandwich clustered by {' and '.join(self.dimensions)}"
        if kind == PROFILE:
            return (f"profile penalized likelihood, {est}, widened by the ratio of the {sandwich} variance to the "
                    "model-based one when above 1 (separated term)")
        if kind == WALD_LARGER:
            return f"Wald, {est}, the larger of the {sandwich} and the model-based standard error (separated term)"
        return f"Wald, {est}, {sandwich}"

    def as_dict(self) -> dict:
        d = asdict(self)
        if self.method != "gee":
            d["correlation"] = "not applicable (GLM)"
        return d


@dataclass
class FittedModel:
    """One fitted model: estimates on the log-odds scale and the sample it used."""

    name: str
    title: str
    terms: list[str]
    coef: np.ndarray
    se: np.ndarray
    n_relationships: int
    n_parents: int
    n_clinicians: int
    n_clusters: dict[str, int]  # clustering variable -> clusters
    events: int
    dependence: float | None  # GEE working-correlation parameter
    warnings: list[str]
    #: log-odds interval and p-value per term (NaN where not estimated), how each interval was computed
    #: (pedcomm.analysis.guarded), and what the checks found (analysis.guarded.GuardedFit)
    lower: np.ndarray = field(default_factory=lambda: np.zeros(0))
    upper: np.ndarray = field(default_factory=lambda: np.zeros(0))
    p: np.ndarray = field(default_factory=lambda: np.zeros(0))
    intervals: list[str] = field(default_factory=list)
    bias_reduced: bool = False
    separated: list[str] = field(default_factory=list)
    not_estimable: dict[str, str] = field(default_factory=dict)
    findings: list = field(default_factory=list)
    status: str = "fitted"  # or "refused": no estimate is shown (``reason``)
    reason: str = ""
    cov: np.ndarray | None = None  # of the estimated terms (``kept``)
    kept: list[str] = field(default_factory=list)


def cluster_counts(groups: pd.DataFrame, settings: ModelSettings) -> dict[str, int]:
    return {d: int(groups[d].nunique()) for d in settings.dimensions}


def fit(frame: pd.DataFrame, name: str, settings: ModelSettings, cfg: dict | None = None,
        drop: tuple[str, ...] = ()) -> FittedModel:
    """Fit one model of survey.yaml (``parent`` or ``clinician``) on its complete cases, through the
    checks of pedcomm.analysis.guarded: a refused model (no events, not estimable) comes back with
    ``status`` "refused", every estimate NaN and the finding that says why."""
    cfg = cfg or config()
    X, y, groups = design(frame, name, cfg, drop)
    g = fit_guarded(X, y, groups[settings.dimensions], model=name, method=settings.method,
                    correlation=settings.correlation, correction=settings.correction, level=settings.level)
    return FittedModel(
        name, cfg["models"][name]["title"], list(X.columns), g.coef, g.se, len(y), groups["parent_id"].nunique(),
        groups["clinician_id"].nunique(), cluster_counts(groups, settings), int(y.sum()),
        g.dependence if settings.method == "gee" else None, g.notes, g.lower, g.upper, g.p, g.intervals,
        g.bias_reduced, g.separated, g.not_estimable, g.findings, g.status, g.reason, g.cov, g.kept)


def term_status(m: FittedModel, term: str) -> str:
    """'' for an ordinary estimate; else what is special about the term's row: separated,
    not estimable, or the model refused (with the code)."""
    if m.status != "fitted":
        return m.reason
    if term in m.not_estimable:
        return f"not estimable: {m.not_estimable[term]} (MODEL_TERM_NOT_ESTIMABLE)"
    if term in m.separated:
        return "separated: bias-reduced (Firth-type) estimate (MODEL_SEPARATION)"
    return ""


def clusters_text(n_clusters: dict[str, int]) -> str:
    return " and ".join(f"{n} {d.removesuffix('_id')} clusters" for d, n in n_clusters.items())


def _estimates(m: FittedModel, settings: ModelSettings) -> pd.DataFrame:
    estimated = np.isfinite(m.coef)
    return pd.DataFrame({
        "model": m.name, "term": m.terms, "label": [TERM_LABELS.get(t, t) for t in m.terms],
        "log_or": m.coef, "se": m.se, "odds_ratio": np.exp(m.coef),
        "ci_lower": np.exp(m.lower), "ci_upper": np.exp(m.upper), "p_value": m.p,
        "n_relationships": m.n_relationships, "n_parents": m.n_parents, "n_clinicians": m.n_clinicians,
        "n_clusters": min(m.n_clusters.values()), "clusters": clusters_text(m.n_clusters), "events": m.events,
        "ci_method": [settings.interval_method(kind, m.bias_reduced) if ok else "" for kind, ok in zip(m.intervals, estimated)],
        "estimator": [("bias-reduced (Firth-type)" if m.bias_reduced else "standard") if ok else "not estimated"
                      for ok in estimated],
        "status": [term_status(m, t) for t in m.terms],
    })


def _or_text(r) -> str:
    if r.status and not np.isfinite(r.odds_ratio):
        return f"not estimated ({r.status})"
    text = f"{fmt(r.odds_ratio, 2)} ({fmt(r.ci_lower, 2)}-{fmt(r.ci_upper, 2)})"
    return f"{text} {SEPARATED_MARK}" if r.status else text


def models(frame: pd.DataFrame, settings: ModelSettings, findings: list | None = None
           ) -> tuple[Table, dict[str, Reproduced], list[FittedModel]]:
    """Both models: one table, the reproduced odds ratios (``{model}_model.or.{term}``), the fits.
    ``findings``: CLUSTERS_FEW warnings of the run, written into the notes."""
    fitted = [fit(frame, name, settings) for name in config()["models"]]
    data = estimates(fitted, settings, rounded=False)
    values = {f"{r.model}_model.or.{r.term}": Reproduced(float(r.odds_ratio), float(r.ci_lower), float(r.ci_upper),
                                                         ci_method=r.ci_method)
              for r in data.itertuples(index=False) if np.isfinite(r.odds_ratio)}
    shown = data[data["term"] != "const"]
    conf = f"{settings.level:.0%}"
    display = pd.DataFrame({
        "Model": [config()["models"][m]["title"] for m in shown["model"]],
        "Characteristic": shown["label"],
        f"Odds ratio ({conf} CI)": [_or_text(r) for r in shown.itertuples(index=False)],
        "p": [fmt_p(p) if np.isfinite(p) else "" for p in shown["p_value"]],
    })
    data = _rounded(data)
    notes = [f"Estimation (every CI and p-value of this table): {settings.describe()}."]
    for m in fitted:
        extra = f"; working correlation {fmt(m.dependence, 3)}" if m.dependence is not None else ""
        notes.append(f"{m.title}: {m.n_relationships} relationships ({m.events} challenging), {m.n_parents} parents, "
                     f"{m.n_clinicians} clinicians; {clusters_text(m.n_clusters)}{extra}.")
        for f in m.findings:
            notes.append(f"{f.code}: {f.message}")
        if m.bias_reduced:
            notes.append(f"{SEPARATED_MARK} {m.title}: separated terms ({', '.join(m.separated)}); the model is fitted by "
                         "Firth-type bias reduction (penalized likelihood; for the GEE, the bias-reduced estimating "
                         "equations) and each row's interval method is in the CSV's ci_method.")
        for w in m.warnings:
            notes.append(f"Estimation warning ({m.name} model): {w}")
    notes += [f"{f.code}: {f.message}" for f in findings or [] if f.code == "CLUSTERS_FEW"]
    population = config()["population"]
    notes.append(f"Population: {population['rule']}, complete cases. {population['assumption']}")
    for spec in config()["models"].values():
        terms = "; ".join(TERM_LABELS.get(c, c) for c in spec["covariates"])
        notes.append(f"{spec['title']} covariates: {terms}. {spec['assumption']}")
    return Table("survey_models", "Multivariable models of challenging relationships", data, display, notes), values, fitted


def estimates(fitted: list[FittedModel], settings: ModelSettings, rounded: bool = True) -> pd.DataFrame:
    """The rows of survey_models.csv for fitted models (however they were fitted: here, or by a
    federated fit from the sites' sums), rounded as the file writes them unless ``rounded`` is False."""
    data = pd.concat([_estimates(m, settings) for m in fitted], ignore_index=True)
    return _rounded(data) if rounded else data


def _rounded(data: pd.DataFrame) -> pd.DataFrame:
    for c in ("log_or", "se", "odds_ratio", "ci_lower", "ci_upper"):
        data[c] = data[c].round(6)
    data["p_value"] = [p_data(p) for p in data["p_value"]]
    return data

