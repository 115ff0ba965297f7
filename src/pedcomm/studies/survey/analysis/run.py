"""The survey study (Mack et al. 2021) as one reproducible unit: validated tables in, tables and
reproduced target values out."""

from __future__ import annotations

import pandas as pd

from ....analysis.clusters import refuse_or_warn
from ....analysis.result import Options, StudyResult
from .characteristics import characteristics
from .design import analysis_frame, config, design
from .models import ModelSettings, cluster_counts, models
from .prevalence import _both_known, agreement, agreement_findings, prevalence
from .sensitivity import sensitivity
from .strategies import strategies


def settings(options: Options) -> ModelSettings:
    return ModelSettings.from_config(options.method, options.cluster, options.correction)


def assumptions() -> list[tuple[str, str]]:
    """Every `assumption` written in survey.yaml, with where it is written."""
    cfg = config()
    out = [(f"definitions.{k}", v["assumption"]) for k, v in cfg["definitions"].items()]
    out += [(f"models.{k}", v["assumption"]) for k, v in cfg["models"].items()]
    out += [("population", cfg["population"]["assumption"]), ("method", cfg["method"]["assumption"]),
            ("uncertainty", cfg["uncertainty"]["assumption"]), ("sensitivity", cfg["sensitivity"]["assumption"])]
    return out


def _chosen(value: str, default: str, option: str) -> str:
    return f"{value} (survey.yaml default)" if value == default else f"{value} (chosen with {option})"


def clusters_of_every_analysis(frame: pd.DataFrame, s: ModelSettings) -> dict[str, dict[str, int]]:
    """Clusters per clustering variable of each clustered analysis of the run (models, prevalence,
    agreement), judged before anything is computed."""
    out = {f"{name} model": cluster_counts(design(frame, name)[2], s) for name in config()["models"]}
    out["agreement"] = cluster_counts(_both_known(frame), s)
    return out


def run(t: dict[str, pd.DataFrame], options: Options) -> StudyResult:
    s = settings(options)
    frame = analysis_frame(t)
    findings = refuse_or_warn(clusters_of_every_analysis(frame, s))  # ClusteringRefused: too few clusters
    cfg = config()
    char, values = characteristics(t)
    prev, prev_values = prevalence(frame, s.level, s.dimensions)
    agree = agreement(frame, s.level, s.dimensions)
    model_table, model_values, fitted = models(frame, s, findings)
    findings = findings + [f for m in fitted for f in m.findings] + agreement_findings(frame)
    tables = [char, prev, agree, model_table, sensitivity(t, s.level)]
    if "survey_strategies" in t:
        tables.append(strategies(frame, t["survey_strategies"]))
    values |= prev_values | model_values
    m = cfg["method"]
    shown = {
        "method": _chosen(s.method, m["default"], "--method"),
        "cluster": _chosen(s.cluster, m["cluster"], "--cluster"),
        "correction": _chosen(s.correction, m["correction"], "--correction"),
        "working correlation": s.as_dict()["correlation"],
        "confidence intervals": f"{s.ci.capitalize()} {s.level:.0%} (models); prevalence and agreement: Wilson, "
                                "Fleiss-Cohen-Everitt and McNemar treating relationships as independent, beside "
                                f"design-based (linearized) intervals clustered by {' and '.join(s.dimensions)} and "
                                "McNemar with the clustered variance of Durkalski et al.",
        "estimation": s.describe(),
        "sensitivity": f"{len(cfg['sensitivity']['variants'])} variants of survey.yaml's unpublished choices "
                       "(survey_sensitivity)",
    }
    return StudyResult("survey", tables, values, shown, assumptions(), "src/pedcomm/studies/survey/survey.yaml",
                       findings=findings)


def check_options(options: Options) -> None:
    """Raise ValueError for an unknown --method, --cluster or --correction before anything is read."""
    settings(options)

