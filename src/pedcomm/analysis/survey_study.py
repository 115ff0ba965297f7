"""The survey study (Mack et al. 2021) as one reproducible unit: validated tables in, tables and
reproduced target values out."""

from __future__ import annotations

import pandas as pd

from .study import Options, Study, StudyResult
from .survey_characteristics import characteristics
from .survey_design import analysis_frame, config
from .survey_models import ModelSettings, models
from .survey_prevalence import agreement, prevalence
from .survey_strategies import strategies

TITLE = ("Survey study: Mack JW, et al. Parent and clinician perspectives on challenging parent-clinician "
         "relationships in pediatric oncology. JAMA Netw Open. 2021;4(11):e2132138.")


def settings(options: Options) -> ModelSettings:
    return ModelSettings.from_config(options.method, options.cluster)


def assumptions() -> list[tuple[str, str]]:
    """Every `assumption` written in survey.yaml, with where it is written."""
    cfg = config()
    out = [(f"definitions.{k}", v["assumption"]) for k, v in cfg["definitions"].items()]
    out += [(f"models.{k}", v["assumption"]) for k, v in cfg["models"].items()]
    out += [("population", cfg["population"]["assumption"]), ("method", cfg["method"]["assumption"])]
    return out


def _chosen(value: str, default: str, option: str) -> str:
    return f"{value} (survey.yaml default)" if value == default else f"{value} (chosen with {option})"


def run(t: dict[str, pd.DataFrame], options: Options) -> StudyResult:
    s = settings(options)
    frame = analysis_frame(t)
    cfg = config()["method"]
    char, values = characteristics(t)
    prev, prev_values = prevalence(frame, s.level)
    agree = agreement(frame, s.level)
    model_table, model_values, _ = models(frame, s)
    tables = [char, prev, agree, model_table]
    if "survey_strategies" in t:
        tables.append(strategies(frame, t["survey_strategies"]))
    values |= prev_values | model_values
    shown = {
        "method": _chosen(s.method, cfg["default"], "--method"),
        "cluster": _chosen(s.cluster, cfg["cluster"], "--cluster"),
        "working correlation": s.as_dict()["correlation"],
        "confidence intervals": f"{s.ci.capitalize()} {s.level:.0%} (models); Wilson score (prevalence); "
                                "Fleiss-Cohen-Everitt asymptotic (kappa)",
        "estimation": s.describe(),
    }
    return StudyResult("survey", tables, values, shown, assumptions(), "src/pedcomm/analysis/survey.yaml")


def check_options(options: Options) -> None:
    """Raise ValueError for an unknown --method or --cluster before anything is read."""
    settings(options)


STUDY = Study("survey", TITLE, run, check_options)
