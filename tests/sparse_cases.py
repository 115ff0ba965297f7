"""The data small sites have, built from the shipped example the way issue 28 describes each case:
edits of a copy of the package that keep it valid (a challenge flag is only ever changed together
with the responses it is derived from).

- ``no_senior_challenge``: every clinician with 20 or more years in practice who reports a
  challenging relationship is given 15 years, so the clinicians left with 20+ years report none
  (separation of years_20_plus in the clinician model);
- ``calm_parents``: the parent (or clinician) responses of chosen relationships rewritten to the most favourable
  answer of each item, so the parent reports no challenge there (``black_parents``: those of every
  Black parent; ``every_relationship``: so the parent model has no event; ``senior_clinicians``, with
  the clinician's responses: no challenge reported by a 20+ clinician, who all stay in the model);
- ``constant``: every parent given one race, so a race term is constant;
- ``dominant_clinician``: one clinician given half of the relationships.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]


def copy_shipped(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "datapackage.json", dest)
    shutil.copytree(REPO / "data", dest / "data")
    shutil.copytree(REPO / "schemas", dest / "schemas")
    return dest


def _read(pkg: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(pkg / "data" / f"{name}.csv", dtype=str, keep_default_na=False)


def _write(pkg: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(pkg / "data" / f"{name}.csv", index=False, lineterminator="\n")


def no_senior_challenge(pkg: Path, years: int = 15) -> list[str]:
    """Give ``years`` to every 20+ clinician with a clinician-reported challenge; returns their ids."""
    cli, rel = _read(pkg, "survey_clinicians"), _read(pkg, "survey_relationships")
    senior = pd.to_numeric(cli["years_in_practice"], errors="coerce") >= 20
    challenged = set(rel.loc[rel["clinician_challenging"] == "true", "clinician_id"])
    moved = senior & cli["clinician_id"].isin(challenged)
    cli.loc[moved, "years_in_practice"] = str(years)
    _write(pkg, "survey_clinicians", cli)
    return list(cli.loc[moved, "clinician_id"])


def calm_parents(pkg: Path, relationship_ids: set[str], respondent: str = "parent") -> None:
    """The ``respondent``'s answers of these relationships set to each item's most favourable
    response, and their challenge flag to false (consistent with the responses)."""
    items, resp, rel = _read(pkg, "survey_items"), _read(pkg, "survey_responses"), _read(pkg, "survey_relationships")
    best = {r.item_id: (r.response_max if r.direction == "higher_is_better" else r.response_min)
            for r in items.itertuples()}
    mask = resp["relationship_id"].isin(relationship_ids) & (resp["respondent"] == respondent) & (resp["response"] != "")
    resp.loc[mask, "response"] = resp.loc[mask, "item_id"].map(best)
    flag = f"{respondent}_challenging"
    flagged = rel["relationship_id"].isin(relationship_ids) & (rel[flag] != "")
    rel.loc[flagged, flag] = "false"
    _write(pkg, "survey_responses", resp)
    _write(pkg, "survey_relationships", rel)


def senior_clinicians(pkg: Path, years: int = 20) -> set[str]:
    """The relationships of every clinician with ``years`` or more in practice."""
    cli, rel = _read(pkg, "survey_clinicians"), _read(pkg, "survey_relationships")
    senior = set(cli.loc[pd.to_numeric(cli["years_in_practice"], errors="coerce") >= years, "clinician_id"])
    return set(rel.loc[rel["clinician_id"].isin(senior), "relationship_id"])


def black_parents(pkg: Path) -> set[str]:
    par, rel = _read(pkg, "survey_parents"), _read(pkg, "survey_relationships")
    black = set(par.loc[par["race_ethnicity"] == "black", "parent_id"])
    return set(rel.loc[rel["parent_id"].isin(black), "relationship_id"])


def every_relationship(pkg: Path) -> set[str]:
    return set(_read(pkg, "survey_relationships")["relationship_id"])


def one_race(pkg: Path, race: str = "white") -> None:
    par = _read(pkg, "survey_parents")
    par.loc[par["race_ethnicity"] != "", "race_ethnicity"] = race
    _write(pkg, "survey_parents", par)


def dominant_clinician(pkg: Path, share: float = 0.5) -> str:
    """Move relationships to the first clinician until it holds ``share`` of them (a parent's two
    relationships never both go to it); returns its id."""
    rel = _read(pkg, "survey_relationships")
    first = rel["clinician_id"].iloc[0]
    target = int(share * len(rel))
    held = set(rel.loc[rel["clinician_id"] == first, "parent_id"])
    count = int((rel["clinician_id"] == first).sum())
    for i, r in rel.iterrows():
        if count >= target:
            break
        if r["clinician_id"] != first and r["parent_id"] not in held:
            rel.at[i, "clinician_id"] = first
            held.add(r["parent_id"])
            count += 1
    _write(pkg, "survey_relationships", rel)
    return first
