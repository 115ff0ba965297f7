"""From validated coding-study tables to the frames every coding analysis uses.

The choices (analysed population, analysed coder, course positions) come from coding.yaml, nowhere
else. Works on the typed tables of pedcomm.validation.run (nullable dtypes) and on plain frames alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .... import standard


@cache
def config() -> dict:
    return yaml.safe_load((Path(__file__).parents[1] / "coding.yaml").read_text(encoding="utf-8"))


def assumptions() -> list[tuple[str, str]]:
    """Every `assumption` written in coding.yaml, with where it is written."""
    return [(k, v["assumption"]) for k, v in config().items() if isinstance(v, dict) and "assumption" in v]


def labels(resource: str, column: str) -> dict[str, str]:
    """Code -> label of a categorical field, in schema order (enumLabels, else the code)."""
    f = standard.field(resource, column)
    shown = f.get("enumLabels", {})
    return {c: shown.get(c, c) for c in f["constraints"]["enum"]}


def true(s: pd.Series) -> pd.Series:
    """A boolean column as plain booleans (blank counts as false)."""
    return s.astype("boolean").fillna(False).astype(bool)


def given(s: pd.Series) -> pd.Series:
    """True where a text cell is filled in (not blank)."""
    return s.notna() & (s.astype("object").astype(str).str.strip() != "")


def positions() -> dict[str, str]:
    """Course position code -> label, in display order."""
    c = config()["course"]
    return {k: v.format(days=c["end_of_life_days"]) for k, v in c["positions"].items()}


@dataclass(frozen=True)
class Coding:
    """The analysis frames of the coding study (codebook order and discussion order kept)."""

    enrolled: pd.DataFrame  # every enrolled dyad's patient
    patients: pd.DataFrame  # the analytic sample
    discussions: pd.DataFrame  # the analytic sample's discussions
    coded: pd.DataFrame  # those with a primary coder, with their course ``position``
    segments: pd.DataFrame  # the primary coder's segments of the coded discussions, with theme_id
    second: pd.DataFrame  # the second coder's segments of the double-coded discussions, with theme_id
    double: pd.DataFrame  # the double-coded discussions (primary and second coder)
    themes: pd.DataFrame
    codes: pd.DataFrame
    clinicians: pd.DataFrame


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("patient_id", "sequence", "discussion_id") if c in frame]
    return frame.sort_values(keys, kind="mergesort").reset_index(drop=True)


def course_position(discussions: pd.DataFrame, patients: pd.DataFrame) -> pd.Series:
    """Each discussion's position in the illness course (coding.yaml ``course``), as a code."""
    days = config()["course"]["end_of_life_days"]
    p = patients.drop_duplicates("patient_id").set_index("patient_id")
    d = discussions
    progression = d["disease_status"].astype("object").eq("progression").fillna(False).astype(bool)
    seq = pd.to_numeric(d["sequence"], errors="coerce").astype("float64")
    first = seq[progression].groupby(d.loc[progression, "patient_id"]).min()
    first_seq = d["patient_id"].map(first).astype("float64")
    died = true(d["patient_id"].map(p["died"]))
    to_death = (pd.to_numeric(d["patient_id"].map(p["death_study_day"]), errors="coerce").astype("float64")
                - pd.to_numeric(d["study_day"], errors="coerce").astype("float64"))
    out = np.select(
        [died.to_numpy() & (to_death <= days).fillna(False).to_numpy(),
         first_seq.isna().to_numpy(), (seq < first_seq).to_numpy(), (seq == first_seq).to_numpy()],
        ["end_of_life", "no_progression_recorded", "before_progression", "first_progression"],
        "after_progression")
    return pd.Series(out, index=d.index, dtype="object")


def frame(t: dict[str, pd.DataFrame]) -> Coding:
    """The analysis frames of validated coding tables."""
    enrolled = t["coding_patients"]
    patients = enrolled[true(enrolled["analytic_sample"])]
    d = t["coding_discussions"]
    discussions = _ordered(d[d["patient_id"].isin(patients["patient_id"])])
    coded = discussions[given(discussions["primary_coder_id"])].reset_index(drop=True)
    coded = coded.assign(position=course_position(coded, patients))
    codes = t["coding_codes"].reset_index(drop=True)
    seg = t["coding_segments"].merge(codes[["code_id", "theme_id"]], on="code_id", how="inner")
    coders = coded.set_index("discussion_id")
    primary = seg["discussion_id"].map(coders["primary_coder_id"])
    segments = seg[seg["discussion_id"].isin(coders.index) & (seg["coder_id"] == primary).fillna(False)]
    double = coded[given(coded["second_coder_id"])].reset_index(drop=True)
    second_of = seg["discussion_id"].map(double.set_index("discussion_id")["second_coder_id"])
    second = seg[seg["discussion_id"].isin(double["discussion_id"]) & (seg["coder_id"] == second_of).fillna(False)]
    return Coding(enrolled.reset_index(drop=True), patients.reset_index(drop=True), discussions, coded,
                  segments.reset_index(drop=True), second.reset_index(drop=True), double,
                  t["coding_themes"].reset_index(drop=True), codes, t["coding_clinicians"].reset_index(drop=True))


def presence(segments: pd.DataFrame, discussions: pd.Series, by: str, ids: list[str]) -> pd.DataFrame:
    """Boolean discussion x (code or theme) matrix: was ``by`` (code_id or theme_id) applied at least
    once in the discussion. Rows follow ``discussions``, columns ``ids``."""
    if segments.empty:
        return pd.DataFrame(False, index=list(discussions), columns=list(ids))
    hits = pd.crosstab(segments["discussion_id"].astype("object"), segments[by].astype("object")) > 0
    return hits.reindex(index=list(discussions), columns=list(ids), fill_value=False).astype(bool)


def theme_order(c: Coding) -> list[str]:
    return list(c.themes["theme_id"])


def code_order(c: Coding) -> list[str]:
    """Codes grouped by theme (theme order), in codebook order within a theme."""
    rank = {t: i for i, t in enumerate(theme_order(c))}
    codes = c.codes.assign(_r=c.codes["theme_id"].map(rank).fillna(len(rank)))
    return list(codes.sort_values("_r", kind="mergesort")["code_id"])
