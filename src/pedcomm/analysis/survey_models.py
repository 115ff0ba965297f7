"""Survey study: the two multivariable logistic models (parent-reported and clinician-reported
challenge), with the estimation settings chosen in survey.yaml or on the command line."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .compare import Reproduced
from .models import fit_logistic
from .rounding import fmt, fmt_p, p_data
from .survey_design import config, design
from .table import Table

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

#: Short names accepted for the clustering variable.
CLUSTER_ALIASES = {"clinician": "clinician_id", "parent": "parent_id", "site": "site_id"}


@dataclass(frozen=True)
class ModelSettings:
    """How the models are estimated; defaults from survey.yaml (``method``)."""

    method: str
    cluster: str
    correlation: str
    ci: str
    level: float

    @classmethod
    def from_config(cls, method: str | None = None, cluster: str | None = None) -> "ModelSettings":
        m = config()["method"]
        method = method or m["default"]
        cluster = CLUSTER_ALIASES.get(cluster, cluster) if cluster else m["cluster"]
        if method not in m["choices"]:
            raise ValueError(f"unknown method {method!r}; choose one of: {', '.join(m['choices'])}")
        if cluster not in m["cluster_choices"]:
            choices = ", ".join(f"{c} ({k})" for k, c in CLUSTER_ALIASES.items() if c in m["cluster_choices"])
            raise ValueError(f"unknown cluster {cluster!r}; choose one of: {choices}")
        return cls(method, cluster, m["correlation"], m["ci"], float(m["level"]))

    def describe(self) -> str:
        conf = f"{self.level:.0%}"
        if self.method == "gee":
            how = f"logistic GEE, {self.correlation} working correlation, robust (sandwich) standard errors"
        else:
            how = ("maximum-likelihood logistic regression (GLM) with cluster-robust standard errors "
                   "(small-sample correction G/(G-1) x (N-1)/(N-K))")
        return f"{how}, clustered by {self.cluster}; {self.ci.capitalize()} {conf} CIs and p-values"

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
    n_clusters: int
    events: int
    dependence: float | None  # GEE working-correlation parameter
    warnings: list[str]


def fit(frame: pd.DataFrame, name: str, settings: ModelSettings) -> FittedModel:
    """Fit one model of survey.yaml (``parent`` or ``clinician``) on its complete cases."""
    X, y, groups = design(frame, name)
    caught: list[str] = []
    res = fit_logistic(X, y, groups[settings.cluster], settings.method,
                       correlation=settings.correlation, caught=caught)
    if res is None:
        raise RuntimeError(f"the {name} model could not be estimated: {'; '.join(caught) or 'no reason given'}")
    dep = getattr(getattr(res.model, "cov_struct", None), "dep_params", None)
    return FittedModel(
        name, config()["models"][name]["title"], list(X.columns), np.asarray(res.params, dtype=float),
        np.asarray(res.bse, dtype=float), len(y), groups["parent_id"].nunique(),
        groups["clinician_id"].nunique(), groups[settings.cluster].nunique(), int(y.sum()),
        None if dep is None or settings.method != "gee" else float(dep), sorted(set(caught)))


def _estimates(m: FittedModel, level: float) -> pd.DataFrame:
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = 2 * stats.norm.sf(np.abs(m.coef / m.se))
    return pd.DataFrame({
        "model": m.name, "term": m.terms, "label": [TERM_LABELS.get(t, t) for t in m.terms],
        "log_or": m.coef, "se": m.se, "odds_ratio": np.exp(m.coef),
        "ci_lower": np.exp(m.coef - z * m.se), "ci_upper": np.exp(m.coef + z * m.se), "p_value": p,
        "n_relationships": m.n_relationships, "n_parents": m.n_parents, "n_clinicians": m.n_clinicians,
        "n_clusters": m.n_clusters, "events": m.events,
    })


def models(frame: pd.DataFrame, settings: ModelSettings) -> tuple[Table, dict[str, Reproduced], list[FittedModel]]:
    """Both models: one table, the reproduced odds ratios (``{model}_model.or.{term}``), the fits."""
    fitted = [fit(frame, name, settings) for name in config()["models"]]
    data = pd.concat([_estimates(m, settings.level) for m in fitted], ignore_index=True)
    values = {f"{r.model}_model.or.{r.term}": Reproduced(float(r.odds_ratio), float(r.ci_lower), float(r.ci_upper))
              for r in data.itertuples(index=False)}
    shown = data[data["term"] != "const"]
    conf = f"{settings.level:.0%}"
    display = pd.DataFrame({
        "Model": [config()["models"][m]["title"] for m in shown["model"]],
        "Characteristic": shown["label"],
        f"Odds ratio ({conf} CI)": [f"{fmt(o, 2)} ({fmt(lo, 2)}-{fmt(hi, 2)})"
                                    for o, lo, hi in zip(shown["odds_ratio"], shown["ci_lower"], shown["ci_upper"])],
        "p": [fmt_p(p) for p in shown["p_value"]],
    })
    for c in ("log_or", "se", "odds_ratio", "ci_lower", "ci_upper"):
        data[c] = data[c].round(6)
    data["p_value"] = [p_data(p) for p in data["p_value"]]
    notes = [f"Estimation: {settings.describe()}."]
    for m in fitted:
        extra = f"; working correlation {fmt(m.dependence, 3)}" if m.dependence is not None else ""
        notes.append(f"{m.title}: {m.n_relationships} relationships ({m.events} challenging), {m.n_parents} parents, "
                     f"{m.n_clinicians} clinicians; {m.n_clusters} clusters{extra}.")
        if m.n_clusters < 30:
            notes.append(f"Caution: only {m.n_clusters} clusters; cluster-robust standard errors are unreliable "
                         "with few clusters.")
        for w in m.warnings:
            notes.append(f"Estimation warning ({m.name} model): {w}")
    population = config()["population"]
    notes.append(f"Population: {population['rule']}, complete cases. {population['assumption']}")
    for name, spec in config()["models"].items():
        notes.append(f"{spec['title']} covariates: {', '.join(spec['covariates'])}. {spec['assumption']}")
    return Table("survey_models", "Multivariable models of challenging relationships", data, display, notes), values, fitted
