"""Semantic rules of the transcript-coding study (Kaye et al. 2021).

Each rule is vectorized over typed tables (as pedcomm.validation.structure yields them: index = file row
number, nullable dtypes) and tolerates broken references and duplicated keys, which the
structural phase has already reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import standard
from ...validation import identifiers
from ...validation.cast import sensitive
from ...validation.registry import check, parameter
from ...validation.report import Report

#: The role of a discussion's primary oncologist (coding_clinicians.role).
ONCOLOGIST_ROLE = "oncologist"

#: Likely identifiers in an excerpt: the one screen of pedcomm.validation.identifiers, shared with TEXT_IDENTIFIER.
IDENTIFIER_PATTERNS = identifiers.IDENTIFIER_PATTERNS
identifier_kinds = identifiers.identifier_kinds


def _flag(mask: pd.Series) -> np.ndarray:
    """A nullable boolean mask as plain numpy booleans (NA counts as not failing)."""
    return mask.fillna(False).astype(bool).to_numpy()


def _ids(resource: str, name: str, values, report: Report) -> list:
    """Identifier values as shown in findings (pedcomm.validation.masking.shown), also inside details."""
    from ...validation.masking import shown

    vals = list(values)
    return shown(vals, reveal=report.reveal_values, sensitive=sensitive(standard.field(resource, name), vals))


def _num(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return "blank"
    return format(float(v), "g")


def _bool_text(s: pd.Series) -> list[str]:
    return ["blank" if v is pd.NA or v is None else str(bool(v)).lower() for v in s.astype("object")]


def _lookup(frame: pd.DataFrame, key: str, col: str) -> pd.Series:
    """``col`` of ``frame`` by ``key``, ignoring blank and repeated keys (reported elsewhere)."""
    f = frame[frame[key].notna()].drop_duplicates(key)
    return f.set_index(key)[col]


def _attach(keys: pd.Series, frame: pd.DataFrame, key: str, col: str) -> pd.Series:
    """For each of ``keys``, ``col`` of the ``frame`` row with that ``key`` (NA when none), typed as ``col``.

    Unlike ``keys.map(...)``, the result keeps ``col``'s type when ``keys`` is empty (a header-only table).
    """
    looked = _lookup(frame, key, col)
    return pd.Series(looked.reindex(keys.to_numpy()).array, index=keys.index, dtype=looked.dtype)


# -- patients -----------------------------------------------------------------------------------

@check("PATIENT_INELIGIBLE", "PATIENT_ANALYTIC_NOT_PROGRESSED", "PATIENT_DEATH_DAY_INCONSISTENT",
       needs=("coding_patients",))
def patients(t: dict, report: Report):
    p = t["coding_patients"]
    res = "coding_patients"
    elig = p["projected_survival_50_or_less"]
    report.ran("PATIENT_INELIGIBLE", res, "projected_survival_50_or_less", int(elig.notna().sum()))
    bad = _flag(elig.eq(False))
    if bad.any():
        report.add_many("PATIENT_INELIGIBLE", resource=res, field="projected_survival_50_or_less",
                        rows=p.index[bad], values=_ids(res, "patient_id", p["patient_id"][bad], report))

    analytic = _flag(p["analytic_sample"].eq(True))
    report.ran("PATIENT_ANALYTIC_NOT_PROGRESSED", res, "analytic_sample", int(analytic.sum()))
    bad = analytic & ~_flag(p["progressed"].eq(True))
    if bad.any():
        report.add_many("PATIENT_ANALYTIC_NOT_PROGRESSED", resource=res, field="analytic_sample",
                        rows=p.index[bad], values=_ids(res, "patient_id", p["patient_id"][bad], report),
                        detail=_bool_text(p["progressed"][bad]))

    day = p["death_study_day"]
    report.ran("PATIENT_DEATH_DAY_INCONSISTENT", res, "death_study_day", int(day.notna().sum()))
    bad = day.notna().to_numpy() & ~_flag(p["died"].eq(True))
    if bad.any():
        report.add_many("PATIENT_DEATH_DAY_INCONSISTENT", resource=res, field="death_study_day",
                        rows=p.index[bad], values=_ids(res, "patient_id", p["patient_id"][bad], report),
                        detail=[_num(v) for v in day[bad]], expected=_bool_text(p["died"][bad]))


# -- discussions --------------------------------------------------------------------------------

@check("DISCUSSION_SEQUENCE_GAP", "DISCUSSION_SEQUENCE_ORDER", needs=("coding_discussions",))
def sequences(t: dict, report: Report):
    d = t["coding_discussions"]
    res = "coding_discussions"
    sub = d[d["patient_id"].notna() & d["sequence"].notna()]
    g = sub.groupby("patient_id", sort=False)["sequence"]
    size, nuniq, lo, hi = g.size(), g.nunique(), g.min(), g.max()
    report.ran("DISCUSSION_SEQUENCE_GAP", res, "sequence", len(size))
    bad_patients = size.index[((nuniq != size) | (lo != 1) | (hi != size)).to_numpy()]
    if len(bad_patients):
        first_row = sub.index.to_series().groupby(sub["patient_id"].to_numpy()).min()
        rows = first_row.loc[bad_patients].to_numpy()
        order = np.argsort(rows, kind="stable")
        listed = bad_patients[order][: report.max_listed]  # findings in file order
        numbers = sub[sub["patient_id"].isin(listed)].groupby("patient_id")["sequence"].agg(
            lambda s: ", ".join(map(str, sorted(s.astype(int).tolist())[:30])) + (" ..." if len(s) > 30 else ""))
        report.add_many("DISCUSSION_SEQUENCE_GAP", resource=res, field="sequence", rows=rows[order],
                        values=_ids(res, "patient_id", listed, report),
                        detail=[numbers.get(x, "") for x in listed], n=[int(size[x]) for x in listed])

    s = sub[sub["study_day"].notna()].sort_values(["patient_id", "sequence"], kind="stable")
    report.ran("DISCUSSION_SEQUENCE_ORDER", res, "study_day", len(s))
    if len(s):
        by = s["patient_id"].to_numpy()
        prev = s.groupby(by, sort=False)["study_day"].cummax().groupby(by, sort=False).shift()
        bad = _flag(s["study_day"] < prev)
        if bad.any():
            bad_idx = s.index[bad]
            order = np.argsort(bad_idx.to_numpy(), kind="stable")
            bad_idx = bad_idx[order]
            report.add_many("DISCUSSION_SEQUENCE_ORDER", resource=res, field="study_day", rows=bad_idx,
                            values=_ids(res, "discussion_id", d.loc[bad_idx, "discussion_id"], report),
                            detail=[_num(v) for v in d.loc[bad_idx, "study_day"]],
                            expected=[_num(v) for v in prev[bad].to_numpy()[order]])


@check("DISCUSSION_AFTER_DEATH", needs=("coding_discussions", "coding_patients"))
def after_death(t: dict, report: Report):
    d, p = t["coding_discussions"], t["coding_patients"]
    res = "coding_discussions"
    death = _attach(d["patient_id"], p, "patient_id", "death_study_day")
    known = d["study_day"].notna() & death.notna()
    report.ran("DISCUSSION_AFTER_DEATH", res, "study_day", int(known.sum()))
    bad = _flag(known & (d["study_day"] > death))
    if bad.any():
        report.add_many("DISCUSSION_AFTER_DEATH", resource=res, field="study_day", rows=d.index[bad],
                        values=_ids(res, "discussion_id", d["discussion_id"][bad], report),
                        detail=[_num(v) for v in d["study_day"][bad]], expected=[_num(v) for v in death[bad]])


@check("DISCUSSION_DURATION_NONPOSITIVE", "DISCUSSION_DURATION_LONG", needs=("coding_discussions",))
def durations(t: dict, report: Report):
    d = t["coding_discussions"]
    res, col = "coding_discussions", "duration_minutes"
    v = d[col]
    report.ran("DISCUSSION_DURATION_NONPOSITIVE", res, col, int(v.notna().sum()))
    bad = _flag(v <= 0)
    if bad.any():
        report.add_many("DISCUSSION_DURATION_NONPOSITIVE", resource=res, field=col, rows=d.index[bad],
                        values=[_num(x) for x in v[bad]])
    report.ran("DISCUSSION_DURATION_LONG", res, col, int(v.notna().sum()))
    bad = _flag(v > parameter("DISCUSSION_DURATION_LONG", "max_minutes"))
    if bad.any():
        report.add_many("DISCUSSION_DURATION_LONG", resource=res, field=col, rows=d.index[bad],
                        values=[_num(x) for x in v[bad]])


@check("DISCUSSION_ONCOLOGIST_ROLE", needs=("coding_discussions", "coding_clinicians"))
def oncologist_role(t: dict, report: Report):
    d, c = t["coding_discussions"], t["coding_clinicians"]
    res = "coding_discussions"
    role = _attach(d["primary_oncologist_id"], c, "clinician_id", "role")
    report.ran("DISCUSSION_ONCOLOGIST_ROLE", res, "primary_oncologist_id", int(role.notna().sum()))
    bad = _flag(role.notna() & (role != ONCOLOGIST_ROLE))
    if bad.any():
        report.add_many("DISCUSSION_ONCOLOGIST_ROLE", resource=res, field="primary_oncologist_id", rows=d.index[bad],
                        values=_ids(res, "primary_oncologist_id", d["primary_oncologist_id"][bad], report),
                        detail=role[bad].tolist())


# -- codebook -----------------------------------------------------------------------------------

@check("THEME_WITHOUT_CODES", needs=("coding_themes", "coding_codes"))
def themes_have_codes(t: dict, report: Report):
    th, co = t["coding_themes"], t["coding_codes"]
    res = "coding_themes"
    present = th["theme_id"].notna()
    report.ran("THEME_WITHOUT_CODES", res, "theme_id", int(present.sum()))
    bad = _flag(present & ~th["theme_id"].isin(co["theme_id"].dropna().unique()))
    if bad.any():
        report.add_many("THEME_WITHOUT_CODES", resource=res, field="theme_id", rows=th.index[bad],
                        values=_ids(res, "theme_id", th["theme_id"][bad], report))


def normalized_name(names: pd.Series) -> pd.Series:
    """Code names compared without regard to case and spaces."""
    return names.str.strip().str.lower().str.replace(r"\s+", " ", regex=True)


@check("CODE_NAME_DUPLICATE", needs=("coding_codes",))
def code_names(t: dict, report: Report):
    co = t["coding_codes"]
    res = "coding_codes"
    norm = normalized_name(co["name"])
    named = norm.notna()
    report.ran("CODE_NAME_DUPLICATE", res, "name", int(named.sum()))
    dup = _flag(named & norm.duplicated(keep="first"))
    if dup.any():
        first = co[named.to_numpy()].assign(_n=norm[named]).drop_duplicates("_n").set_index("_n")
        report.add_many("CODE_NAME_DUPLICATE", resource=res, field="name", rows=co.index[dup],
                        values=_ids(res, "code_id", co["code_id"][dup], report),
                        detail=_ids(res, "code_id", norm[dup].map(first["code_id"]), report),
                        expected=_ids(res, "theme_id", norm[dup].map(first["theme_id"]), report))


# -- segments -----------------------------------------------------------------------------------

@check("SEGMENT_END_BEFORE_START", needs=("coding_segments",))
def segment_order(t: dict, report: Report):
    s = t["coding_segments"]
    res = "coding_segments"
    known = s["start_seconds"].notna() & s["end_seconds"].notna()
    report.ran("SEGMENT_END_BEFORE_START", res, "end_seconds", int(known.sum()))
    bad = _flag(known & (s["end_seconds"] <= s["start_seconds"]))
    if bad.any():
        report.add_many("SEGMENT_END_BEFORE_START", resource=res, field="end_seconds", rows=s.index[bad],
                        values=[_num(v) for v in s["end_seconds"][bad]],
                        detail=[_num(v) for v in s["start_seconds"][bad]])


@check("SEGMENT_BEYOND_DISCUSSION", needs=("coding_segments", "coding_discussions"))
def segment_within(t: dict, report: Report):
    s, d = t["coding_segments"], t["coding_discussions"]
    res = "coding_segments"
    minutes = _attach(s["discussion_id"], d, "discussion_id", "duration_minutes")
    known = s["end_seconds"].notna() & minutes.notna()
    report.ran("SEGMENT_BEYOND_DISCUSSION", res, "end_seconds", int(known.sum()))
    slack = parameter("SEGMENT_BEYOND_DISCUSSION", "rounding_seconds")
    bad = _flag(known & (s["end_seconds"] > minutes * 60 + slack))
    if bad.any():
        report.add_many("SEGMENT_BEYOND_DISCUSSION", resource=res, field="end_seconds", rows=s.index[bad],
                        values=[_num(v) for v in s["end_seconds"][bad]], detail=[_num(v) for v in minutes[bad]],
                        expected=[_num(v * 60) for v in minutes[bad]])


@check("SEGMENT_DUPLICATE_CODING", needs=("coding_segments",))
def duplicate_coding(t: dict, report: Report):
    seg = t["coding_segments"]
    res = "coding_segments"
    keys = ["discussion_id", "code_id", "coder_id"]
    s = seg[seg[keys + ["start_seconds", "end_seconds"]].notna().all(axis=1)]
    report.ran("SEGMENT_DUPLICATE_CODING", res, "segment_id", len(s))
    if s.empty:
        return
    s = s.sort_values(keys + ["start_seconds", "end_seconds"], kind="stable")
    groups = [s[k].to_numpy() for k in keys]
    running = s.groupby(groups, sort=False)["end_seconds"].cummax()
    # the segment reaching the running maximum end so far: the one an overlap is with
    owner = s["segment_id"].where(s["end_seconds"] == running).groupby(groups, sort=False).ffill()
    prev_end = running.groupby(groups, sort=False).shift()
    prev_owner = owner.groupby(groups, sort=False).shift()
    bad = _flag(s["start_seconds"] < prev_end)
    if bad.any():
        rows = s.index[bad]
        order = np.argsort(rows.to_numpy(), kind="stable")
        report.add_many("SEGMENT_DUPLICATE_CODING", resource=res, field="segment_id", rows=rows[order],
                        values=_ids(res, "segment_id", s["segment_id"][bad].to_numpy()[order], report),
                        detail=_ids(res, "code_id", s["code_id"][bad].to_numpy()[order], report),
                        expected=_ids(res, "segment_id", prev_owner[bad].to_numpy()[order], report))


@check("SEGMENT_CODER_UNASSIGNED", needs=("coding_segments", "coding_discussions"))
def segment_coders(t: dict, report: Report):
    s, d = t["coding_segments"], t["coding_discussions"]
    res = "coding_segments"
    found = s["discussion_id"].isin(d["discussion_id"].dropna().unique())
    primary = _attach(s["discussion_id"], d, "discussion_id", "primary_coder_id")
    second = _attach(s["discussion_id"], d, "discussion_id", "second_coder_id")
    checked = found & s["coder_id"].notna()
    report.ran("SEGMENT_CODER_UNASSIGNED", res, "coder_id", int(checked.sum()))
    ok = _flag(s["coder_id"] == primary) | _flag(s["coder_id"] == second)
    bad = _flag(checked) & ~ok
    if bad.any():
        p_ids = _ids("coding_discussions", "primary_coder_id", primary[bad], report)
        s_ids = _ids("coding_discussions", "second_coder_id", second[bad], report)
        detail = [("primary " + (a if a is not None and a == a else "blank")
                   + (f", second {b}" if b is not None and b == b else "")) for a, b in zip(p_ids, s_ids)]
        report.add_many("SEGMENT_CODER_UNASSIGNED", resource=res, field="coder_id", rows=s.index[bad],
                        values=_ids(res, "coder_id", s["coder_id"][bad], report), detail=detail)


@check("SEGMENT_SPEAKER_ABSENT", needs=("coding_segments", "coding_attendance"))
def speakers_attended(t: dict, report: Report):
    s, a = t["coding_segments"], t["coding_attendance"]
    res = "coding_segments"
    attended = pd.MultiIndex.from_frame(a[["discussion_id", "role"]].dropna())
    with_attendance = s["discussion_id"].isin(attended.get_level_values(0).unique())
    checked = with_attendance & s["speaker_role"].notna()
    report.ran("SEGMENT_SPEAKER_ABSENT", res, "speaker_role", int(checked.sum()))
    sub = s[checked.to_numpy()]
    if sub.empty:
        return
    present = pd.MultiIndex.from_frame(sub[["discussion_id", "speaker_role"]]).isin(attended)
    bad_idx = sub.index[~present]
    if len(bad_idx):
        report.add_many("SEGMENT_SPEAKER_ABSENT", resource=res, field="speaker_role", rows=bad_idx,
                        values=s.loc[bad_idx, "speaker_role"].tolist(),
                        detail=_ids(res, "discussion_id", s.loc[bad_idx, "discussion_id"], report))


@check("EXCERPT_IDENTIFIER", needs=("coding_segments",))
def excerpts(t: dict, report: Report):
    s = t["coding_segments"]
    res = "coding_segments"
    ex = s["excerpt"]
    report.ran("EXCERPT_IDENTIFIER", res, "excerpt", int(ex.notna().sum()))
    kinds = identifier_kinds(ex)
    bad = (kinds != "").to_numpy()
    if bad.any():
        report.add_many("EXCERPT_IDENTIFIER", resource=res, field="excerpt", rows=s.index[bad],
                        values=ex[bad].tolist(), sensitive=True, detail=kinds[bad].tolist())
