"""Semantic rules of the survey study (Mack et al. 2021)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..registry import check
from ..report import Report

#: Eligibility and design facts of the published study (published-facts.md).
MIN_PRIOR_VISITS = 3
MAX_RELATIONSHIPS_PER_PARENT = 2
SURVEY_WINDOW_DAYS = 92
INSTRUMENT_OF = {"parent": "rcs_p", "clinician": "rcs_c"}


def item_flags(responses: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Per response: answered (not missing) and at-or-beyond the item's challenge cutoff.

    The one implementation of the challenge rule; the validator, the generator and the analyses
    all call it.
    """
    it = items.set_index("item_id")
    cut = responses["item_id"].map(it["challenge_cutoff"])
    worse = responses["item_id"].map(it["direction"]) == "higher_is_worse"
    r = responses["response"]
    answered = r.notna() & cut.notna()
    hit = ((worse & (r >= cut)) | (~worse & (r <= cut))).fillna(False).astype(bool) & answered
    return pd.DataFrame({"answered": answered.astype(bool), "challenging": hit})


def derive_challenge(responses: pd.DataFrame, items: pd.DataFrame, respondent: str) -> pd.Series:
    """Challenge flag per relationship for one respondent: True/False, NA when nothing answered."""
    sub = responses[responses["respondent"] == respondent]
    flags = item_flags(sub, items)
    g = flags.groupby(sub["relationship_id"].to_numpy())
    any_hit, any_answered = g["challenging"].any(), g["answered"].any()
    out = pd.Series(pd.array(any_hit.to_numpy(), dtype="boolean"), index=any_hit.index)
    out[~any_answered.to_numpy()] = pd.NA
    return out


@check("ITEM_RANGE_INVALID", needs=("survey_items",))
def item_definitions(t: dict, report: Report):
    items = t["survey_items"]
    lo, hi, cut = items["response_min"], items["response_max"], items["challenge_cutoff"]
    report.ran("ITEM_RANGE_INVALID", "survey_items", None, len(items))
    empty = (lo >= hi).fillna(False)
    outside = ((cut < lo) | (cut > hi)).fillna(False) & ~empty
    for mask_, why in ((empty, "response_min is not below response_max"),
                       (outside, "the challenge cutoff is outside the response range")):
        if mask_.any():
            report.add_many("ITEM_RANGE_INVALID", resource="survey_items", field="challenge_cutoff",
                            rows=items.index[mask_.to_numpy()], values=items["item_id"][mask_].tolist(), detail=why)


@check("CHALLENGE_FLAG_MISMATCH", needs=("survey_relationships", "survey_responses", "survey_items"))
def challenge_flags(t: dict, report: Report):
    rel, resp, items = t["survey_relationships"], t["survey_responses"], t["survey_items"]
    for respondent in ("parent", "clinician"):
        col = f"{respondent}_challenging"
        derived = derive_challenge(resp, items, respondent)
        expected = rel["relationship_id"].map(derived)
        stored = rel[col]
        report.ran("CHALLENGE_FLAG_MISMATCH", "survey_relationships", col, len(rel))
        # compare as strings so that NA == NA and NA != False
        s = stored.astype("object").where(stored.notna(), None).map(lambda v: "blank" if v is None else str(bool(v)).lower())
        e = expected.astype("object").where(expected.notna(), None).map(lambda v: "blank" if v is None else str(bool(v)).lower())
        bad = s != e
        if bad.any():
            report.add_many("CHALLENGE_FLAG_MISMATCH", resource="survey_relationships", field=col,
                            rows=rel.index[bad.to_numpy()], values=s[bad].tolist(), expected=e[bad].tolist())


@check("RELATIONSHIP_PRIOR_VISITS", needs=("survey_relationships",))
def prior_visits(t: dict, report: Report):
    rel = t["survey_relationships"]
    v = rel["prior_visits"]
    report.ran("RELATIONSHIP_PRIOR_VISITS", "survey_relationships", "prior_visits", int(v.notna().sum()))
    bad = (v < MIN_PRIOR_VISITS).fillna(False).astype(bool)
    if bad.any():
        report.add_many("RELATIONSHIP_PRIOR_VISITS", resource="survey_relationships", field="prior_visits",
                        rows=rel.index[bad.to_numpy()], values=v[bad].astype(str).tolist(),
                        detail=v[bad].astype(str).tolist(), expected=MIN_PRIOR_VISITS)


@check("PARENT_RELATIONSHIPS_EXCESS", needs=("survey_relationships",))
def relationships_per_parent(t: dict, report: Report):
    rel = t["survey_relationships"]
    counts = rel.groupby("parent_id")["relationship_id"].transform("size")
    report.ran("PARENT_RELATIONSHIPS_EXCESS", "survey_relationships", "parent_id", int(rel["parent_id"].nunique()))
    over = (counts > MAX_RELATIONSHIPS_PER_PARENT) & ~rel["parent_id"].duplicated()
    if over.any():
        report.add_many("PARENT_RELATIONSHIPS_EXCESS", resource="survey_relationships", field="parent_id",
                        rows=rel.index[over.to_numpy()], values=rel["parent_id"][over].tolist(),
                        detail=counts[over].astype(str).tolist(), expected=MAX_RELATIONSHIPS_PER_PARENT)


@check("REPORT_RESPONSES_MISSING", "RESPONSES_WITHOUT_REPORT",
       needs=("survey_relationships", "survey_responses", "survey_items"))
def report_completeness(t: dict, report: Report):
    rel, resp, items = t["survey_relationships"], t["survey_responses"], t["survey_items"]
    for respondent, instrument in INSTRUMENT_OF.items():
        n_items = int((items["instrument"] == instrument).sum())
        item_ids = set(items.loc[items["instrument"] == instrument, "item_id"])
        sub = resp[(resp["respondent"] == respondent) & resp["item_id"].isin(item_ids)]
        have = sub.groupby("relationship_id")["item_id"].nunique()
        stray = resp[resp["respondent"] == respondent].groupby("relationship_id").size()
        n_have = rel["relationship_id"].map(have).fillna(0).astype(int)
        n_stray = rel["relationship_id"].map(stray).fillna(0).astype(int)
        claimed = rel[f"{respondent}_report"].fillna(False).astype(bool)
        report.ran("REPORT_RESPONSES_MISSING", "survey_relationships", f"{respondent}_report", int(claimed.sum()))
        short = claimed & (n_have < n_items)
        if short.any():
            report.add_many("REPORT_RESPONSES_MISSING", resource="survey_relationships", field=f"{respondent}_report",
                            rows=rel.index[short.to_numpy()], detail=(n_items - n_have[short]).astype(str).tolist(),
                            who=respondent, expected=n_items)
        unclaimed = rel[f"{respondent}_report"].eq(False).fillna(False).astype(bool)
        report.ran("RESPONSES_WITHOUT_REPORT", "survey_relationships", f"{respondent}_report", int(unclaimed.sum()))
        stray_rows = unclaimed & (n_stray > 0)
        if stray_rows.any():
            report.add_many("RESPONSES_WITHOUT_REPORT", resource="survey_relationships", field=f"{respondent}_report",
                            rows=rel.index[stray_rows.to_numpy()], detail=n_stray[stray_rows].astype(str).tolist(),
                            who=respondent)


@check("RESPONSE_OUT_OF_RANGE", "RESPONSE_RESPONDENT_MISMATCH", needs=("survey_responses", "survey_items"))
def response_ranges(t: dict, report: Report):
    resp, items = t["survey_responses"], t["survey_items"]
    it = items.set_index("item_id")
    lo = resp["item_id"].map(it["response_min"])
    hi = resp["item_id"].map(it["response_max"])
    r = resp["response"]
    known = lo.notna() & r.notna()
    report.ran("RESPONSE_OUT_OF_RANGE", "survey_responses", "response", int(known.sum()))
    bad = known & ((r < lo) | (r > hi)).fillna(False).astype(bool)
    if bad.any():
        report.add_many("RESPONSE_OUT_OF_RANGE", resource="survey_responses", field="response",
                        rows=resp.index[bad.to_numpy()], values=r[bad].astype(str).tolist(),
                        detail=resp["item_id"][bad].tolist(),
                        expected=[f"{a}-{b}" for a, b in zip(lo[bad], hi[bad])])
    inst = resp["item_id"].map(it["instrument"])
    want = resp["respondent"].map(INSTRUMENT_OF)
    comparable = inst.notna() & want.notna()
    report.ran("RESPONSE_RESPONDENT_MISMATCH", "survey_responses", "respondent", int(comparable.sum()))
    wrong = comparable & (inst != want)
    if wrong.any():
        owner = {v: k for k, v in INSTRUMENT_OF.items()}
        report.add_many("RESPONSE_RESPONDENT_MISMATCH", resource="survey_responses", field="respondent",
                        rows=resp.index[wrong.to_numpy()], values=resp["respondent"][wrong].tolist(),
                        detail=resp["item_id"][wrong].tolist(), expected=[owner[i] for i in inst[wrong]])


@check("SURVEY_TIMING", needs=("survey_children",))
def survey_timing(t: dict, report: Report):
    ch = t["survey_children"]
    d = ch["days_since_diagnosis"]
    report.ran("SURVEY_TIMING", "survey_children", "days_since_diagnosis", int(d.notna().sum()))
    late = (d > SURVEY_WINDOW_DAYS).fillna(False).astype(bool)
    if late.any():
        report.add_many("SURVEY_TIMING", resource="survey_children", field="days_since_diagnosis",
                        rows=ch.index[late.to_numpy()], values=d[late].astype(str).tolist(),
                        detail=d[late].astype(str).tolist(), expected=SURVEY_WINDOW_DAYS)
