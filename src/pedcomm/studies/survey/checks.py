"""Semantic rules of the survey study (Mack et al. 2021)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...standard.cells import FALSE_TEXT, TRUE_TEXT
from ...validation import arrowops
from ...validation.registry import check, parameter
from ...validation.report import Report
from .rules import INSTRUMENT_OF, _num, _take, derive_challenge


def _state(values) -> np.ndarray:
    """'true' / 'false' / 'blank' per value of a nullable boolean."""
    v = pd.array(values, dtype="boolean")
    return np.where(pd.isna(v), "blank", np.where(v.fillna(False).to_numpy(dtype=bool), TRUE_TEXT, FALSE_TEXT))


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
        expected = _state(derive_challenge(resp, items, respondent, rel["relationship_id"]).array)
        stored = _state(rel[col].array)
        report.ran("CHALLENGE_FLAG_MISMATCH", "survey_relationships", col, len(rel))
        bad = stored != expected
        if bad.any():
            report.add_many("CHALLENGE_FLAG_MISMATCH", resource="survey_relationships", field=col,
                            rows=rel.index[bad], values=stored[bad][: report.max_listed].tolist(),
                            expected=expected[bad][: report.max_listed].tolist())


@check("RELATIONSHIP_PRIOR_VISITS", needs=("survey_relationships",))
def prior_visits(t: dict, report: Report):
    rel = t["survey_relationships"]
    v = rel["prior_visits"]
    report.ran("RELATIONSHIP_PRIOR_VISITS", "survey_relationships", "prior_visits", int(v.notna().sum()))
    minimum = parameter("RELATIONSHIP_PRIOR_VISITS", "min_prior_visits")
    bad = (v < minimum).fillna(False).astype(bool)
    if bad.any():
        report.add_many("RELATIONSHIP_PRIOR_VISITS", resource="survey_relationships", field="prior_visits",
                        rows=rel.index[bad.to_numpy()], values=v[bad].astype(str).tolist(),
                        detail=v[bad].astype(str).tolist())


@check("RELATIONSHIP_VISIT_RATE", needs=("survey_relationships", "survey_children"))
def visit_rate(t: dict, report: Report):
    """Prior visits cannot outnumber the days since the child's diagnosis (times the registry's
    max_visits_per_day): the visits lie between the diagnosis and the survey."""
    rel, children = t["survey_relationships"], t["survey_children"]
    per_day = float(parameter("RELATIONSHIP_VISIT_RATE", "max_visits_per_day"))
    cid = arrowops.index_in(rel["parent_id"], children["parent_id"])
    days = _take(_num(children["days_since_diagnosis"]), cid)
    visits = _num(rel["prior_visits"])
    known = ~np.isnan(days) & ~np.isnan(visits)
    report.ran("RELATIONSHIP_VISIT_RATE", "survey_relationships", "prior_visits", int(known.sum()))
    with np.errstate(invalid="ignore"):
        bad = known & (visits > per_day * days)
    if bad.any():
        k = report.max_listed
        report.add_many("RELATIONSHIP_VISIT_RATE", resource="survey_relationships", field="prior_visits",
                        rows=rel.index[bad], values=[str(int(v)) for v in visits[bad][:k]],
                        detail=[str(int(d)) for d in days[bad][:k]], expected=f"{per_day:g}")


@check("PARENT_RELATIONSHIPS_EXCESS", needs=("survey_relationships",))
def relationships_per_parent(t: dict, report: Report):
    rel = t["survey_relationships"]
    codes, uniques = pd.factorize(rel["parent_id"])
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    per_row = np.where(codes >= 0, counts[np.clip(codes, 0, None)], 0)
    first = ~pd.Series(codes).duplicated().to_numpy()
    report.ran("PARENT_RELATIONSHIPS_EXCESS", "survey_relationships", "parent_id", len(uniques))
    most = parameter("PARENT_RELATIONSHIPS_EXCESS", "max_relationships")
    over = (per_row > most) & first & (codes >= 0)
    if over.any():
        report.add_many("PARENT_RELATIONSHIPS_EXCESS", resource="survey_relationships", field="parent_id",
                        rows=rel.index[over], values=rel["parent_id"][over].tolist()[: report.max_listed],
                        detail=per_row[over].astype(str).tolist()[: report.max_listed])


@check("REPORT_RESPONSES_MISSING", "RESPONSES_WITHOUT_REPORT",
       needs=("survey_relationships", "survey_responses", "survey_items"))
def report_completeness(t: dict, report: Report):
    rel, resp, items = t["survey_relationships"], t["survey_responses"], t["survey_items"]
    n_rel = len(rel)
    rid = arrowops.index_in(resp["relationship_id"], rel["relationship_id"])
    iid = arrowops.index_in(resp["item_id"], items["item_id"])
    instruments = items["instrument"].astype(object).to_numpy()
    for respondent, instrument in INSTRUMENT_OF.items():
        n_items = int((instruments == instrument).sum())
        mine = arrowops.equals(resp["respondent"], respondent) & (rid >= 0)
        of_instrument = _take(instruments == instrument, iid, False).astype(bool)
        # one row per (relationship, respondent, item): the primary key is unique here
        n_have = np.bincount(rid[mine & of_instrument], minlength=n_rel)
        n_stray = np.bincount(rid[mine], minlength=n_rel)
        flag = rel[f"{respondent}_report"].array
        claimed = flag.fillna(False).to_numpy(dtype=bool)
        report.ran("REPORT_RESPONSES_MISSING", "survey_relationships", f"{respondent}_report", int(claimed.sum()))
        short = claimed & (n_have < n_items)
        if short.any():
            report.add_many("REPORT_RESPONSES_MISSING", resource="survey_relationships", field=f"{respondent}_report",
                            rows=rel.index[short], detail=(n_items - n_have[short]).astype(str).tolist()[: report.max_listed],
                            who=respondent, expected=n_items)
        unclaimed = (~flag.fillna(True)).to_numpy(dtype=bool)
        report.ran("RESPONSES_WITHOUT_REPORT", "survey_relationships", f"{respondent}_report", int(unclaimed.sum()))
        stray = unclaimed & (n_stray > 0)
        if stray.any():
            report.add_many("RESPONSES_WITHOUT_REPORT", resource="survey_relationships", field=f"{respondent}_report",
                            rows=rel.index[stray], detail=n_stray[stray].astype(str).tolist()[: report.max_listed],
                            who=respondent)


@check("RESPONSE_OUT_OF_RANGE", "RESPONSE_RESPONDENT_MISMATCH", needs=("survey_responses", "survey_items"))
def response_ranges(t: dict, report: Report):
    resp, items = t["survey_responses"], t["survey_items"]
    iid = arrowops.index_in(resp["item_id"], items["item_id"])
    lo, hi = _take(_num(items["response_min"]), iid), _take(_num(items["response_max"]), iid)
    r = _num(resp["response"])
    known = (iid >= 0) & ~np.isnan(r)
    report.ran("RESPONSE_OUT_OF_RANGE", "survey_responses", "response", int(known.sum()))
    with np.errstate(invalid="ignore"):
        bad = known & ((r < lo) | (r > hi))
    if bad.any():
        k = report.max_listed
        report.add_many("RESPONSE_OUT_OF_RANGE", resource="survey_responses", field="response",
                        rows=resp.index[bad], values=[str(int(v)) for v in r[bad][:k]],
                        detail=resp["item_id"][bad].tolist()[:k],
                        expected=[f"{int(a)}-{int(b)}" for a, b in zip(lo[bad][:k], hi[bad][:k])])
    # compare instrument codes as integers: respondent -> its instrument, item -> its instrument
    names = list(INSTRUMENT_OF.values())
    item_inst = arrowops.index_in(items["instrument"], pd.Series(names))
    inst = _take(item_inst, iid, -1)
    want = arrowops.index_in(resp["respondent"], pd.Series(list(INSTRUMENT_OF)))
    comparable = (inst >= 0) & (want >= 0)
    report.ran("RESPONSE_RESPONDENT_MISMATCH", "survey_responses", "respondent", int(comparable.sum()))
    wrong = comparable & (inst != want)
    if wrong.any():
        k = report.max_listed
        owners = list(INSTRUMENT_OF)
        report.add_many("RESPONSE_RESPONDENT_MISMATCH", resource="survey_responses", field="respondent",
                        rows=resp.index[wrong], values=resp["respondent"][wrong].tolist()[:k],
                        detail=resp["item_id"][wrong].tolist()[:k], expected=[owners[i] for i in inst[wrong][:k]])


@check("SURVEY_TIMING", needs=("survey_children",))
def survey_timing(t: dict, report: Report):
    ch = t["survey_children"]
    d = ch["days_since_diagnosis"]
    report.ran("SURVEY_TIMING", "survey_children", "days_since_diagnosis", int(d.notna().sum()))
    late = (d > parameter("SURVEY_TIMING", "window_days")).fillna(False).astype(bool)
    if late.any():
        report.add_many("SURVEY_TIMING", resource="survey_children", field="days_since_diagnosis",
                        rows=ch.index[late.to_numpy()], values=d[late].astype(str).tolist(),
                        detail=d[late].astype(str).tolist())
