"""Survey study: every odds ratio under every unpublished choice survey.yaml declares (``sensitivity``).

Each variant changes one setting of survey.yaml (dotted paths in ``set``; terms it removes in
``drop``) and refits the models it concerns on the same validated tables; the first column is
survey.yaml as written. A cell is marked when its 95% CI lies on the other side of 1 than the
default's (or straddles 1 where the default's does not): the conclusion depends on that choice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ....analysis.clusters import REFUSED, check_clusters
from ....analysis.rounding import fmt, p_data
from ....analysis.table import Table
from .design import analysis_frame, config, design, with_changes
from .models import TERM_LABELS, ModelSettings, cluster_counts, clusters_text, fit

DEFAULT = {"id": "default", "label": "As configured (survey.yaml)", "set": {}, "why": "The choices written in survey.yaml."}
MARK = "†"


def variants() -> list[dict]:
    return [DEFAULT, *config()["sensitivity"]["variants"]]


def _side(lo: float, hi: float) -> int:
    """-1: CI below 1, +1: above 1, 0: includes 1."""
    return -1 if hi < 1 else (1 if lo > 1 else 0)


def _fit_variant(t: dict, frames: dict, v: dict, level: float) -> list[dict]:
    cfg = with_changes(v.get("set", {}))
    key = repr(sorted((k, repr(x)) for k, x in v.get("set", {}).items() if k.startswith("definitions.")))
    if key not in frames:  # the analysis variables depend on the definitions only
        frames[key] = analysis_frame(t, cfg)
    frame = frames[key]
    settings = ModelSettings.from_config(cfg=cfg)
    rows = []
    for name in v.get("models", list(cfg["models"])):
        drop = tuple(v.get("drop", ()))
        _, y, groups = design(frame, name, cfg, drop)
        base = {"variant": v["id"], "variant_label": v["label"], "model": name, "n_relationships": len(y),
                "events": int(y.sum()), "ci_method": settings.ci_method()}
        report = check_clusters({f"{name} model": cluster_counts(groups, settings)})
        if REFUSED in report.codes():
            rows.append({**base, "term": "", "note": "; ".join(f.message for f in report.findings)})
            continue
        m = fit(frame, name, settings, cfg, drop)
        base["clusters"] = clusters_text(m.n_clusters)
        if m.status != "fitted":
            rows.append({**base, "term": "", "note": m.reason})
            continue
        for term, b, lo, hi, p, kind in zip(m.terms, m.coef, m.lower, m.upper, m.p, m.intervals):
            if term == "const" or not np.isfinite(b):
                continue
            rows.append({**base, "term": term, "odds_ratio": float(np.exp(b)), "ci_lower": float(np.exp(lo)),
                         "ci_upper": float(np.exp(hi)), "p_value": float(p),
                         "ci_method": settings.interval_method(kind, m.bias_reduced)})
    return rows


def sensitivity(t: dict[str, pd.DataFrame], level: float = 0.95) -> Table:
    frames: dict = {}
    rows = [r for v in variants() for r in _fit_variant(t, frames, v, level)]
    data = pd.DataFrame(rows)
    for c in ("odds_ratio", "ci_lower", "ci_upper", "p_value", "note", "clusters"):
        if c not in data:
            data[c] = np.nan
    default = data[data["variant"] == "default"].set_index(["model", "term"])
    changed = []
    for r in data.itertuples():
        d = default.loc[(r.model, r.term)] if (r.model, r.term) in default.index else None
        changed.append(bool(d is not None and r.term and pd.notna(r.ci_lower)
                            and _side(r.ci_lower, r.ci_upper) != _side(d["ci_lower"], d["ci_upper"])))
    data["conclusion_differs"] = changed
    data["p_value"] = [p_data(p) for p in data["p_value"].astype("float64")]
    for c in ("odds_ratio", "ci_lower", "ci_upper"):
        data[c] = data[c].astype("float64").round(6)
    # the exact survey.yaml settings of each variant, for machines and for rerunning it (the notes say it in words)
    settings = {v["id"]: ", ".join(f"{k} = {x}" for k, x in v.get("set", {}).items()) for v in variants()}
    data["changes"] = [settings.get(v, "") for v in data["variant"]]
    data = data[["variant", "variant_label", "model", "term", "odds_ratio", "ci_lower", "ci_upper", "p_value",
                 "conclusion_differs", "n_relationships", "events", "clusters", "ci_method", "note", "changes"]]

    titles = {name: spec["title"] for name, spec in config()["models"].items()}
    terms = list(dict.fromkeys((r.model, r.term) for r in data.itertuples() if r.term))
    cols = {}
    for v in variants():
        sub = data[data["variant"] == v["id"]]
        cells = {}
        for r in sub.itertuples():
            if r.term:
                cells[(r.model, r.term)] = (f"{fmt(r.odds_ratio, 2)} ({fmt(r.ci_lower, 2)}-{fmt(r.ci_upper, 2)})"
                                            + (f" {MARK}" if r.conclusion_differs else ""))
        models = set(v.get("models", titles))
        cols[v["label"]] = [cells.get(k, "not in this variant") if k[0] in models else "same as default"
                            for k in terms]
    display = pd.DataFrame({"Model": [titles[m] for m, _ in terms],
                            "Characteristic": [TERM_LABELS.get(t_, t_) for _, t_ in terms], **cols})
    conf = f"{level:.0%}"
    notes = [f"Odds ratios ({conf} CI). First column: survey.yaml as written; each other column changes one "
             "unpublished choice of survey.yaml and refits the model(s) it concerns. "
             f"{MARK}: the {conf} CI is on a different side of 1 than in the first column (or includes 1 where "
             "the first column's does not, or the reverse): that conclusion depends on the choice.",
             "'same as default': the variant does not concern this model; 'not in this variant': the variant "
             "removes this term (its contrast is defined differently). The exact survey.yaml settings of each "
             "variant are in the CSV (column changes)."]
    for v in variants():
        sub = data[data["variant"] == v["id"]]
        sizes = "; ".join(f"{m} model {n} relationships ({e} challenging){', ' + c if isinstance(c, str) else ''}"
                          for m, n, e, c in sub.drop_duplicates("model")[["model", "n_relationships", "events",
                                                                          "clusters"]].itertuples(index=False))
        drop = f" Terms left out: {'; '.join(TERM_LABELS.get(d, d) for d in v['drop'])}." if v.get("drop") else ""
        refused = "; ".join(str(x) for x in sub["note"].dropna().unique())
        notes.append(f"{v['label']}: {v['why']}{drop} CIs: {sub['ci_method'].iloc[0]}. "
                     f"{sizes}." + (f" Not estimated: {refused}" if refused else ""))
    notes.append(f"Why these variants: {config()['sensitivity']['assumption']}")
    return Table("survey_sensitivity", "Sensitivity of the odds ratios to unpublished analysis choices", data, display, notes)
