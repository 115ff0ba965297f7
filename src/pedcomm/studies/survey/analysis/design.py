"""From validated survey tables to the analysis variables and model design matrices.

Shared by the reference analyses and by the synthetic-data generator (which plants the published
associations on exactly these variables). Definitions come from survey.yaml, nowhere else.
Outcomes are always float 0/1 (statsmodels with a boolean/object outcome silently models
P(outcome == False) and flips every sign).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pandas as pd
import yaml


@cache
def config() -> dict:
    return yaml.safe_load((Path(__file__).parents[1] / "survey.yaml").read_text(encoding="utf-8"))


def with_changes(changes: dict, base: dict | None = None) -> dict:
    """A copy of the configuration with ``changes`` applied: dotted paths (``definitions.anxiety.rule``)
    to new values, as a sensitivity variant writes them. An unknown path is an error."""
    cfg = copy.deepcopy(base or config())
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = cfg
        for key in parents:
            node = node[key]
        if last not in node:
            raise KeyError(f"survey.yaml has no setting {path!r}")
        node[last] = copy.deepcopy(value)
    return cfg


def apply_rule(values: pd.Series, rule: str) -> pd.Series:
    """Evaluate a definition rule ('>= 8', '< 3', 'in [a, b]') as float 1/0, NaN when missing."""
    m = re.fullmatch(r"\s*(>=|<=|>|<|==)\s*(-?[\d.]+)\s*", rule)
    if m:
        op, x = m.group(1), float(m.group(2))
        v = pd.to_numeric(values, errors="coerce").astype("float64")
        res = {">=": v >= x, "<=": v <= x, ">": v > x, "<": v < x, "==": v == x}[op].astype("float64")
        return res.where(v.notna())
    m = re.fullmatch(r"\s*in\s*\[(.*)\]\s*", rule)
    if m:
        allowed = [s.strip() for s in m.group(1).split(",")]
        v = values.astype("object")
        return v.isin(allowed).astype("float64").where(values.notna())
    raise ValueError(f"unsupported rule {rule!r}")


def _field(t: dict, ref: str) -> pd.Series:
    res, col = ref.split(".")
    return t[res][col]


def parent_variables(parents: pd.DataFrame, cfg: dict | None = None) -> pd.DataFrame:
    """Derived parent-level covariates, indexed like ``parents``."""
    d = (cfg or config())["definitions"]
    out = pd.DataFrame(index=parents.index)
    out["parent_id"] = parents["parent_id"].astype(str)
    out["parent_male"] = (parents["sex"].astype("object") == "male").astype("float64").where(parents["sex"].notna())
    race = parents["race_ethnicity"].astype("object")
    groups = d["race_group"]["groups"]
    for g, members in groups.items():
        if g != d["race_group"]["reference"]:
            out[f"race_{g}"] = race.isin(members).astype("float64").where(race.notna())
    for name in ("hs_or_less", "anxiety", "depression", "mixed_messages_common", "less_pc_transitions"):
        col = d[name]["field"].split(".")[1]
        out[name] = apply_rule(parents[col], d[name]["rule"])
    return out


def clinician_variables(clinicians: pd.DataFrame, cfg: dict | None = None) -> pd.DataFrame:
    """Derived clinician-level covariates: one 0/1 term per band named in ``years_band.terms``
    (the other bands are the reference), clinician sex and role."""
    d = (cfg or config())["definitions"]
    out = pd.DataFrame(index=clinicians.index)
    out["clinician_id"] = clinicians["clinician_id"].astype(str)
    y = pd.to_numeric(clinicians["years_in_practice"], errors="coerce").astype("float64")
    bands = d["years_band"]["bands"]
    for band, term in d["years_band"]["terms"].items():
        lo, hi = bands[band]
        out[term] = ((y >= lo) & (y <= hi)).astype("float64").where(y.notna())
    out["clinician_female"] = (clinicians["sex"].astype("object") == "female").astype("float64").where(clinicians["sex"].notna())
    out["clinician_role"] = clinicians["role"].astype("object")
    return out


def analysis_frame(t: Mapping[str, pd.DataFrame], cfg: dict | None = None) -> pd.DataFrame:
    """One row per relationship with outcomes (float 0/1) and every model covariate."""
    rel = t["survey_relationships"]
    f = pd.DataFrame({
        "relationship_id": rel["relationship_id"].astype(str).to_numpy(),
        "parent_id": rel["parent_id"].astype(str).to_numpy(),
        "clinician_id": rel["clinician_id"].astype(str).to_numpy(),
        "parent_report": rel["parent_report"].astype("float64").to_numpy(),
        "clinician_report": rel["clinician_report"].astype("float64").to_numpy(),
        "parent_challenging": rel["parent_challenging"].astype("float64").to_numpy(),
        "clinician_challenging": rel["clinician_challenging"].astype("float64").to_numpy(),
    })
    f["paired"] = (f["parent_report"] == 1) & (f["clinician_report"] == 1)
    f = f.merge(parent_variables(t["survey_parents"], cfg), on="parent_id", how="left")
    f = f.merge(clinician_variables(t["survey_clinicians"], cfg), on="clinician_id", how="left")
    site = t["survey_parents"].set_index(t["survey_parents"]["parent_id"].astype(str))["site_id"].astype(str)
    f["site_id"] = f["parent_id"].map(site)
    return f


def population_mask(frame: pd.DataFrame, name: str) -> pd.Series:
    """The relationships of a population of survey.yaml (``population.choices``)."""
    if name == "paired":
        return frame["paired"]
    if name == "parent_reports":
        return frame["parent_report"] == 1
    raise ValueError(f"unknown population {name!r}; choose one of: paired, parent_reports")


def design(frame: pd.DataFrame, model: str, cfg: dict | None = None,
           drop: tuple[str, ...] = ()) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Complete-case design matrix (with const), outcome and cluster ids for one model, in the
    configured population; ``drop`` leaves terms out (a sensitivity variant that removes them)."""
    cfg = cfg or config()
    m = cfg["models"][model]
    cols = [c for c in m["covariates"] if c not in drop]
    sub = frame[population_mask(frame, cfg["population"]["name"]).to_numpy()]
    keep = sub[[m["outcome"], *cols]].notna().all(axis=1)
    sub = sub[keep]
    X = sub[cols].astype("float64")
    X.insert(0, "const", 1.0)
    y = sub[m["outcome"]].astype("float64")
    groups = sub[["relationship_id", "parent_id", "clinician_id", "site_id"]]
    return X.reset_index(drop=True), y.reset_index(drop=True), groups.reset_index(drop=True)
