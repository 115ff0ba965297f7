"""SYNTHETIC transcript-coding data (Kaye et al. 2021), calibrated to the published figures.

Exact by construction, with every number read from validation/targets.csv: enrolled dyads, the
analytic sample (patients whose disease progressed), its female, White and deceased patients,
the number of discussions and their total minutes, the median and range of discussions per patient,
the primary oncologists, the themes and the codes.

Not published, so chosen here and documented (generator settings, not targets):

- the 16 dyads outside the analytic sample are in ``coding_patients`` (analytic_sample false, no
  progression, alive at the end of follow-up) but have no discussions: the shipped package holds the
  recorded discussions of the analytic sample only, so the published 141 discussions and 2400
  minutes are the discussions of patients with analytic_sample true (here: all of them);
- each patient keeps one primary oncologist; the code names, definitions, frequencies, segment
  lengths, speakers, excerpts, coders and the double-coding design (DOUBLE_CODED_SHARE of the
  discussions coded independently by a second coder who agrees with most, not all, codings).

Its own random stream (``np.random.default_rng([seed, 2])``), so adding or changing this study never
changes the survey study's files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import standard
from ...standard.targets import count, value

#: The 7 published themes (Kaye 2021), in published order. Definitions are illustrative.
THEMES = [
    ("human_connection", "Human connection",
     "Relating to the patient and family as people beyond the illness: personal interest, warmth and shared history."),
    ("empathy", "Empathy", "Recognizing, naming and responding to the emotions of the patient and family."),
    ("presence", "Presence", "Being attentive, unhurried and available, in the moment and over time."),
    ("partnering", "Partnering", "Working with the family as a team: sharing decisions, goals and plans."),
    ("inclusivity", "Inclusivity", "Involving the patient, family members and others who matter to them in the conversation."),
    ("humor", "Humor", "Shared lightness and laughter that eases tension and affirms the relationship."),
    ("honesty", "Honesty", "Clear, truthful communication about results, prognosis and uncertainty."),
]

#: Illustrative codebook (the published code names were not available): code, theme, name,
#: definition, expected segments per 17-minute discussion (uneven on purpose), example excerpt.
CODES = [
    ("HC01", "human_connection", "Personal interest in the child", "Asks about or remembers the child's interests, friends or life outside the hospital.", 1.00,
     "I heard you started a new art class, [NAME]. What have you been painting?"),
    ("HC02", "human_connection", "Remembering the family's story", "Refers back to something the family shared in an earlier conversation.", 0.55,
     "Last time you told me about your grandmother's visit. How did that go?"),
    ("HC03", "human_connection", "Everyday conversation", "Talks about ordinary, non-medical things before or between medical topics.", 0.45,
     "Before we look at the scans, how was the drive in this morning?"),
    ("HC04", "human_connection", "Warmth and affection", "Expresses fondness for or enjoyment of the patient and family.", 0.30,
     "It is always good to see you both. I look forward to these visits."),
    ("HC05", "human_connection", "Seeing the child beyond the illness", "Affirms the child's identity apart from the cancer.", 0.12,
     "You are so much more than this disease, and we all see that."),
    ("EM01", "empathy", "Naming emotions", "Names an emotion the patient or family shows or describes.", 0.80,
     "I can see this news is really frightening for you."),
    ("EM02", "empathy", "Validating worry", "Says that the family's worry or distress is understandable.", 0.60,
     "It makes complete sense that you have been worried all week waiting for this."),
    ("EM03", "empathy", "Expressing sorrow", "Expresses the clinician's own sadness about bad news.", 0.35,
     "I am so sorry. This is not the news any of us were hoping for."),
    ("EM04", "empathy", "Normalizing feelings", "Tells the family that their feelings are common and acceptable.", 0.20,
     "Many parents tell me they feel angry and sad at the same time. Both are okay."),
    ("PR01", "presence", "Unhurried time", "Signals that there is time and no rush.", 0.55,
     "We have plenty of time today. There is no rush."),
    ("PR02", "presence", "Attentive listening", "Invites the family to say more and follows what they say.", 0.60,
     "Tell me more about what the nights have been like."),
    ("PR03", "presence", "Commitment to stay", "Promises continued involvement whatever happens.", 0.35,
     "Whatever happens next, I will be here with you."),
    ("PR04", "presence", "Availability between visits", "Offers ways to reach the team between visits.", 0.15,
     "If anything changes over the weekend, call us and ask for me."),
    ("PA01", "partnering", "Shared decision-making", "Frames a decision as one the family and clinician make together.", 0.75,
     "There are two paths we could take, and I want us to decide together."),
    ("PA02", "partnering", "Eliciting goals and values", "Asks what matters most to the patient and family.", 0.50,
     "What is most important to you as we think about the next few months?"),
    ("PA03", "partnering", "Affirming parental expertise", "Recognizes the parent's knowledge of the child.", 0.40,
     "You know [NAME] better than anyone. What are you noticing at home?"),
    ("PA04", "partnering", "Planning next steps together", "Agrees on the plan and checks that it fits the family.", 0.55,
     "So the plan is to repeat the scan in six weeks. Does that work for your family?"),
    ("PA05", "partnering", "Checking understanding", "Asks the family to say what they understood.", 0.25,
     "Can you tell me in your own words what you heard today?"),
    ("IN01", "inclusivity", "Addressing the child directly", "Speaks to the patient, not only to the parents.", 0.60,
     "[NAME], what questions do you have for me today?"),
    ("IN02", "inclusivity", "Including family members", "Welcomes and involves other family members or friends.", 0.45,
     "I am glad your aunt could join us. Please jump in anytime."),
    ("IN03", "inclusivity", "Inviting questions", "Explicitly invites questions or concerns.", 0.35,
     "What else is on your mind? No question is too small."),
    ("IN04", "inclusivity", "Respecting beliefs and traditions", "Asks about or honours the family's faith, culture or traditions.", 0.10,
     "Tell me how your faith has been helping your family through this."),
    ("HU01", "humor", "Shared laughter", "Joins in or starts a light moment that the family laughs with.", 0.30,
     "Well, at least the scanner did not play your least favorite song this time."),
    ("HU02", "humor", "Playful banter with the child", "Teases or jokes with the patient in a way the patient enjoys.", 0.15,
     "Are you still beating your dad at cards? He says you have a secret strategy."),
    ("HO01", "honesty", "Clear disclosure of results", "States the result of the reevaluation plainly.", 0.90,
     "The scan shows that the tumor has grown since last time."),
    ("HO02", "honesty", "Discussing prognosis", "Talks openly about what the results mean for the future.", 0.50,
     "I worry that the time we have may be shorter than we hoped."),
    ("HO03", "honesty", "Acknowledging uncertainty", "Says what is not known.", 0.45,
     "I wish I could tell you exactly what will happen, but I do not know."),
    ("HO04", "honesty", "Avoiding false reassurance", "Declines to promise what cannot be promised.", 0.12,
     "I do not want to promise something I cannot be sure of."),
]

CODERS = [("R1", "medicine", 9), ("R2", "anthropology", 14), ("R3", "public_health", 4)]
PRIMARY_CODER_P = [0.40, 0.35, 0.25]

# Unpublished generator settings (not targets): plausible, documented, adjustable.
OTHER_CLINICIANS = {"fellow": 3, "nurse_practitioner": 3, "nurse": 2, "palliative_care": 2, "psychosocial": 2}
SETTING_P = {"clinic": 0.62, "inpatient": 0.23, "telephone": 0.15}
MEDIAN_MINUTES = {"clinic": 17.0, "inpatient": 19.0, "telephone": 8.0}
MINUTES_RANGE = (3, 75)
FOLLOW_UP_DAYS = 730  # 24 months
REEVALUATION_GAP_DAYS = (30, 75)  # range of a patient's mean interval between reevaluations
DOUBLE_CODED_SHARE = 0.20
AGREE_P, SWAP_P = 0.72, 0.12  # second coder: same code and span / sibling code on the span / missed
EXTRA_PER_SEGMENT = 0.15  # second coder's additional codings, per primary coding
EXCERPT_P = 0.30  # share of the primary coder's oncologist segments shipped with an excerpt
SPEAKER_P = {"default": {"primary_oncologist": 0.75, "parent": 0.12, "patient": 0.06, "other_clinician": 0.05,
                         "other_family": 0.02},
             "humor": {"primary_oncologist": 0.45, "patient": 0.25, "parent": 0.22, "other_family": 0.06,
                       "friend": 0.02}}
REFERENCE_MINUTES = 17.0


def _exact(rng, n: int, counts: dict) -> np.ndarray:
    arr = np.concatenate([np.repeat(np.array([k], dtype=object), v) for k, v in counts.items()])
    assert len(arr) == n
    return rng.permutation(arr)


def _adjust_to_sum(rng, x: np.ndarray, total: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Move integer values by 1 at random, within [lo, hi], until they sum to ``total``."""
    x = x.copy()
    if not lo.sum() <= total <= hi.sum():
        raise ValueError(f"cannot reach {total} within the bounds")
    while (diff := total - int(x.sum())) != 0:
        room = np.flatnonzero(x < hi) if diff > 0 else np.flatnonzero(x > lo)
        x[rng.choice(room)] += 1 if diff > 0 else -1
    return x


def per_patient_counts(rng, n: int, total: int, median: int, lo: int, hi: int) -> np.ndarray:
    """``n`` integers with exactly this sum, median, minimum and maximum (returned shuffled)."""
    k = (n - 1) // 2  # values strictly below the middle position(s)
    middle = [median] if n % 2 else [median, median]
    inner_lo = rng.integers(lo, median + 1, size=k - 1)
    inner_hi = np.round(median + (hi - median) * rng.beta(1.3, 2.2, size=k - 1)).astype(int)
    low = _adjust_to_sum(rng, np.concatenate([inner_lo, inner_hi]), total - lo - hi - sum(middle),
                         np.r_[np.full(k - 1, lo), np.full(k - 1, median)],
                         np.r_[np.full(k - 1, median), np.full(k - 1, hi)])
    out = np.r_[lo, hi, middle, low].astype(int)
    assert out.sum() == total and np.median(out) == median and out.min() == lo and out.max() == hi
    return rng.permutation(out)


def _patients(rng) -> pd.DataFrame:
    n = count("coding.dyads.enrolled.n")
    k = count("coding.patients.analytic.n")
    ids = [f"PT{i:02d}" for i in range(1, n + 1)]
    analytic = np.zeros(n, dtype=bool)
    analytic[rng.choice(n, size=k, replace=False)] = True
    ia, io = np.flatnonzero(analytic), np.flatnonzero(~analytic)
    female = count("coding.patients.female.n")
    white = count("coding.patients.race.white.n")
    died = count("coding.patients.died.n")
    sex = np.empty(n, dtype=object)
    race = np.empty(n, dtype=object)
    dead = np.zeros(n, dtype=bool)
    sex[ia] = _exact(rng, k, {"female": female, "male": k - female})
    sex[io] = rng.choice(["female", "male"], size=len(io), p=[0.45, 0.55])
    non_white = rng.choice(["black", "multiple", "asian"], size=k - white, p=[0.7, 0.2, 0.1])
    race[ia] = rng.permutation(np.r_[np.repeat("white", white), non_white].astype(object))
    race[io] = rng.choice(["white", "black", "asian", "multiple"], size=len(io), p=[0.72, 0.2, 0.04, 0.04])
    dead[ia] = _exact(rng, k, {True: died, False: k - died}).astype(bool)
    return pd.DataFrame({
        "patient_id": ids, "sex": sex, "race": race,
        "ethnicity": rng.choice(["hispanic", "not_hispanic"], size=n, p=[0.07, 0.93]),
        "age_years": np.clip(np.round(rng.gamma(3.0, 3.6, n)), 1, 24).astype(int),
        "diagnosis_group": rng.choice(["solid", "cns", "hematologic"], size=n, p=[0.5, 0.3, 0.2]),
        "projected_survival_50_or_less": True, "progressed": analytic, "analytic_sample": analytic,
        "died": dead, "death_study_day": pd.array([pd.NA] * n, dtype="Int64"),
    })


def _clinicians(rng) -> pd.DataFrame:
    n_onc = count("coding.oncologists.n")
    roles = ["oncologist"] * n_onc + [r for r, m in OTHER_CLINICIANS.items() for _ in range(m)]
    n = len(roles)
    years = [int(rng.integers(4, 31)) if r == "oncologist" else int(rng.integers(1, 16)) if r == "fellow"
             else int(rng.integers(2, 26)) for r in roles]
    years = [min(y, 3) if r == "fellow" else y for r, y in zip(roles, years)]
    return pd.DataFrame({"clinician_id": [f"CL{i:02d}" for i in range(1, n + 1)], "role": roles,
                         "sex": rng.choice(["female", "male"], size=n, p=[0.6, 0.4]), "years_in_practice": years})


def _disease_status(rng, n: int) -> list[str]:
    turn = int(rng.integers(0, n))
    before = rng.choice(["stable", "response", "no_evidence_of_disease"], size=n, p=[0.55, 0.35, 0.10])
    after = rng.choice(["progression", "stable", "indeterminate", "response"], size=n, p=[0.55, 0.25, 0.15, 0.05])
    return [before[i] if i < turn else "progression" if i == turn else after[i] for i in range(n)]


def _discussions(rng, patients: pd.DataFrame, clinicians: pd.DataFrame) -> pd.DataFrame:
    analytic = patients[patients["analytic_sample"]]
    counts = per_patient_counts(rng, len(analytic), count("coding.discussions.n"),
                                count("coding.discussions.per_patient.median"),
                                count("coding.discussions.per_patient.min"),
                                count("coding.discussions.per_patient.max"))
    oncologists = clinicians.loc[clinicians["role"] == "oncologist", "clinician_id"].to_numpy()
    # every oncologist has at least one patient; the others are spread at random
    onc_of = rng.permutation(np.r_[oncologists, rng.choice(oncologists, size=len(analytic) - len(oncologists))])
    rows = []
    for (idx, p), n, onc in zip(analytic.iterrows(), counts, onc_of):
        # reevaluations every few weeks to months; the patients who die do so some weeks after the last
        gaps = np.maximum(7, np.round(rng.gamma(3.0, rng.uniform(*REEVALUATION_GAP_DAYS) / 3.0, size=n - 1)))
        first = int(rng.integers(0, 45))
        days = first + np.r_[0, np.cumsum(gaps)].astype(int)
        if days[-1] > FOLLOW_UP_DAYS - 30:  # compress into the 24 months of follow-up
            days = first + np.floor((days - first) * (FOLLOW_UP_DAYS - 30 - first) / (days[-1] - first)).astype(int)
        if p["died"]:
            patients.loc[idx, "death_study_day"] = int(min(FOLLOW_UP_DAYS, days[-1] + 1 + rng.gamma(2.0, 25.0)))
        status = _disease_status(rng, n)
        for i in range(n):
            sp = dict(SETTING_P)
            if p["died"] and i == n - 1:
                sp = {"clinic": 0.3, "inpatient": 0.55, "telephone": 0.15}
            setting = rng.choice(list(sp), p=list(sp.values()))
            rows.append((p["patient_id"], onc, int(days[i]), i + 1, setting, status[i]))
    d = pd.DataFrame(rows, columns=["patient_id", "primary_oncologist_id", "study_day", "sequence", "setting",
                                    "disease_status"])
    d.insert(0, "discussion_id", [f"DS{i:03d}" for i in range(1, len(d) + 1)])
    med = d["setting"].map(MEDIAN_MINUTES).to_numpy()
    raw = med * np.exp(rng.normal(0.0, 0.45, len(d)))
    total = count("coding.discussions.minutes")
    lo, hi = MINUTES_RANGE
    minutes = np.clip(np.round(raw * total / raw.sum()), lo, hi).astype(int)
    d["duration_minutes"] = _adjust_to_sum(rng, minutes, total, np.full(len(d), lo), np.full(len(d), hi))
    coder_ids = [c[0] for c in CODERS]
    d["primary_coder_id"] = rng.choice(coder_ids, size=len(d), p=PRIMARY_CODER_P)
    second = np.full(len(d), None, dtype=object)
    for i in rng.choice(len(d), size=int(round(DOUBLE_CODED_SHARE * len(d))), replace=False):
        second[i] = rng.choice([c for c in coder_ids if c != d["primary_coder_id"].iat[i]])
    d["second_coder_id"] = second
    return d


def _attendance(rng, d: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    age = d["patient_id"].map(patients.set_index("patient_id")["age_years"]).to_numpy()
    rows = []
    for (disc, setting), a in zip(d[["discussion_id", "setting"]].itertuples(index=False), age):
        phone = setting == "telephone"
        present = {"patient": int(rng.random() < (0.1 if phone else 0.85 if a >= 12 else 0.55)),
                   "parent": 1 if phone or rng.random() < 0.6 else 2,
                   "other_family": int(rng.integers(1, 4)) if rng.random() < (0.05 if phone else 0.3) else 0,
                   "friend": 1 if not phone and rng.random() < 0.05 else 0,
                   "primary_oncologist": 1,
                   "other_clinician": int(rng.integers(1, 4)) if rng.random() < (0.1 if phone else 0.55) else 0}
        rows += [(disc, role, k) for role, k in present.items() if k > 0]
    return pd.DataFrame(rows, columns=["discussion_id", "role", "n_present"])


def _no_self_overlap(seg: list[tuple]) -> list[tuple]:
    """Drop codings (code, start, end, speaker) that overlap an earlier coding of the same code
    by the same coder in the same discussion; the rest sorted by start."""
    out: list = []
    last_end: dict = {}
    for s in sorted(seg, key=lambda r: (r[1], r[0])):
        code, start, end = s[0], s[1], s[2]
        if start < last_end.get(code, -1.0):
            continue
        last_end[code] = max(end, last_end.get(code, -1.0))
        out.append(s)
    return out


def _span(rng, seconds: float) -> tuple[float, float]:
    length = float(np.clip(np.exp(rng.normal(np.log(28.0), 0.6)), 4.0, min(240.0, seconds)))
    start = float(rng.uniform(0.0, seconds - length))
    return round(start, 1), round(min(start + length, seconds), 1)


def _segments(rng, d: pd.DataFrame, attendance: pd.DataFrame) -> pd.DataFrame:
    codes = pd.DataFrame(CODES, columns=["code_id", "theme_id", "name", "definition", "rate", "excerpt"])
    theme_of = dict(zip(codes["code_id"], codes["theme_id"]))
    excerpt_of = dict(zip(codes["code_id"], codes["excerpt"]))
    siblings = codes.groupby("theme_id")["code_id"].agg(list).to_dict()
    rates = codes["rate"].to_numpy()
    present = attendance.groupby("discussion_id")["role"].agg(set).to_dict()
    rows = []
    for disc in d.itertuples(index=False):
        seconds = float(disc.duration_minutes) * 60
        roles = present[disc.discussion_id]
        lam = rates * (disc.duration_minutes / REFERENCE_MINUTES) ** 0.7 * rng.gamma(4.0, 0.25)
        if disc.setting == "telephone":
            lam = lam * np.where(codes["theme_id"] == "humor", 0.4, 0.8)
        primary = []
        for code, k in zip(codes["code_id"], rng.poisson(lam)):
            for _ in range(k):
                start, end = _span(rng, seconds)
                primary.append((code, start, end, _speaker(rng, theme_of[code], roles)))
        primary = _no_self_overlap(primary)
        for code, start, end, speaker in primary:
            ex = excerpt_of[code] if speaker == "primary_oncologist" and rng.random() < EXCERPT_P else None
            rows.append((disc.discussion_id, code, disc.primary_coder_id, speaker, start, end, ex))
        if pd.isna(disc.second_coder_id):
            continue
        second = []
        for code, start, end, speaker in primary:
            u = rng.random()
            if u < AGREE_P + SWAP_P:
                if u >= AGREE_P and len(siblings[theme_of[code]]) > 1:
                    code = str(rng.choice([c for c in siblings[theme_of[code]] if c != code]))
                a = round(float(np.clip(start + rng.normal(0, 3), 0, seconds - 2)), 1)
                b = round(float(np.clip(end + rng.normal(0, 5), a + 1, seconds)), 1)
                second.append((code, a, b, speaker))
        for _ in range(rng.poisson(EXTRA_PER_SEGMENT * len(primary))):
            code = str(rng.choice(codes["code_id"], p=rates / rates.sum()))
            start, end = _span(rng, seconds)
            second.append((code, start, end, _speaker(rng, theme_of[code], roles)))
        for code, start, end, speaker in _no_self_overlap(second):
            rows.append((disc.discussion_id, code, disc.second_coder_id, speaker, start, end, None))
    seg = pd.DataFrame(rows, columns=["discussion_id", "code_id", "coder_id", "speaker_role", "start_seconds",
                                      "end_seconds", "excerpt"])
    seg.insert(0, "segment_id", [f"SG{i:05d}" for i in range(1, len(seg) + 1)])
    return seg


def _speaker(rng, theme: str, roles: set) -> str:
    p = SPEAKER_P["humor" if theme == "humor" else "default"]
    options = [r for r in p if r in roles]
    w = np.array([p[r] for r in options])
    return str(rng.choice(options, p=w / w.sum()))


def generate(seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng([seed, 2])
    assert len(THEMES) == count("coding.codebook.themes.n") and len(CODES) == count("coding.codebook.codes.n")
    patients = _patients(rng)
    clinicians = _clinicians(rng)
    d = _discussions(rng, patients, clinicians)
    attendance = _attendance(rng, d, patients)
    segments = _segments(rng, d, attendance)
    themes = pd.DataFrame([(t, name, definition, "published", "illustrative") for t, name, definition in THEMES],
                          columns=["theme_id", "name", "definition", "name_source", "definition_source"])
    codes = pd.DataFrame([(c, t, name, definition, "illustrative", "illustrative")
                          for c, t, name, definition, _, _ in CODES],
                         columns=["code_id", "theme_id", "name", "definition", "name_source", "definition_source"])
    coders = pd.DataFrame(CODERS, columns=["coder_id", "discipline", "qualitative_years"])
    tables = {"coding_patients": patients, "coding_clinicians": clinicians, "coding_discussions": d,
              "coding_attendance": attendance, "coding_themes": themes, "coding_codes": codes,
              "coding_coders": coders, "coding_segments": segments}
    _check_calibration(tables)
    return tables


def _check_calibration(t: dict[str, pd.DataFrame]) -> None:
    """The published figures hold exactly (a generator bug must not ship silently)."""
    p, d = t["coding_patients"], t["coding_discussions"]
    a = p[p["analytic_sample"]]
    da = d[d["patient_id"].isin(a["patient_id"])]
    per = da.groupby("patient_id").size()
    got = {
        "dyads.enrolled.n": len(p), "patients.analytic.n": len(a),
        "patients.female.n": int((a["sex"] == "female").sum()),
        "patients.race.white.n": int((a["race"] == "white").sum()), "patients.died.n": int(a["died"].sum()),
        "discussions.n": len(da), "discussions.minutes": int(da["duration_minutes"].sum()),
        "discussions.per_patient.median": float(per.median()), "discussions.per_patient.min": int(per.min()),
        "discussions.per_patient.max": int(per.max()), "oncologists.n": da["primary_oncologist_id"].nunique(),
        "codebook.themes.n": len(t["coding_themes"]), "codebook.codes.n": len(t["coding_codes"]),
    }
    for key, v in got.items():
        assert v == value(f"coding.{key}"), (key, v)
    for col in ("setting", "disease_status"):
        assert set(d[col]) <= set(standard.enum("coding_discussions", col)), col
