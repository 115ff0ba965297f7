"""SYNTHETIC survey-study data (Mack et al. 2021), calibrated to the published figures.

Exact by construction: every published count (parents, sex, race/ethnicity, clinicians, roles,
relationships, reports, the parent-by-clinician challenge 2x2). Approximately planted: the published
odds ratios, by a seeded swap search that keeps the counts fixed (calibrate.swap_search). Challenge
flags are never drawn as free flags: item responses are generated and the flags derived from them
with the instrument cutoffs (checks.survey.derive_challenge).

Missing item responses (refusals, code -7) are missing completely at random: each item of each
report is refused with probability REFUSAL_RATE, whatever its answer would have been, favourable or
not. A report whose every item would be refused is drawn again (its refusal pattern only): every
report of the published study has a challenge flag, and a report with no answer has none. No answer
is ever invented for a refused item. The answers are then drawn among the answered items: for a
report the calibration made challenging, at least one answered item is at or beyond its cutoff.

Prior visits lie between the child's diagnosis and the survey (within 3 months): each relationship
has its own visit rate (a Beta(VISIT_RATE_A, VISIT_RATE_B) chance per day since diagnosis, about
one visit a week on average), so prior_visits = 3 + Binomial(days - 3, rate), never more than the
days since diagnosis (the validator's RELATIONSHIP_VISIT_RATE).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import standard
from ...analysis.models import fit_logistic
from ...standard.targets import count, odds_ratios, value
from ...validation.registry import parameter
from ..calibrate import draw_exact, intercept_for_rate, swap_search
from .analysis.design import clinician_variables, config, parent_variables
from .rules import derive_challenge

SITES = [("DFCI", "Dana-Farber Cancer Institute/Boston Children's Hospital"),
         ("TCH", "Texas Children's Hospital")]

# Instrument items (data). Only the RCS-P trust item and the RCS-C time item are published;
# the other wordings are illustrative (the schema says so).
ITEMS = [
    ("rcsp_respect", "rcs_p", "respect", "How much do you feel this clinician respects you?", 1, 4, "higher_is_better", 2, "1=Not at all|2=Somewhat|3=Mostly|4=Completely"),
    ("rcsp_trust", "rcs_p", "trust", "How much do you trust your child's oncology provider?", 1, 4, "higher_is_better", 2, "1=Not at all|2=Somewhat|3=Mostly|4=Completely"),
    ("rcsp_listening", "rcs_p", "listening", "How well does this clinician listen to you?", 1, 4, "higher_is_better", 2, "1=Not at all|2=Somewhat|3=Mostly|4=Completely"),
    ("rcsc_time", "rcs_c", "time", "How time-consuming has it been to work with this patient's parents?", 1, 6, "higher_is_worse", 4, "1=Not at all|2=A little|3=Somewhat|4=Quite a bit|5=Very much|6=A great deal"),
    ("rcsc_effort", "rcs_c", "effort", "How much effort has it taken to work with this patient's parents?", 1, 6, "higher_is_worse", 4, "1=Not at all|2=A little|3=Somewhat|4=Quite a bit|5=Very much|6=A great deal"),
    ("rcsc_communication", "rcs_c", "communication", "How easy has it been to communicate with this patient's parents?", 1, 6, "higher_is_better", 3, "1=Not at all|2=A little|3=Somewhat|4=Quite a bit|5=Very much|6=A great deal"),
]

# Unpublished generator settings (not targets): plausible, documented, adjustable.
EDUCATION_P = [0.07, 0.18, 0.25, 0.28, 0.22]
MIXED_P = [0.34, 0.30, 0.21, 0.10, 0.05]
PARENT_NULL_LOGOR = {"parent_male": 0.10, "race_black": 0.25, "race_hispanic": 0.20}
CLINICIAN_NULL_LOGOR = {"years_20_plus": 0.30}
STRATEGY_USE = {"both": 0.55, "clinician": 0.50, "parent": 0.12, "neither": 0.05}
REFUSAL_RATE = 0.01  # chance that an item of a report is refused, independent of its answer
#: The code of a refused answer, as survey_responses' Table Schema declares it.
REFUSED = standard.missing_code("survey_responses", "refused")
VISIT_RATE_A, VISIT_RATE_B = 2.0, 10.0  # per-day chance of a visit with this clinician: Beta, mean 1/6
CLINICIAN_RE_SD = 1.0  # SD of a clinician random intercept in the clinician-reported outcome (published CI width)
PC_MEAN, PC_SD = 3.85, 0.65  # patient-centeredness score (quarter steps, 1-5)
#: Parents with a mean patient-centeredness score below 3 ('less patient-centeredness'): exactly this
#: share, as the published CI width of its odds ratio implies (about 20-25 exposed relationships of
#: the 338). Left to chance, this rare exposure's count among the paired relationships was 14 in one
#: random stream and 9 in another, and the upper limit of its odds ratio's CI about 20 and 39.
PC_LOW_SHARE = 0.08
POLISH_PROPOSALS = 400  # GEE fits (about 25 ms each) in the second calibration stage
POLISH_TOLERANCE = 0.03  # stop once every targeted log odds ratio is within 3% of the target


def _exact_categories(rng, counts: dict[str | None, int]) -> np.ndarray:
    arr = np.concatenate([np.repeat(np.array([k], dtype=object), n) for k, n in counts.items()])
    return rng.permutation(arr)


def _parents(rng) -> pd.DataFrame:
    n = count("survey.parents.n")
    sex = _exact_categories(rng, {"female": count("survey.parents.women.n"), "male": n - count("survey.parents.women.n")})
    race_codes = standard.enum("survey_parents", "race_ethnicity")
    race_counts: dict[str | None, int] = {c: count(f"survey.parents.race.{c}.n") for c in race_codes}
    race_counts[None] = count("survey.parents.race.missing.n")
    assert sum(race_counts.values()) == n
    race = _exact_categories(rng, race_counts)
    p_tch = np.where(race == "hispanic", 0.75, 0.42)
    site = np.where(rng.random(n) < p_tch, "TCH", "DFCI")
    edu = rng.choice(standard.enum("survey_parents", "education"), size=n, p=EDUCATION_P)
    anx = np.clip(np.round(rng.normal(7.0, 4.0, n)), 0, 21).astype(int)
    dep = np.clip(np.round(0.55 * anx + rng.normal(1.5, 2.8, n)), 0, 21).astype(int)
    mixed = rng.choice([1, 2, 3, 4, 5], size=n, p=MIXED_P)
    pc = _pc_scores(rng, n)
    ids = [f"P{i:04d}" for i in range(1, n + 1)]
    df = pd.DataFrame({"parent_id": ids, "site_id": site, "sex": sex, "race_ethnicity": race,
                       "education": edu, "hads_anxiety": anx, "hads_depression": dep,
                       "mixed_messages": mixed, "pc_transitions": pc})
    # a few unanswered questionnaire items, as declared missing-value codes / blanks
    idx = rng.choice(n, size=4, replace=False)
    df["hads_depression"] = df["hads_depression"].astype(object)
    df.loc[idx[:2], "hads_depression"] = standard.missing_code("survey_parents", "refused")
    return df


def _pc_scores(rng, n: int) -> np.ndarray:
    """Patient-centeredness scores with exactly round(PC_LOW_SHARE x n) below 3: the lowest draws (ties
    in random order) are moved to 2.75 where they are not below 3 already; any other draw below 3 to 3.0."""
    raw = np.clip(np.round(rng.normal(PC_MEAN, PC_SD, n) * 4) / 4, 1, 5)
    order = np.lexsort((rng.random(n), raw))
    low = np.zeros(n, dtype=bool)
    low[order[: int(round(PC_LOW_SHARE * n))]] = True
    return np.where(low, np.minimum(raw, 2.75), np.maximum(raw, np.where(raw < 3, 3.0, raw)))


def _clinicians(rng) -> pd.DataFrame:
    n = count("survey.clinicians.n")
    roles = {r: count(f"survey.clinicians.role.{r}.n") for r in standard.enum("survey_clinicians", "role")}
    role = np.concatenate([np.repeat(np.array([r], dtype=object), k) for r, k in roles.items()])
    years = np.empty(n, dtype=int)
    # attendings across all bands; fellows in training (<10); nurse practitioners mostly <10
    for r, bands in (("attending", [(0.32, 3, 9), (0.37, 10, 19), (0.31, 20, 38)]),
                     ("fellow", [(1.0, 0, 4)]),
                     ("nurse_practitioner", [(0.5, 1, 9), (0.3, 10, 19), (0.2, 20, 30)])):
        idx = np.flatnonzero(role == r)
        k = len(idx)
        cuts = np.round(np.cumsum([b[0] for b in bands]) * k).astype(int)
        start = 0
        for (_, lo, hi), end in zip(bands, cuts):
            years[idx[start:end]] = rng.integers(lo, hi + 1, size=end - start)
            start = end
    female = count("survey.clinicians.women.n")
    sex = _exact_categories(rng, {"female": female, "male": n - female})
    site = np.array(["DFCI", "TCH"] * (n // 2) + ["DFCI"] * (n % 2), dtype=object)
    site = rng.permutation(site)
    ids = [f"K{i:03d}" for i in range(1, n + 1)]
    return pd.DataFrame({"clinician_id": ids, "site_id": site, "role": role, "sex": sex, "years_in_practice": years})


def _relationships(rng, parents, clinicians) -> pd.DataFrame:
    n_rel = count("survey.relationships.n")
    n_par = len(parents)
    two = set(rng.choice(n_par, size=n_rel - n_par, replace=False).tolist())
    weight = clinicians["role"].map({"attending": 3.0, "fellow": 1.5, "nurse_practitioner": 1.2}).to_numpy()
    rows = []
    for i, p in parents.iterrows():
        pool = np.flatnonzero(clinicians["site_id"].to_numpy() == p["site_id"])
        k = 2 if i in two else 1
        w = weight[pool] / weight[pool].sum()
        for c in rng.choice(pool, size=k, replace=False, p=w):
            rows.append((p["parent_id"], clinicians["clinician_id"].iat[c]))
    rel = pd.DataFrame(rows, columns=["parent_id", "clinician_id"])
    rel.insert(0, "relationship_id", [f"R{i:05d}" for i in range(1, len(rel) + 1)])
    rel["prior_visits"] = 0  # drawn with the children's days since diagnosis (prior_visits())
    rel["parent_report"] = True
    paired = np.zeros(len(rel), dtype=bool)
    paired[rng.choice(len(rel), size=count("survey.relationships.paired.n"), replace=False)] = True
    rel["clinician_report"] = paired
    return rel


def _target_vector(model: str, columns: list[str], nulls: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    ors = odds_ratios("survey", model)
    target = np.zeros(len(columns))
    weight = np.zeros(len(columns))
    for k, c in enumerate(columns):
        if c in ors:
            target[k], weight[k] = np.log(ors[c].published), 1.0
        elif c != "const":
            target[k], weight[k] = nulls.get(c, 0.0), 0.05
    return target, weight


def _outcomes(rng, rel, parents, clinicians) -> tuple[np.ndarray, np.ndarray]:
    """Parent and clinician challenge (0/1) for every relationship; clinician NaN where no report."""
    pv = parent_variables(parents).set_index("parent_id")
    cv = clinician_variables(clinicians).set_index("clinician_id")
    frame = pd.concat([pv.loc[rel["parent_id"]].reset_index(drop=True),
                       cv.loc[rel["clinician_id"]].reset_index(drop=True)], axis=1)
    paired = rel["clinician_report"].to_numpy()
    n_pair = int(paired.sum())
    both = count_pct("survey.challenging.both.pct", n_pair)
    n_parent = count_pct("survey.challenging.parent.pct", n_pair)
    n_clin = count_pct("survey.challenging.clinician.pct", n_pair)

    def lin(model, nulls):
        cols = config()["models"][model]["covariates"]
        target, weight = _target_vector(model, ["const", *cols], nulls)
        Xfull = np.column_stack([np.ones(len(frame)), frame[cols].to_numpy(dtype=float)])
        complete = ~np.isnan(Xfull).any(axis=1)
        eta = np.nan_to_num(Xfull) @ target
        return Xfull, complete, eta, target, weight

    Xp, cp, eta_p, tp, wp = lin("parent", PARENT_NULL_LOGOR)
    Xc, cc, eta_c, tc, wc = lin("clinician", CLINICIAN_NULL_LOGOR)
    if CLINICIAN_RE_SD > 0:  # clinicians differ in how often they find relationships challenging
        codes, uniques = pd.factorize(rel["clinician_id"])
        eta_c = eta_c + rng.normal(0.0, CLINICIAN_RE_SD, len(uniques))[codes]
    pair_idx = np.flatnonzero(paired)
    # clinician outcome: exact count among paired relationships
    b0c = intercept_for_rate(eta_c[pair_idx], n_clin / n_pair)
    prob_c = 1 / (1 + np.exp(-(eta_c + b0c)))
    yc = np.zeros(len(rel))
    yc[draw_exact(rng, prob_c, n_clin, pair_idx)] = 1
    # parent outcome: exact 2x2 among paired
    b0p = intercept_for_rate(eta_p[pair_idx], n_parent / n_pair)
    prob_p = 1 / (1 + np.exp(-(eta_p + b0p)))
    yp = np.zeros(len(rel))
    yp[draw_exact(rng, prob_p, both, pair_idx[yc[pair_idx] == 1])] = 1
    yp[draw_exact(rng, prob_p, n_parent - both, pair_idx[yc[pair_idx] == 0])] = 1
    # calibrate each outcome, swapping only within strata of the other (keeps the 2x2 exact)
    tp[0] = b0p
    tc[0] = b0c
    # stage 1: fast ML logistic; stage 2: the default estimator of the analyses (GEE clustered by
    # clinician), so the published odds ratios are recovered by the method that reports them
    clusters = rel["clinician_id"].to_numpy()
    rows_p = pair_idx[cp[pair_idx]]
    rows_c = pair_idx[cc[pair_idx]]
    for stage, proposals, tol in ((1, 4000, 0.0), (2, POLISH_PROPOSALS, POLISH_TOLERANCE)):
        fit_p = fit_c = None
        if stage == 2:
            fit_p = _gee_fit(Xp[rows_p], clusters[rows_p])
            fit_c = _gee_fit(Xc[rows_c], clusters[rows_c])
        yp = swap_search(rng, Xp[rows_p], yp, rows_p, yc, tp, wp, proposals, fit_p, tol)
        yc = swap_search(rng, Xc[rows_c], yc, rows_c, yp, tc, wc, proposals, fit_c, tol)
    # parent-only relationships: drawn from the same parent model
    solo = np.flatnonzero(~paired)
    yp[solo] = (rng.random(len(solo)) < prob_p[solo]).astype(float)
    yc[solo] = np.nan
    return yp, yc


def _gee_fit(X, clusters):
    def fit(yd, beta):
        return np.asarray(fit_logistic(X, yd, clusters, "gee", start=beta).params)
    return fit


def count_pct(key: str, denominator: int) -> int:
    """The count implied by a published percentage of a known denominator."""
    return int(round(value(key) / 100 * denominator))


def _refusals(rng, k: int) -> np.ndarray:
    """Which of a report's k items are refused: each with REFUSAL_RATE, whatever its answer; drawn
    again while every item would be refused (a report without any answer has no challenge flag)."""
    if not 0 <= REFUSAL_RATE < 1:
        raise ValueError("REFUSAL_RATE must be at least 0 and below 1")
    while True:
        refused = rng.random(k) < REFUSAL_RATE
        if not refused.all():
            return refused


def _answer(rng, item: dict, challenging: bool) -> int:
    """An answer at or beyond the item's cutoff (milder ones more common) or on the favourable side
    (best answers more common)."""
    lo, hi, cut = item["response_min"], item["response_max"], item["challenge_cutoff"]
    worse = item["direction"] == "higher_is_worse"
    neg = list(range(cut, hi + 1)) if worse else list(range(lo, cut + 1))
    pos = [v for v in range(lo, hi + 1) if v not in neg]
    if challenging:
        order, ratio = (neg if worse else neg[::-1]), 0.6
    else:
        order, ratio = (pos if worse else pos[::-1]), 0.55
    w = np.array([ratio ** i for i in range(len(order))])
    return int(rng.choice(order, p=w / w.sum()))


def _responses(rng, rel, yp, yc) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Item responses whose derived flags are the calibrated ones (see the module docstring)."""
    items = pd.DataFrame(ITEMS, columns=["item_id", "instrument", "domain", "wording", "response_min",
                                         "response_max", "direction", "challenge_cutoff", "response_labels"])
    out = []
    for respondent, instrument, flags, reports in (("parent", "rcs_p", yp, rel["parent_report"].to_numpy()),
                                                   ("clinician", "rcs_c", yc, rel["clinician_report"].to_numpy())):
        its = items[items["instrument"] == instrument].to_dict("records")
        for r_id, flag, has in zip(rel["relationship_id"], flags, reports):
            if not has:
                continue
            k = len(its)
            refused = _refusals(rng, k)
            answered = np.flatnonzero(~refused)
            bad = np.zeros(k, dtype=bool)
            if flag == 1:  # at least one answered item at or beyond its cutoff
                n_bad = 1 + rng.binomial(len(answered) - 1, 0.25)
                bad[rng.choice(answered, size=n_bad, replace=False)] = True
            for it, b, r in zip(its, bad, refused):
                out.append((r_id, respondent, it["item_id"], REFUSED if r else _answer(rng, it, bool(b))))
    resp = pd.DataFrame(out, columns=["relationship_id", "respondent", "item_id", "response"])
    return items, resp


def _strategies(rng, rel, yp, yc) -> pd.DataFrame:
    strategies = standard.enum("survey_strategies", "strategy")
    rows = []
    for r_id, p, c, has in zip(rel["relationship_id"], yp, yc, rel["clinician_report"]):
        if not has:
            continue
        cat = "both" if p == 1 and c == 1 else "clinician" if c == 1 else "parent" if p == 1 else "neither"
        base = STRATEGY_USE[cat]
        for k, s in enumerate(strategies):
            rows.append((r_id, s, bool(rng.random() < base * (1.0 - 0.12 * k))))
    return pd.DataFrame(rows, columns=["relationship_id", "strategy", "used"])


def _children(rng, parents) -> pd.DataFrame:
    n = len(parents)
    return pd.DataFrame({
        "child_id": [f"C{i:04d}" for i in range(1, n + 1)],
        "parent_id": parents["parent_id"],
        "age_years": np.clip(np.round(rng.gamma(2.2, 3.3, n)), 0, 21).astype(int),
        "sex": rng.choice(["female", "male"], size=n, p=[0.46, 0.54]),
        "diagnosis_group": rng.choice(standard.enum("survey_children", "diagnosis_group"), size=n, p=[0.45, 0.2, 0.35]),
        "days_since_diagnosis": rng.integers(21, parameter("SURVEY_TIMING", "window_days") + 1, size=n),
    })


def prior_visits(rng, rel: pd.DataFrame, children: pd.DataFrame) -> np.ndarray:
    """Visits before the survey, between the child's diagnosis and the survey: the study's minimum
    (RELATIONSHIP_PRIOR_VISITS) plus Binomial(days - minimum, rate), with a Beta-distributed visit
    rate per relationship."""
    minimum = parameter("RELATIONSHIP_PRIOR_VISITS", "min_prior_visits")
    days = rel["parent_id"].map(children.set_index("parent_id")["days_since_diagnosis"]).to_numpy(dtype=int)
    rate = rng.beta(VISIT_RATE_A, VISIT_RATE_B, size=len(rel))
    return minimum + rng.binomial(np.maximum(days - minimum, 0), rate)


def generate(seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng([seed, 1])
    sites = pd.DataFrame(SITES, columns=["site_id", "site_name"])
    parents = _parents(rng)
    clinicians = _clinicians(rng)
    rel = _relationships(rng, parents, clinicians)
    # the generator reasons on typed values, as the validator yields them
    typed_parents = parents.copy()
    typed_parents["race_ethnicity"] = typed_parents["race_ethnicity"].where(typed_parents["race_ethnicity"].notna())
    yp, yc = _outcomes(rng, rel, typed_parents, clinicians)
    items, resp = _responses(rng, rel, yp, yc)
    typed = resp.copy()
    typed["response"] = pd.to_numeric(typed["response"].astype(str).replace(REFUSED, np.nan)).astype("Float64")
    for who in ("parent", "clinician"):
        derived = derive_challenge(typed, items, who)
        rel[f"{who}_challenging"] = rel["relationship_id"].map(derived).astype("object").where(
            rel["relationship_id"].map(derived).notna(), None)
    # the flags are what the cutoffs give; they must reproduce the calibrated outcomes
    got_p = rel["parent_challenging"].map({True: 1.0, False: 0.0}).astype(float).to_numpy()
    assert np.array_equal(got_p, yp), "parent flags do not derive from responses"
    got_c = rel["clinician_challenging"].map({True: 1.0, False: 0.0}).astype(float).to_numpy()
    assert np.array_equal(got_c, yc, equal_nan=True), "clinician flags do not derive from responses"
    children = _children(rng, parents)
    rel["prior_visits"] = prior_visits(rng, rel, children)
    return {
        "survey_sites": sites, "survey_parents": parents, "survey_children": children,
        "survey_clinicians": clinicians, "survey_relationships": rel, "survey_items": items,
        "survey_responses": resp, "survey_strategies": _strategies(rng, rel, yp, yc),
    }
