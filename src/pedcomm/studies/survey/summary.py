"""The survey study's summary definition: what a survey site shares instead of rows (`pedcomm summarize`).

Each model's coefficients, covariance matrix and counts (relationships, events, clusters) when its
sample passes the disclosure rules, and the descriptive count tables with small cells suppressed
(pedcomm.analysis.suppress). The same model settings as `pedcomm reproduce` (survey.yaml) are
used at every site, so the coordinating centre can pool the estimates (`pedcomm meta`).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from ... import standard
from ...analysis.summary import StudySummary, SummaryDefinition, distribution
from ...analysis.suppress import CountTable


def _max_parameter_share() -> float:
    """DataSHIELD's nfilter.glm: a model may have at most this share of parameters per observation
    (its one home: FEDERATED_SITE_PARAMETERS' parameter in the registry, which federated fits use too)."""
    from ...validation.registry import parameter

    return float(parameter("FEDERATED_SITE_PARAMETERS", "max_parameter_share"))


#: Each level of a binary covariate must span this many clusters (clinicians by default): a coefficient
#: is then never one or two people's (DataSHIELD's minimum cell count is 3), and a cluster-robust
#: variance has some clusters to work with.
MIN_CLUSTERS_PER_LEVEL = 5
NEEDS = ("survey_parents", "survey_clinicians", "survey_relationships")


def descriptive_tables(t: dict[str, pd.DataFrame], frame: pd.DataFrame) -> list[CountTable]:
    """The count tables a site shares (before suppression)."""
    from .analysis.design import config
    from .analysis.strategies import CATEGORIES, categories

    p, c = t["survey_parents"], t["survey_clinicians"]
    out = [distribution("parents_sex", "Parents by sex", "parents", "survey_parents", "sex", p["sex"]),
           distribution("parents_race_ethnicity", "Parents by race and ethnicity", "parents", "survey_parents",
                         "race_ethnicity", p["race_ethnicity"]),
           distribution("parents_education", "Parents by highest education", "parents", "survey_parents",
                         "education", p["education"]),
           distribution("clinicians_role", "Clinicians by role", "clinicians", "survey_clinicians", "role", c["role"]),
           distribution("clinicians_sex", "Clinicians by sex", "clinicians", "survey_clinicians", "sex", c["sex"])]
    bands = config()["definitions"]["years_band"]["bands"]
    years = pd.to_numeric(c["years_in_practice"], errors="coerce")
    counts = [int(((years >= lo) & (years <= hi)).sum()) for lo, hi in bands.values()] + [int(years.isna().sum())]
    out.append(CountTable("clinicians_years_in_practice", "Clinicians by years in practice", "clinicians",
                          [*bands, "missing"], ["clinicians"], np.array(counts)[:, None], column_totals=True))
    paired = frame[frame["paired"]].dropna(subset=["parent_challenging", "clinician_challenging"])
    pc, cc = paired["parent_challenging"] == 1, paired["clinician_challenging"] == 1
    two = np.array([[int((pc & cc).sum()), int((pc & ~cc).sum())], [int((~pc & cc).sum()), int((~pc & ~cc).sum())]])
    out.append(CountTable(
        "challenge_agreement", "Relationships with both reports: challenging by the parent (rows) and by the clinician (columns)",
        "relationships", ["parent: challenging", "parent: not challenging"],
        ["clinician: challenging", "clinician: not challenging"], two, row_totals=True, column_totals=True, total=True))
    if "survey_strategies" in t:
        cat = categories(frame)
        s = t["survey_strategies"]
        s = pd.DataFrame({"relationship_id": s["relationship_id"].astype(str), "strategy": s["strategy"].astype("object"),
                          "used": s["used"].astype("float64")})
        s = s[s["relationship_id"].isin(cat.index)].dropna(subset=["used"])
        s["category"] = s["relationship_id"].map(cat)
        order = standard.enum("survey_strategies", "strategy")
        cells = np.array([[int(((s["strategy"] == st) & (s["category"] == k) & (s["used"] == 1)).sum())
                           for k in CATEGORIES] for st in order])
        denominators = [int((cat == k).sum()) for k in CATEGORIES]
        out.append(CountTable(
            "strategies_by_challenge", "Relationships in which the clinician used each strategy, by challenge category",
            "relationships", order, list(CATEGORIES), cells, row_totals=True, denominators=denominators,
            notes=["Column denominators are the relationships of each category (the cells of challenge_agreement); "
                   "a cell is suppressed when it or its complement (relationships not using the strategy) is below "
                   "the threshold."]))
    return out


def _withheld_reason(X: pd.DataFrame, y: pd.Series, clusters: pd.Series, threshold: int,
                     all_clusters: pd.DataFrame | None = None) -> str | None:
    from ...analysis.clusters import minimum_clusters

    n, events = len(y), int(y.sum())
    if all_clusters is not None:
        fewest = min(all_clusters[c].nunique() for c in all_clusters.columns)
        if fewest < minimum_clusters():
            return f"fewer than {minimum_clusters()} clusters (CLUSTERS_TOO_FEW)"
    if n < threshold or events < threshold or n - events < threshold:
        return f"fewer than {threshold} relationships, events or non-events"
    if X.shape[1] > _max_parameter_share() * n:
        return f"more than {_max_parameter_share():g} parameters per relationship (DataSHIELD nfilter.glm)"
    clusters = clusters.reset_index(drop=True)
    for col in X.columns:
        v = X[col].reset_index(drop=True)
        if col != "const" and set(v.unique()) <= {0.0, 1.0}:
            ones = int(v.sum())
            if min(ones, n - ones) < threshold:
                return f"a level of a binary covariate ({col}) has fewer than {threshold} relationships"
            spread = min(clusters[v == 1].nunique(), clusters[v == 0].nunique())
            if spread < MIN_CLUSTERS_PER_LEVEL:
                return f"a level of a binary covariate ({col}) spans fewer than {MIN_CLUSTERS_PER_LEVEL} clusters"
    return None


def _shared_warnings(fit) -> list[str]:
    """The findings of a shared model in words that reveal no count the summary does not share
    (no cell size: a zero cell may be a suppressed count)."""
    out = []
    for f in fit.findings:
        if f.code == "MODEL_SEPARATION":
            out.append(f"MODEL_SEPARATION: separated term(s) {', '.join(fit.separated)} (an empty cell): shared as a "
                       "bias-reduced (Firth-type) fit")
        elif f.code == "CLUSTERS_DOMINANT":
            out.append(f"CLUSTERS_DOMINANT: the {f.field} clusters are dominated by a few (effective number below "
                       f"{parameter_text('CLUSTERS_DOMINANT')}): the standard errors may be too small")
        elif f.code == "MODEL_FEW_EVENTS":
            out.append(f"MODEL_FEW_EVENTS: {f.value} events per estimated term (fewer than "
                       f"{parameter_text('MODEL_FEW_EVENTS')})")
    return out + list(fit.notes)


def parameter_text(code: str) -> str:
    from ...validation.registry import parameter

    return f"{parameter(code, 'minimum'):g}"


def model_summaries(frame: pd.DataFrame, settings, threshold: int) -> list[dict]:
    """Each survey model's estimates (log odds ratios) and covariance, or why it is withheld. Every
    model goes through pedcomm.analysis.guarded: a separated model is shared only as its
    bias-reduced (Firth-type) fit, marked (``estimator``, ``separated``, ``warnings``)."""
    from ...analysis.guarded import fit_guarded
    from .analysis.design import config, design

    out = []
    for name, spec in config()["models"].items():
        X, y, groups = design(frame, name)
        entry = {"name": name, "title": spec["title"], "outcome": spec["outcome"], "terms": list(X.columns)}
        reason = _withheld_reason(X, y, groups[settings.dimensions[0]], threshold, groups[settings.dimensions])
        fit = None
        if reason is None:
            fit = fit_guarded(X, y, groups[settings.dimensions], model=name, method=settings.method,
                              correlation=settings.correlation, correction=settings.correction, level=settings.level)
            if not fit.fitted:
                reason = f"the model could not be estimated: {fit.reason}"
            elif fit.not_estimable:
                reason = "; ".join(f"the term {t} cannot be estimated ({why}; MODEL_TERM_NOT_ESTIMABLE)"
                                   for t, why in fit.not_estimable.items())
        if reason is not None or fit is None or fit.cov is None:
            out.append({**entry, "status": "withheld", "reason": reason or "the model could not be estimated"})
            continue
        shared = {**entry, "status": "shared",
                  "coef": [round(float(v), 10) for v in fit.coef],
                  "cov": [[round(float(v), 12) for v in row] for row in fit.cov],
                  "n_relationships": int(len(y)), "events": int(y.sum()),
                  "n_clusters": int(min(groups[d].nunique() for d in settings.dimensions)),
                  "warnings": _shared_warnings(fit)}
        if fit.bias_reduced:
            shared |= {"estimator": "bias_reduced", "separated": list(fit.separated)}
        out.append(shared)
    return out


def model_specification() -> str:
    """SHA-256 of what defines the survey models (survey.yaml's definitions, models and population,
    without the wording of titles and assumptions): sites whose summaries differ here fitted
    different models, and `pedcomm meta` does not combine them."""
    from .analysis.design import config

    def strip(obj):
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if k not in ("assumption", "title")}
        if isinstance(obj, list):
            return [strip(v) for v in obj]
        return obj

    cfg = config()
    spec = {k: strip(cfg[k]) for k in ("definitions", "models", "population") if k in cfg}
    return "sha256:" + hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _settings(options: dict):
    from .analysis.models import ModelSettings

    return ModelSettings.from_config(options.get("method"), options.get("cluster"), options.get("correction"))


def build(t: dict[str, pd.DataFrame], threshold: int, zeros: bool, options: dict) -> StudySummary:
    from .analysis.design import analysis_frame

    settings = _settings(options)
    frame = analysis_frame(t)
    shown = {"method": settings.method, "cluster": settings.cluster,
             "correlation": settings.correlation if settings.method == "gee" else None,
             "correction": settings.correction, "scale": "log odds ratio"}
    return StudySummary(descriptive_tables(t, frame), {"models": model_summaries(frame, settings, threshold)}, shown)


def rule(threshold: int) -> str:
    from ...analysis.clusters import minimum_clusters

    return (f"models are shared only with at least {threshold} relationships, events, non-events and "
            f"relationships at each level of a binary covariate, and at most "
            f"{_max_parameter_share():g} parameters per relationship; each level of a binary covariate "
            f"must also span at least {MIN_CLUSTERS_PER_LEVEL} clusters, and each clustering "
            f"variable have at least {minimum_clusters()} clusters")


def labels() -> dict[str, str]:
    from .analysis.models import TERM_LABELS

    return TERM_LABELS


def one_stage(tables: dict[str, pd.DataFrame], settings: dict) -> pd.DataFrame:
    """The one-stage fit on a pooled package's validated tables, with the sites' settings."""
    from .onestage import one_stage as fit

    return fit(tables, settings.get("method"), settings.get("cluster"), settings.get("correction"))


def check_options(options: dict) -> None:
    _settings(options)


def specification(tables: dict[str, pd.DataFrame]) -> str:
    return model_specification()


def schema() -> dict:
    """The JSON Schemas of a survey summary's settings and models (choices from survey.yaml)."""
    from .analysis.design import config

    m = config()["method"]
    count = {"$ref": "#/$defs/count"}
    name = {"$ref": "#/$defs/name"}
    common = {"name": name, "title": {"$ref": "#/$defs/label"}, "outcome": name,
              "terms": {"type": "array", "minItems": 1, "maxItems": 100, "uniqueItems": True, "items": name}}
    model = {
        "type": "object", "required": ["name", "title", "outcome", "terms", "status"],
        "properties": {**common, "status": {"enum": ["shared", "withheld"]}},
        "oneOf": [
            {"properties": {**{k: True for k in common}, "status": {"const": "shared"},
                            "coef": {"type": "array", "maxItems": 100, "items": {"type": "number"}},
                            "cov": {"type": "array", "maxItems": 100,
                                    "items": {"type": "array", "maxItems": 100, "items": {"type": "number"}}},
                            "n_relationships": count, "events": count, "n_clusters": count,
                            "warnings": {"type": "array", "maxItems": 50, "items": {"$ref": "#/$defs/text"}},
                            "estimator": {"enum": ["standard", "bias_reduced"]},
                            "separated": {"type": "array", "maxItems": 100, "uniqueItems": True, "items": name}},
             "required": ["coef", "cov", "n_relationships", "events", "n_clusters"], "additionalProperties": False},
            {"properties": {**{k: True for k in common}, "status": {"const": "withheld"}, "reason": {"$ref": "#/$defs/text"}},
             "required": ["reason"], "additionalProperties": False},
        ],
    }
    return {
        "settings": {"type": "object", "additionalProperties": False,
                     "required": ["method", "cluster", "correlation", "correction", "scale"],
                     "properties": {"method": {"enum": list(m["choices"])}, "cluster": {"enum": list(m["cluster_choices"])},
                                    "correlation": {"enum": [m["correlation"], None]},
                                    "correction": {"enum": list(m["correction_choices"])},
                                    "scale": {"const": "log odds ratio"}}},
        "models": {"type": "array", "minItems": 1, "maxItems": 20, "items": model},
    }


DEFINITION = SummaryDefinition(needs=NEEDS, build=build, specification=specification, rule=rule,
                               options=("method", "cluster", "correction"), check_options=check_options,
                               parts=("models",), labels=labels, one_stage=one_stage,
                               units=("parents", "clinicians", "relationships", "children"), schema=schema)
