"""SYNTHETIC multi-site packages: K sites with realistic between-site differences, for demos and tests.

Each survey site is drawn from the same model as the calibrated generator (the published odds
ratios as true effects, the same instruments, responses from which the challenge flags are
derived), without the calibration to the published totals, which a single site need not meet.
Sites differ in size, race/ethnicity and education mix, the share of relationships with a
clinician report, and baseline rates of challenge (site-level intercept shifts); the effects
vary a little between sites (SLOPE_SD), as real sites' would. `pedcomm synth survey --sites K`
(pedcomm.synth.sites) writes each site as a complete package declaring its site id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import standard
from ...analysis.rounding import round_half_up
from ...standard.targets import count, value
from ..calibrate import intercept_for_rate
from . import synth as S
from .analysis.design import clinician_variables, config, parent_variables
from .rules import derive_challenge


def _share(key: str, of: str) -> float:
    """A published count as a share of its published denominator, at the published percentages' precision
    (3 decimals, half up): the share a published count implies even where the printed percentage is
    inconsistent with it (targets.csv says which)."""
    return float(round_half_up(count(key) / count(of), 3))


def _pct(key: str) -> float:
    return value(key) / 100


#: Published shares (Mack 2021, validation/targets.csv) that site mixes scatter around: race/ethnicity incl. missing.
RACE_SHARES = {code: _share(f"survey.parents.race.{code or 'missing'}.n", "survey.parents.n")
               for code in ("white", "hispanic", "black", "asian", "other", None)}
#: Published shares of challenging relationships (of the paired), by the parent and by the clinician.
PARENT_RATE, CLINICIAN_RATE = _pct("survey.challenging.parent.pct"), _pct("survey.challenging.clinician.pct")
SITE_SHIFT_SD = 0.35  # SD of a site's shift of the baseline log odds of challenge
SLOPE_SD = 0.10  # SD of a site's deviation from each true log odds ratio (between-site heterogeneity)
MIX_SD, MIX_CLIP = 0.25, (0.75, 1.33)  # a site's race/education shares: published x exp(N(0, SD)), clipped
PARENTS_RANGE = (240, 320)
PAIRED_RANGE = (0.75, 0.90)  # share of relationships with a clinician report
ROLE_P = {role: _pct(f"survey.clinicians.role.{role}.pct") for role in ("attending", "fellow", "nurse_practitioner")}
#: Years in practice by role: (share, lowest, highest) bands, as in the calibrated generator.
YEARS = {"attending": [(0.32, 3, 9), (0.37, 10, 19), (0.31, 20, 38)], "fellow": [(1.0, 0, 4)],
         "nurse_practitioner": [(0.5, 1, 9), (0.3, 10, 19), (0.2, 20, 30)]}
#: Share of parents with two relationships: the published relationships beyond one per parent.
TWO_RELATIONSHIPS = (count("survey.relationships.n") - count("survey.parents.n")) / count("survey.parents.n")
PARENTS_PER_CLINICIAN = count("survey.parents.n") // count("survey.clinicians.n")  # as in the published study


def _mix(rng, shares) -> np.ndarray:
    """A site's shares: the published ones scattered by a clipped log-normal factor, renormalized."""
    p = np.asarray(shares, dtype=float) * np.clip(np.exp(rng.normal(0.0, MIX_SD, len(shares))), *MIX_CLIP)
    return p / p.sum()


def _exact(rng, codes: list, shares: np.ndarray, n: int) -> np.ndarray:
    """Exactly round(share x n) of each code (largest remainders), in random order."""
    raw = shares * n
    k = np.floor(raw).astype(int)
    k[np.argsort(raw - k)[::-1][: n - k.sum()]] += 1
    return rng.permutation(np.repeat(np.array(codes, dtype=object), k))


def _parents(rng, site_id: str, n: int, race_p: dict, edu_p: np.ndarray) -> pd.DataFrame:
    race = _exact(rng, list(race_p), np.array(list(race_p.values())), n)
    anx = np.clip(np.round(rng.normal(7.0, 4.0, n)), 0, 21).astype(int)
    dep = np.clip(np.round(0.55 * anx + rng.normal(1.5, 2.8, n)), 0, 21).astype(int)
    return pd.DataFrame({
        "parent_id": [f"P{i:04d}" for i in range(1, n + 1)], "site_id": site_id,
        "sex": rng.choice(["female", "male"], size=n, p=[_pct("survey.parents.women.pct"), 1 - _pct("survey.parents.women.pct")]),
        "race_ethnicity": race,
        "education": rng.choice(standard.enum("survey_parents", "education"), size=n, p=edu_p),
        "hads_anxiety": anx, "hads_depression": dep,
        "mixed_messages": rng.choice([1, 2, 3, 4, 5], size=n, p=S.MIXED_P),
        "pc_transitions": np.clip(np.round(rng.normal(S.PC_MEAN, S.PC_SD, n) * 4) / 4, 1, 5),
    })


def _clinicians(rng, site_id: str, n: int) -> pd.DataFrame:
    role = rng.choice(list(ROLE_P), size=n, p=list(ROLE_P.values()))
    role[:2] = "attending"  # every site has attendings
    years = []
    for r in role:
        share, lo, hi = zip(*YEARS[r])
        band = rng.choice(len(share), p=share)
        years.append(int(rng.integers(lo[band], hi[band] + 1)))
    women = _pct("survey.clinicians.women.pct")
    return pd.DataFrame({"clinician_id": [f"K{i:03d}" for i in range(1, n + 1)], "site_id": site_id, "role": role,
                         "sex": rng.choice(["female", "male"], size=n, p=[women, 1 - women]), "years_in_practice": years})


def _relationships(rng, parents: pd.DataFrame, clinicians: pd.DataFrame, paired_share: float) -> pd.DataFrame:
    weight = clinicians["role"].map({"attending": 3.0, "fellow": 1.5, "nurse_practitioner": 1.2}).to_numpy()
    w = weight / weight.sum()
    rows = []
    for p in parents["parent_id"]:
        k = 2 if rng.random() < TWO_RELATIONSHIPS else 1
        for c in rng.choice(len(clinicians), size=k, replace=False, p=w):
            rows.append((p, clinicians["clinician_id"].iat[c]))
    rel = pd.DataFrame(rows, columns=["parent_id", "clinician_id"])
    rel.insert(0, "relationship_id", [f"R{i:05d}" for i in range(1, len(rel) + 1)])
    rel["prior_visits"] = 0  # drawn with the children's days since diagnosis (survey.prior_visits)
    rel["parent_report"] = True
    rel["clinician_report"] = rng.random(len(rel)) < paired_share
    return rel


def _linear(rng, model: str, frame: pd.DataFrame, nulls: dict) -> np.ndarray:
    cols = config()["models"][model]["covariates"]
    target, _ = S._target_vector(model, ["const", *cols], nulls)
    beta = target[1:] + rng.normal(0.0, SLOPE_SD, len(cols))
    return np.nan_to_num(frame[cols].to_numpy(dtype=float)) @ beta


def _outcome(rng, eta: np.ndarray, rate: float, shift: float, among: np.ndarray) -> np.ndarray:
    b0 = intercept_for_rate(eta[among], rate) + shift
    return (rng.random(len(eta)) < 1 / (1 + np.exp(-(eta + b0)))).astype(float)


def survey_site(seed: int, index: int, site_id: str) -> dict[str, pd.DataFrame]:
    """The tables of one synthetic survey site (index 1..K; the seed and index fix every draw)."""
    rng = np.random.default_rng([seed, 6, index])
    keys = list(RACE_SHARES)
    mix = _mix(rng, list(RACE_SHARES.values()))
    edu = _mix(rng, S.EDUCATION_P)
    n_parents = int(rng.integers(*PARENTS_RANGE))
    parents = _parents(rng, site_id, n_parents, dict(zip(keys, mix)), edu)
    clinicians = _clinicians(rng, site_id, max(12, n_parents // PARENTS_PER_CLINICIAN))
    rel = _relationships(rng, parents, clinicians, float(rng.uniform(*PAIRED_RANGE)))
    typed = parents.copy()
    typed["race_ethnicity"] = typed["race_ethnicity"].where(typed["race_ethnicity"].notna())
    pv = parent_variables(typed).set_index("parent_id")
    cv = clinician_variables(clinicians).set_index("clinician_id")
    frame = pd.concat([pv.loc[rel["parent_id"]].reset_index(drop=True),
                       cv.loc[rel["clinician_id"]].reset_index(drop=True)], axis=1)
    paired = np.flatnonzero(rel["clinician_report"].to_numpy())
    eta_p = _linear(rng, "parent", frame, S.PARENT_NULL_LOGOR)
    eta_c = _linear(rng, "clinician", frame, S.CLINICIAN_NULL_LOGOR)
    codes, uniques = pd.factorize(rel["clinician_id"])
    eta_c = eta_c + rng.normal(0.0, S.CLINICIAN_RE_SD, len(uniques))[codes]
    yp = _outcome(rng, eta_p, PARENT_RATE, float(rng.normal(0, SITE_SHIFT_SD)), paired)
    yc = _outcome(rng, eta_c, CLINICIAN_RATE, float(rng.normal(0, SITE_SHIFT_SD)), paired)
    yc[~rel["clinician_report"].to_numpy()] = np.nan
    items, resp = S._responses(rng, rel, yp, yc)
    typed_resp = resp.copy()
    typed_resp["response"] = pd.to_numeric(typed_resp["response"].astype(str).replace(S.REFUSED, np.nan)).astype("Float64")
    for who in ("parent", "clinician"):  # flags derive from the responses, as the validator requires
        derived = rel["relationship_id"].map(derive_challenge(typed_resp, items, who))
        rel[f"{who}_challenging"] = derived.astype("object").where(derived.notna(), None)
    children = S._children(rng, parents)
    rel["prior_visits"] = S.prior_visits(rng, rel, children)
    return {
        "survey_sites": pd.DataFrame([(site_id, f"Synthetic site {index}")], columns=["site_id", "site_name"]),
        "survey_parents": parents, "survey_children": children, "survey_clinicians": clinicians,
        "survey_relationships": rel, "survey_items": items, "survey_responses": resp,
        "survey_strategies": S._strategies(rng, rel, yp, yc),
    }
