"""Coding study: intercoder agreement on the double-coded discussions (per code, per theme, overall).

Presence agreement. For a code (or theme) and the D double-coded discussions, each coder either
applied it in a discussion (at least once) or not; the 2x2 table over the D discussions gives the
percent agreement (both or neither, of D) and Cohen's kappa (agreement.kappa_arrays: Wald CI with the
Fleiss-Cohen-Everitt standard error; undefined when chance agreement is 1, i.e. both coders never,
or both always, applied it). The overall rows pool the 2x2 tables of all codes (or all themes): one
table over the code x discussion decisions. Those decisions are clustered: the codes of one
discussion are decided by the same two coders on the same recording, so the pooled rows also carry a
kappa interval clustered by discussion (clustered.kappa: design-based variance, G/(G-1)), beside the
one that treats the decisions as independent; per code (theme) each discussion gives one decision,
so there is nothing to cluster.

Span agreement. For a code (or theme) c in a double-coded discussion d, let P be the set of seconds
of the recording covered by the primary coder's segments with c in d (the union of their
[start_seconds, end_seconds) intervals) and S the same for the second coder. The unit (c, d) counts
when P or S is non-empty; its overlap is |P n S| / |P u S| (intersection over union, IoU). Per code
the pooled IoU is sum|P n S| / sum|P u S| over its units (discussions); overall, over all units of
all codes (themes). A code applied by one coder only adds its seconds to the union, none to the
intersection.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ....analysis import clustered
from ....analysis.agreement import KAPPA_BOUNDARY, KAPPA_CI, cohen_kappa_2x2
from ....analysis.clusters import REFUSED, check_clusters
from ....analysis.rounding import fmt
from ....analysis.table import Table
from .design import Coding, code_order, config, presence, theme_order

CELLS = ["both", "primary_only", "second_only", "neither"]


def presence_tables(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """2x2 cells per column of two boolean discussion x item matrices (same shape): index = items."""
    a, b = first.to_numpy(dtype=bool), second.to_numpy(dtype=bool)
    return pd.DataFrame({"both": (a & b).sum(axis=0), "primary_only": (a & ~b).sum(axis=0),
                         "second_only": (~a & b).sum(axis=0), "neither": (~a & ~b).sum(axis=0)},
                        index=first.columns).astype("int64")


def span_overlap(first: pd.DataFrame, second: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Seconds covered by both coders (intersection) and by either (union), per unit ``keys``.

    ``first`` and ``second`` hold ``keys``, ``start_seconds`` and ``end_seconds``; each coder's
    overlapping segments count once (a sweep over the segment ends, vectorized over units)."""
    parts = []
    for coder, segs in enumerate((first, second)):
        unit = segs[keys].astype("object")
        start = pd.to_numeric(segs["start_seconds"], errors="coerce").astype("float64")
        end = pd.to_numeric(segs["end_seconds"], errors="coerce").astype("float64")
        ok = (start.notna() & end.notna() & (end > start)).to_numpy()
        for t, delta in ((start, 1), (end, -1)):
            parts.append(unit[ok].assign(t=t[ok].to_numpy(), d0=delta * (coder == 0), d1=delta * (coder == 1)))
    if not parts or sum(len(p) for p in parts) == 0:
        return pd.DataFrame(columns=[*keys, "intersection", "union"])
    ev = pd.concat(parts, ignore_index=True).sort_values([*keys, "t"], kind="mergesort").reset_index(drop=True)
    g = ev.groupby(keys, sort=False)
    c0, c1 = g["d0"].cumsum(), g["d1"].cumsum()
    length = (g["t"].shift(-1) - ev["t"]).fillna(0.0)
    ev["intersection"] = length.where((c0 > 0) & (c1 > 0), 0.0)
    ev["union"] = length.where((c0 > 0) | (c1 > 0), 0.0)
    return ev.groupby(keys, sort=True)[["intersection", "union"]].sum().reset_index()


def _spans(c: Coding, by: str) -> pd.DataFrame:
    keys = ["discussion_id", by]
    first = c.segments[c.segments["discussion_id"].isin(c.double["discussion_id"])]
    return span_overlap(first, c.second, keys)


def _rows(level: str, ids: list[str], cells: pd.DataFrame, spans: pd.DataFrame, by: str, names: dict,
          themes_of: dict) -> pd.DataFrame:
    pooled = spans.groupby(by)[["intersection", "union"]].sum().reindex(ids, fill_value=0.0)
    units = spans[spans["union"] > 0].groupby(by).size().reindex(ids, fill_value=0)
    return pd.DataFrame({
        "level": level, "theme_id": [themes_of.get(i, i) for i in ids], "code_id": ids if level == "code" else "",
        "name": [names[i] for i in ids], **{k: cells.loc[ids, k].to_numpy() for k in CELLS},
        "span_units": units.to_numpy(), "span_intersection_seconds": pooled["intersection"].to_numpy(),
        "span_union_seconds": pooled["union"].to_numpy()})


def _overall(label: str, frame: pd.DataFrame, spans: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"level": "overall", "theme_id": "", "code_id": "", "name": label,
                         **{k: [int(frame[k].sum())] for k in CELLS}, "span_units": [int((spans["union"] > 0).sum())],
                         "span_intersection_seconds": [float(spans["intersection"].sum())],
                         "span_union_seconds": [float(spans["union"].sum())]})


def agreement_frame(c: Coding, level: float = 0.95) -> pd.DataFrame:
    """One row per theme (followed by its codes), then the pooled rows: 2x2 cells, percent
    agreement, kappa with CI, span units and seconds, pooled IoU."""
    themes, codes = theme_order(c), code_order(c)
    disc = c.double["discussion_id"].astype("object")
    first = c.segments[c.segments["discussion_id"].isin(disc)]
    theme_cells = presence_tables(presence(first, disc, "theme_id", themes), presence(c.second, disc, "theme_id", themes))
    code_cells = presence_tables(presence(first, disc, "code_id", codes), presence(c.second, disc, "code_id", codes))
    theme_spans, code_spans = _spans(c, "theme_id"), _spans(c, "code_id")
    pooled_clustered = {
        "All codes (pooled)": _clustered(code_cells_frames(first, c.second, disc, "code_id", codes), disc, level),
        "All themes (pooled)": _clustered(code_cells_frames(first, c.second, disc, "theme_id", themes), disc, level)}
    names = dict(zip(c.themes["theme_id"], c.themes["name"])) | dict(zip(c.codes["code_id"], c.codes["name"]))
    theme_of = dict(zip(c.codes["code_id"], c.codes["theme_id"]))
    by_theme = _rows("theme", themes, theme_cells, theme_spans, "theme_id", names, {})
    by_code = _rows("code", codes, code_cells, code_spans, "code_id", names, theme_of)
    parts = []
    for th in themes:
        parts += [by_theme[by_theme["theme_id"] == th], by_code[by_code["theme_id"] == th]]
    parts += [_overall("All codes (pooled)", by_code, code_spans), _overall("All themes (pooled)", by_theme, theme_spans)]
    data = pd.concat(parts, ignore_index=True)
    both, first_only, second_only, neither = (data[x] for x in CELLS)
    k = cohen_kappa_2x2(both, first_only, second_only, neither, level=level)
    data["discussions"] = len(disc)
    data["percent_agreement"] = (100 * k["observed"]).round(6).to_numpy()
    data["kappa"] = k["kappa"].round(6).to_numpy()
    data["kappa_ci_lower"] = k["lower"].clip(lower=-1.0).round(6).to_numpy()  # kappa lies in [-1, 1]
    data["kappa_ci_upper"] = k["upper"].clip(upper=1.0).round(6).to_numpy()
    iou = data["span_intersection_seconds"] / data["span_union_seconds"].where(data["span_union_seconds"] > 0)
    data["span_iou"] = iou.astype("float64").round(6)
    est = [pooled_clustered.get(n) if lv == "overall" else None for lv, n in zip(data["level"], data["name"])]
    data["kappa_clustered_ci_lower"] = [None if e is None else round(e.lower, 6) for e in est]
    data["kappa_clustered_ci_upper"] = [None if e is None else round(e.upper, 6) for e in est]
    data["kappa_se_naive"] = [None if e is None else round(e.naive_se, 6) for e in est]
    data["kappa_se_clustered"] = [None if e is None else round(e.se, 6) for e in est]
    for col in ("kappa_clustered_ci_lower", "kappa_clustered_ci_upper", "kappa_se_naive", "kappa_se_clustered"):
        data[col] = data[col].astype("float64")
    data["clusters"] = np.where(data["level"] == "overall", len(disc), 0)
    data["span_intersection_seconds"] = data["span_intersection_seconds"].astype("float64").round(6)
    data["span_union_seconds"] = data["span_union_seconds"].astype("float64").round(6)
    return data[["level", "theme_id", "code_id", "name", "discussions", *CELLS, "percent_agreement", "kappa",
                 "kappa_ci_lower", "kappa_ci_upper", "kappa_clustered_ci_lower", "kappa_clustered_ci_upper",
                 "kappa_se_naive", "kappa_se_clustered", "clusters", "span_units", "span_intersection_seconds",
                 "span_union_seconds", "span_iou"]]


def code_cells_frames(first: pd.DataFrame, second: pd.DataFrame, disc: pd.Series, by: str, ids: list[str]):
    """The two coders' presence matrices (discussion x code or theme) of the double-coded discussions."""
    return presence(first, disc, by, ids), presence(second, disc, by, ids)


def _clustered(frames, disc: pd.Series, level: float):
    """Pooled kappa over every (discussion, item) decision, clustered by discussion; None when the
    discussions are fewer than the fewest clusters pedcomm accepts (CLUSTERS_TOO_FEW) or kappa is undefined."""
    a, b = frames
    if a.size == 0 or REFUSED in check_clusters({"pooled kappa": {"discussion_id": len(disc)}}).codes():
        return None
    ids = np.repeat(np.asarray(disc, dtype=object), a.shape[1])  # row-major: each discussion's items together
    est = clustered.kappa(a.to_numpy().ravel(), b.to_numpy().ravel(), [ids], level)
    return None if est.estimate != est.estimate else est


def _kappa_text(k, lo, hi) -> str:
    if pd.isna(k):
        return "n/a"
    return f"{fmt(k, 2)} (no interval: a coder never, or always, applied it)" if pd.isna(lo) else \
        f"{fmt(k, 2)} ({fmt(lo, 2)} to {fmt(hi, 2)})"


def agreement_findings(data: pd.DataFrame) -> list:
    """AGREEMENT_DEGENERATE for the codes and themes whose 2x2 table has no disagreement or a
    coder who never (or always) applied it."""
    from ....analysis.agreement_checks import degenerate_tables

    names = np.where(data["level"] == "code", data["code_id"], np.where(data["level"] == "theme", data["theme_id"],
                                                                         data["name"]))
    cells = zip(data["both"], data["primary_only"], data["second_only"], data["neither"])
    return degenerate_tables("intercoder agreement", [(str(n), tuple(int(v) for v in c)) for n, c in zip(names, cells)])


def agreement(c: Coding) -> Table:
    level = float(config()["agreement"]["level"])
    data = agreement_frame(c, level)
    n = len(c.double)
    label = np.where(data["level"] == "code", data["code_id"] + ": " + data["name"], data["name"])
    display = pd.DataFrame({
        "Theme / code": label,
        "Both": data["both"], "Primary only": data["primary_only"], "Second only": data["second_only"],
        "Neither": data["neither"],
        "Agreement, %": [fmt(p, 1) for p in data["percent_agreement"]],
        f"Kappa ({level:.0%} CI, decisions as independent)": [
            _kappa_text(*v) for v in zip(data["kappa"], data["kappa_ci_lower"], data["kappa_ci_upper"])],
        f"{level:.0%} CI clustered by discussion": [
            "" if pd.isna(lo) else f"{fmt(lo, 2)} to {fmt(hi, 2)}"
            for lo, hi in zip(data["kappa_clustered_ci_lower"], data["kappa_clustered_ci_upper"])],
        "Span IoU": ["n/a" if pd.isna(v) else fmt(v, 2) for v in data["span_iou"]],
    })
    coders = pd.concat([c.double["primary_coder_id"], c.double["second_coder_id"]]).nunique()
    judged = check_clusters({"pooled intercoder kappa": {"discussion_id": n}}) if n else None
    cluster_notes = [] if judged is None else [f"{f.code}: {f.message}" for f in judged.findings]
    notes = [
        f"{n} double-coded discussions of the analytic sample ({n} of {len(c.coded)} coded discussions; {coders} coders). "
        "Both / Primary only / Second only / Neither: discussions in which the primary and the second coder applied "
        "the code (theme); theme rows: any of the theme's codes.",
        f"Agreement: (Both + Neither) / {n}. Kappa: Cohen's kappa on presence per discussion, {KAPPA_CI} ({KAPPA_BOUNDARY} "
        "where the coders never disagree; no interval where one coder never, or always, applied it); n/a where "
        "undefined (both coders never, or always, applied it); Wald limits truncated to [-1, 1] (with few "
        "discussions they are rough). Pooled rows: one 2x2 table over all code (theme) x "
        "discussion decisions.",
        f"Pooled kappa clustered by discussion: the {n} discussions are the clusters of the code (theme) x "
        f"discussion decisions; {clustered.WALD_LINEARIZED.format(clusters='discussion_id')} (G/(G-1)), limits "
        "truncated to [-1, 1]. Per code (theme) each discussion is one decision: nothing to cluster.",
        *cluster_notes,
        *[f"{f.code}: {f.message}" for f in agreement_findings(data)],
        "Span IoU: seconds of the recording covered by both coders' segments of the code (theme) over the seconds "
        "covered by either, summed over the discussions in which either applied it (overall rows: over all codes or "
        "themes too); n/a where neither coder applied it.",
    ]
    return Table("coding_agreement", "Intercoder agreement on double-coded discussions", data, pd.DataFrame(display), notes)
