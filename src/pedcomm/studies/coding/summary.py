"""The coding study's summary definition: what a coding site shares instead of rows (`pedcomm summarize`).

Count tables, every count suppressed by the same rules as the survey study's (pedcomm.analysis.suppress):

- ``coding_patients`` and ``coding_discussions``: the analytic sample's patients (all, and those with
  a coded discussion) and discussions (recorded, coded, double-coded): the denominators;
- ``themes_by_discussion``, ``themes_by_patient``, ``codes_by_discussion``, ``codes_by_patient``:
  the coded discussions (patients with a coded discussion) in which the primary coder applied each
  theme or code at least once, as in the reproduced frequencies table (coding.yaml); a cell is also
  suppressed when its complement (the discussions or patients without it) is below the threshold;
- ``theme_agreement``: per theme, the double-coded discussions in which both coders, only the
  primary, only the second or neither applied it (the 2x2 table of presence agreement), with row
  totals and, over all themes, the pooled 2x2 table (column totals).

Agreement statistics (``agreement``): per theme, and over all themes, the percent agreement and
Cohen's kappa (with its Fleiss-Cohen-Everitt standard error per theme) computed from that theme's
2x2 table, shared only when no number of the table they come from is suppressed: they then reveal
nothing the shared table hides. Otherwise they are withheld, with the reason.

Codes and themes are named by their codebook ids (coding_themes, coding_codes: definitions every
site shares), never by anything of the site's; no excerpt, no identifier leaves the site.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd

from ...analysis.agreement import NO_DISAGREEMENT
from ...analysis.summary import StudySummary, SummaryDefinition
from ...analysis.suppress import CountTable, suppress

NEEDS = ("coding_patients", "coding_discussions", "coding_segments", "coding_themes", "coding_codes",
         "coding_clinicians")
#: The order of the cells of a theme's 2x2 agreement table (primary coder first).
AGREEMENT_COLUMNS = ["both", "primary only", "second only", "neither"]
ALL_THEMES = "all_themes"


def _frequency_tables(c, themes: list[str], codes: list[str]) -> list[CountTable]:
    from .analysis.frequencies import counts

    n_disc = len(c.coded)
    n_pat = int(c.coded["patient_id"].nunique())
    out = []
    for level, ids, by in (("themes", themes, "theme_id"), ("codes", codes, "code_id")):
        k = counts(c, by, ids)
        for unit, column, n in (("discussions", "discussions", n_disc), ("patients", "patients", n_pat)):
            what = "coded discussions" if unit == "discussions" else "patients with a coded discussion"
            out.append(CountTable(
                f"{level}_by_{'discussion' if unit == 'discussions' else 'patient'}",
                f"{what.capitalize()} in which the primary coder applied each {level[:-1]}", unit, list(ids),
                [unit], k[column].to_numpy(dtype="int64")[:, None], denominators=[n],
                notes=[f"Of the {what}; a cell is suppressed when it or its complement (the {what} without the "
                       f"{level[:-1]}) is below the threshold."]))
    return out


def _agreement_table(c, themes: list[str]) -> CountTable:
    from .analysis.agreement import presence_tables
    from .analysis.design import presence

    disc = c.double["discussion_id"].astype("object")
    cells = presence_tables(presence(c.segments, disc, "theme_id", themes), presence(c.second, disc, "theme_id", themes))
    return CountTable("theme_agreement", "Double-coded discussions by whether each coder applied the theme",
                      "discussions", list(themes), list(AGREEMENT_COLUMNS),
                      cells[["both", "primary_only", "second_only", "neither"]].to_numpy(dtype="int64"),
                      row_totals=True, column_totals=True, total=True,
                      notes=["Rows: themes; each row's total is the double-coded discussions. The column totals "
                             "pool every theme's table (one decision per theme and discussion)."])


def _statistics(cells: np.ndarray) -> tuple[float, float, float, str]:
    """(percent agreement as a proportion, kappa, its standard error, why the table is degenerate
    or '') of one 2x2 table's cells."""
    from ...analysis.agreement import cohen_kappa_2x2

    both, first, second, neither = ([v] for v in cells)
    r = cohen_kappa_2x2(both, first, second, neither).iloc[0]
    return float(r["observed"]), float(r["kappa"]), float(r["se"]), str(r["degenerate"])


def agreement(table: CountTable, threshold: int, zeros: bool) -> list[dict]:
    """Per theme and over all themes: the agreement statistics, or why they are withheld."""
    values, hidden, _, _ = suppress(table, threshold, zeros)
    R, C = np.asarray(table.cells).shape
    lines = [(name, values[i, :C], hidden[i, :].any()) for i, name in enumerate(table.rows)]
    lines.append((ALL_THEMES, values[R, :C], hidden[R, :].any() or hidden[:R, C].any()))
    out = []
    for name, cells, suppressed in lines:
        n = int(cells.sum())
        entry = {"name": name, "n_discussions": None if suppressed else n}
        if suppressed:
            out.append({**entry, "status": "withheld",
                        "reason": f"a number of its agreement table is suppressed (below the threshold {threshold})"})
            continue
        observed, kappa, se, why = _statistics(cells)
        if not np.isfinite(kappa):
            out.append({**entry, "status": "withheld",
                        "reason": "kappa is undefined (both coders never, or always, applied it)"})
            continue
        if why and why != NO_DISAGREEMENT:
            out.append({**entry, "status": "withheld", "reason": f"AGREEMENT_DEGENERATE: {why}"})
            continue
        shared: dict[str, Any] = {**entry, "status": "shared", "percent_agreement": round(observed, 10),
                                  "kappa": round(kappa, 10)}
        # no standard error where the pooled decisions are clustered by discussion (all themes), nor at
        # perfect agreement (the Wald standard error is 0 there: meta must not weigh it as infinitely precise)
        if name != ALL_THEMES and not why:
            shared["se"] = round(se, 10)
        out.append(shared)
    return out


def build(t: dict[str, pd.DataFrame], threshold: int, zeros: bool, options: dict) -> StudySummary:
    from .analysis.design import code_order, config, frame, theme_order

    c = frame(t)
    themes, codes = theme_order(c), code_order(c)
    patients = CountTable("coding_patients", "Patients of the analytic sample", "patients",
                          ["analytic sample", "with a coded discussion"], ["patients"],
                          np.array([[len(c.patients)], [int(c.coded["patient_id"].nunique())]]))
    discussions = CountTable("coding_discussions", "Discussions of the analytic sample's patients", "discussions",
                             ["recorded", "coded", "double-coded"], ["discussions"],
                             np.array([[len(c.discussions)], [len(c.coded)], [len(c.double)]]))
    agreement_table = _agreement_table(c, themes)
    cfg = config()
    settings = {"population": cfg["population"]["rule"], "coder": cfg["coders"]["analysed"],
                "second_coder": cfg["coders"]["agreement"], "agreement": "presence per discussion",
                "scale": "Cohen's kappa"}
    tables = [patients, discussions, *_frequency_tables(c, themes, codes), agreement_table]
    return StudySummary(tables, {"agreement": agreement(agreement_table, threshold, zeros)}, settings)


def specification(tables: dict[str, pd.DataFrame]) -> str:
    """SHA-256 of what defines the coding summaries: coding.yaml's population and coders (without the
    wording of assumptions) and the codebook's theme and code ids. Sites whose summaries differ here
    coded with another codebook or counted other discussions; `pedcomm meta` does not combine them."""
    from .analysis.design import config

    cfg = config()
    spec: dict = {k: {kk: vv for kk, vv in cfg[k].items() if kk != "assumption"} for k in ("population", "coders")}
    spec["themes"] = [str(v) for v in tables["coding_themes"]["theme_id"]]
    spec["codes"] = [[str(a), str(b)] for a, b in zip(tables["coding_codes"]["code_id"], tables["coding_codes"]["theme_id"])]
    return "sha256:" + hashlib.sha256(json.dumps(spec, sort_keys=True).encode("utf-8")).hexdigest()


def rule(threshold: int) -> str:
    return ("agreement statistics are shared only for a theme (and for all themes together) whose agreement "
            "table has no suppressed number, so they reveal nothing the shared table hides")


def pool(summaries: list[dict]) -> list:
    from .meta import pooled_tables

    return pooled_tables(summaries)


def schema() -> dict:
    """The JSON Schemas of a coding summary's settings and agreement statistics (from coding.yaml)."""
    from .analysis.design import config

    cfg = config()
    count = {"$ref": "#/$defs/count"}
    common = {"name": {"$ref": "#/$defs/name"}}
    statistic = {
        "type": "object", "required": ["name", "status", "n_discussions"],
        "oneOf": [
            {"properties": {**common, "status": {"const": "shared"}, "n_discussions": count,
                            "percent_agreement": {"type": "number", "minimum": 0, "maximum": 1},
                            "kappa": {"type": "number", "minimum": -1, "maximum": 1},
                            "se": {"type": "number", "minimum": 0}},
             "required": ["percent_agreement", "kappa"], "additionalProperties": False},
            {"properties": {**common, "status": {"const": "withheld"}, "n_discussions": {"$ref": "#/$defs/countOrSuppressed"},
                            "reason": {"$ref": "#/$defs/text"}},
             "required": ["reason"], "additionalProperties": False},
        ],
    }
    return {
        "settings": {"type": "object", "additionalProperties": False,
                     "required": ["population", "coder", "second_coder", "agreement", "scale"],
                     "properties": {"population": {"const": cfg["population"]["rule"]},
                                    "coder": {"const": cfg["coders"]["analysed"]},
                                    "second_coder": {"const": cfg["coders"]["agreement"]},
                                    "agreement": {"const": "presence per discussion"}, "scale": {"const": "Cohen's kappa"}}},
        "agreement": {"type": "array", "minItems": 1, "maxItems": 200, "items": statistic},
    }


DEFINITION = SummaryDefinition(needs=NEEDS, build=build, specification=specification, rule=rule,
                               parts=("agreement",), pool=pool, units=("patients", "discussions"), schema=schema)
