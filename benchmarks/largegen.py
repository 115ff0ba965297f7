"""Large valid survey packages for benchmarks (vectorized; not calibrated to the publication).

    python benchmarks/largegen.py --relationships 100000 --out /tmp/big100k [--dirty 0.05]

The shipped generator (pedcomm synth) calibrates 676 relationships to the published figures with
a swap search; that does not scale and need not: benchmarks need valid, realistic shapes.
With coding data (the default) the shipped coding tables are replicated in proportion: one copy
per 676 relationships (the published survey size), each copy's patients, discussions, attendance
and segments under their own identifier prefix, sharing themes, codes, coders and clinicians.
With --dirty F about a fraction F of the cells of the two largest tables are corrupted
(text in integers, unknown codes, out-of-range values), so every check has work to report.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from pedcomm import standard
from pedcomm.studies.survey.rules import derive_challenge
from pedcomm.studies.survey.synth import ITEMS
from pedcomm.synth.write import descriptor_for


def _write(frame: pd.DataFrame, path: Path, columns: list[str]):
    out = frame[columns].copy()
    for c in out.columns:
        if out[c].dtype == bool:
            out[c] = np.where(out[c], "true", "false")
    out.to_csv(path, index=False, lineterminator="\n")


def coding_tables(n_rel: int) -> dict[str, pd.DataFrame]:
    """The shipped coding tables, replicated once per 676 relationships (at least once)."""
    k = max(1, round(n_rel / 676))
    shipped = standard.example_package() / "data"

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(shipped / f"{name}.csv", dtype=str, keep_default_na=False)

    shared = {n: read(n) for n in ("coding_themes", "coding_codes", "coding_coders", "coding_clinicians")}
    base = {n: read(n) for n in ("coding_patients", "coding_discussions", "coding_attendance", "coding_segments")}
    prefixes = np.char.add("X", np.arange(1, k + 1).astype(str))
    keyed = {"coding_patients": ["patient_id"], "coding_discussions": ["discussion_id", "patient_id"],
             "coding_attendance": ["discussion_id"], "coding_segments": ["segment_id", "discussion_id"]}
    out = dict(shared)
    for name, frame in base.items():
        rep = frame.loc[np.tile(np.arange(len(frame)), k)].reset_index(drop=True)
        pre = np.repeat(prefixes, len(frame))
        for col in keyed[name]:
            rep[col] = np.char.add(np.char.add(pre, "-"), rep[col].to_numpy().astype(str))
        out[name] = rep
    return out


def make(n_rel: int, out: Path, seed: int = 1, dirty: float = 0.0, coding: bool = True) -> Path:
    rng = np.random.default_rng(seed)
    n_par = int(np.ceil(n_rel / 1.69))
    n_cli = max(80, n_rel // 8)
    out.mkdir(parents=True)
    (out / "data").mkdir()
    shutil.copytree(standard.SCHEMAS, out / "schemas", dirs_exist_ok=True)
    if not coding:
        for p in list((out / "schemas").glob("*.json")):
            if not p.name.startswith("survey_"):
                p.unlink()
    sites = pd.DataFrame({"site_id": ["S1", "S2"], "site_name": ["Site one", "Site two"]})
    pid = np.char.add("P", np.arange(1, n_par + 1).astype(str))
    parents = pd.DataFrame({
        "parent_id": pid, "site_id": rng.choice(["S1", "S2"], n_par),
        "sex": rng.choice(["female", "male"], n_par, p=[0.75, 0.25]),
        "race_ethnicity": rng.choice(["asian", "black", "hispanic", "white", "other", ""], n_par),
        "education": rng.choice(standard.enum("survey_parents", "education"), n_par),
        "hads_anxiety": rng.integers(0, 22, n_par), "hads_depression": rng.integers(0, 22, n_par),
        "mixed_messages": rng.integers(1, 6, n_par), "pc_transitions": np.round(rng.uniform(1, 5, n_par) * 4) / 4,
    })
    children = pd.DataFrame({
        "child_id": np.char.add("C", np.arange(1, n_par + 1).astype(str)), "parent_id": pid,
        "age_years": rng.integers(0, 22, n_par), "sex": rng.choice(["female", "male"], n_par),
        "diagnosis_group": rng.choice(standard.enum("survey_children", "diagnosis_group"), n_par),
        "days_since_diagnosis": rng.integers(10, 93, n_par),
    })
    cid = np.char.add("K", np.arange(1, n_cli + 1).astype(str))
    clinicians = pd.DataFrame({"clinician_id": cid, "site_id": rng.choice(["S1", "S2"], n_cli),
                               "role": rng.choice(["attending", "fellow", "nurse_practitioner"], n_cli),
                               "sex": rng.choice(["female", "male"], n_cli), "years_in_practice": rng.integers(0, 40, n_cli)})
    # each parent 1 or 2 relationships, n_rel in all
    per = np.ones(n_par, dtype=int)
    per[: n_rel - n_par] = 2
    rel_parent = np.repeat(pid, per)[:n_rel]
    rel = pd.DataFrame({"relationship_id": np.char.add("R", np.arange(1, n_rel + 1).astype(str)),
                        "parent_id": rel_parent, "clinician_id": rng.choice(cid, n_rel),
                        "prior_visits": 3 + rng.integers(0, 30, n_rel),
                        "parent_report": np.ones(n_rel, dtype=bool), "clinician_report": rng.random(n_rel) < 0.5})
    items = pd.DataFrame(ITEMS, columns=[f["name"] for f in standard.schema("survey_items")["fields"]])
    parts = []
    for who, inst, mask in (("parent", "rcs_p", rel["parent_report"].to_numpy()),
                            ("clinician", "rcs_c", rel["clinician_report"].to_numpy())):
        its = items[items["instrument"] == inst]
        ids = rel["relationship_id"].to_numpy()[mask]
        for _, it in its.iterrows():
            parts.append(pd.DataFrame({"relationship_id": ids, "respondent": who, "item_id": it["item_id"],
                                       "response": rng.integers(it["response_min"], it["response_max"] + 1, len(ids))}))
    resp = pd.concat(parts, ignore_index=True)
    typed = resp.assign(response=resp["response"].astype("Float64"))
    for who in ("parent", "clinician"):
        d = derive_challenge(typed, items, who)
        flag = rel["relationship_id"].map(d)
        rel[f"{who}_challenging"] = np.where(flag.isna(), "", np.where(flag.fillna(False).astype(bool), "true", "false"))
    paired = rel.loc[rel["clinician_report"], "relationship_id"].to_numpy()
    strategies = pd.DataFrame({
        "relationship_id": np.repeat(paired, 5),
        "strategy": np.tile(standard.enum("survey_strategies", "strategy"), len(paired)),
        "used": rng.random(len(paired) * 5) < 0.2})
    tables = {"survey_sites": sites, "survey_parents": parents, "survey_children": children,
              "survey_clinicians": clinicians, "survey_relationships": rel, "survey_items": items,
              "survey_responses": resp, "survey_strategies": strategies}
    if dirty:
        _corrupt(rng, tables, dirty)
    names = standard.resource_names("survey")
    if coding:
        tables.update(coding_tables(n_rel))
        names = standard.resource_names()
    for n in names:
        _write(tables[n], out / "data" / f"{n}.csv", [f["name"] for f in standard.schema(n)["fields"]])
    (out / "datapackage.json").write_text(standard.dumps(descriptor_for("all" if coding else "survey", names)))
    return out


def _corrupt(rng, tables, frac):
    """About frac of the cells of relationships and responses made invalid, spread over columns."""
    rel, resp = tables["survey_relationships"], tables["survey_responses"]
    for frame, bads in ((rel, {"prior_visits": "x", "clinician_id": "K_missing", "parent_report": "yes"}),
                        (resp, {"response": "9", "respondent": "Parent", "item_id": "rcsp_unknown"})):
        n_cells = len(frame) * len(frame.columns)
        per_col = int(n_cells * frac / len(bads))
        for col, bad in bads.items():
            idx = rng.choice(len(frame), size=min(per_col, len(frame)), replace=False)
            frame[col] = frame[col].astype(object)
            frame.iloc[idx, frame.columns.get_loc(col)] = bad


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--relationships", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--dirty", type=float, default=0.0)
    ap.add_argument("--survey-only", action="store_true", help="leave out the coding tables")
    a = ap.parse_args()
    make(a.relationships, a.out, dirty=a.dirty, coding=not a.survey_only)
    print(a.out, file=sys.stderr)
