"""`pedcomm redcap crosswalk`: a draft crosswalk from the site's own data dictionary.

Every site field is compared with every standard field: labels and names (match.py: normalised,
abbreviations and other languages' words replaced by the standard's, then rapidfuzz), the type of
value each holds (a checkbox only with a checkbox, a date never with a category ...), and for fields
with choices how well the choices' labels pair up. Forms add context: a site form whose fields look
like the standard's parent survey makes its fields likelier parent fields (so the parent's sex and
the child's are told apart). The pairs are then chosen all at once, each site field for at most one
standard field, for the best total (scipy's linear_sum_assignment), and the choices of each pair
the same way. Each row gets a confidence from 0 to 100; a row below CROSSWALK_REVIEW_PENDING's
``min_confidence``, with a runner-up within its ``ambiguity_margin`` (the best choice of pairs
without this one is about as good), or for which nothing was found, is marked for review.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from ...standard import missing_codes
from ...validation.registry import parameter
from .. import labels as L
from ..redcap.forms import RECORD_ID, REPEAT_INSTRUMENT
from . import match
from .sitefields import Described, SiteField
from .targets import CHECKBOX, CHOICE, TEXT, Target, forms

#: A pair of fields (or of choices) scoring below this is no candidate at all.
FLOOR = 40.0
#: Points a site form's likeness to a standard form adds to the pairs between their fields.
FORM_WEIGHT = 12.0
#: The score of a site code without a label that equals a standard code (a plain CSV file's 1 and the standard's 1).
UNLABELLED = 60.0
#: A site field this compatible with a standard field (0 to 1) holds the same kind of value.
SAME_KIND = 0.9
#: How sure the draft is that a single-site package's site is the value of every record (the project has no site field).
ONE_SITE = 90.0
#: Words that say a column holds the record id (a file without a data dictionary's record field).
RECORD_WORDS = ("identifier", "record")


@dataclass
class Pair:
    site: SiteField
    target: Target
    score: float  # 0..100, without the form context
    margin: float  # how much worse the best choice without this pair is
    confidence: float = 0.0  # the row's


def _compat(s: SiteField, t: Target) -> float:
    """How well the values a site field holds can be the standard field's (0: never)."""
    st, v = s.field_type, s.validation
    if t.kind == CHECKBOX:
        return 1.0 if st == "checkbox" else 0.0
    if st == "checkbox" or st in ("file",):
        return 0.0
    coded = st in ("radio", "dropdown", "yesno", "truefalse") or bool(s.choices)
    if t.kind == CHOICE:
        numeric_codes = all(c.lstrip("-").isdigit() for c in t.codes)
        if coded:
            return 1.0
        if st == "text" and not v.startswith("date"):
            return 0.6 if (numeric_codes and v in ("integer", "number")) or not v else 0.3
        return 0.3 if st in ("calc", "slider") else 0.1
    # a text field of the standard
    if v.startswith("date") != t.validation.startswith("date"):
        return 0.1
    if t.validation in ("integer", "number"):
        if st == "text":
            return {"integer": 0.9, "number": 0.85, "": 0.6, t.validation: 1.0}.get(v, 0.3)
        return {"calc": 0.7, "slider": 0.6}.get(st, 0.3 if coded else 0.2)
    if t.validation.startswith("date"):
        return 1.0 if v.startswith("date") else 0.2
    if st == "text":
        return 1.0 if not v else (0.7 if v in ("integer", "number") else 0.4)
    return {"notes": 0.6}.get(st, 0.3 if coded else 0.2)


def _assign(gain: np.ndarray) -> list[tuple[int, int]]:
    """Row-column pairs of the best total gain, positive gains only."""
    from scipy.optimize import linear_sum_assignment

    if gain.size == 0:
        return []
    rows, cols = linear_sum_assignment(gain, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if gain[r, c] > 0]


def _total(gain: np.ndarray, pairs: list[tuple[int, int]]) -> float:
    return float(sum(gain[r, c] for r, c in pairs))


def _best(gain: np.ndarray) -> list[tuple[int, int, float]]:
    """The best pairs, each with its margin: how much the total drops without it."""
    pairs = _assign(gain)
    total = _total(gain, pairs)
    out = []
    for r, c in pairs:
        without = gain.copy()
        without[r, c] = -1e6
        out.append((r, c, total - _total(without, _assign(without))))
    return out


def choice_scores(site: tuple[tuple[str, str], ...], std: dict[str, str]) -> np.ndarray:
    """Site choices x standard codes: how alike their labels are (the same code adds a little)."""
    m = np.zeros((len(site), len(std)))
    for i, (sc, slab) in enumerate(site):
        for j, (tc, tlab) in enumerate(std.items()):
            score = match.texts(slab or sc, tlab or tc)
            if not tc.lstrip("-").isdigit():  # a label may be the code itself (TCH)
                score = max(score, match.texts(slab or sc, tc))
            if sc == tc and score >= FLOOR:
                score = min(100.0, score + 10)
            elif sc == tc and slab in ("", sc):  # no label to compare: the same code is a guess to confirm
                score = UNLABELLED
            m[i, j] = score
    return m


def _choice_likeness(s: SiteField, t: Target) -> float | None:
    if not s.choices or not t.codes:
        return None
    m = choice_scores(s.choices, t.codes)
    pairs = _assign(m - FLOOR)
    covered = sum(m[r, c] for r, c in pairs) / len(t.codes)
    ratio = min(len(s.choices), len(t.codes)) / max(len(s.choices), len(t.codes))
    return covered * (0.75 + 0.25 * ratio)


def score(s: SiteField, t: Target) -> float:
    """How likely the site field is the standard field, from 0 to 100 (its form aside)."""
    compat = _compat(s, t)
    if compat == 0:
        return 0.0
    name = max(match.names(s.name, t.name), match.names(s.name, t.short))
    label = match.texts(s.label, t.label) if s.label else name
    textual = max(0.6 * label + 0.4 * name, 0.4 * label + 0.6 * name)
    choices = _choice_likeness(s, t)
    both = textual if choices is None else 0.65 * textual + 0.35 * choices
    return compat * both


def _form_likeness(fields: list[SiteField], data: list[Target], base: np.ndarray) -> dict[tuple[str, str], float]:
    """(site form, standard form) -> how much the site form looks like the standard form (0 to 1)."""
    site_forms = list(dict.fromkeys(s.form for s in fields))
    if len(site_forms) < 2:
        return {}
    votes: dict[str, Counter] = defaultdict(Counter)
    for i, s in enumerate(fields):
        j = int(np.argmax(base[i])) if base.shape[1] else 0
        if base.shape[1] and base[i, j] >= FLOOR:
            votes[s.form][data[j].form] += base[i, j]
    out = {}
    for f in site_forms:
        total = sum(votes[f].values())
        for g, label, _ in forms():
            share = votes[f][g] / total if total else 0.0
            named = max(match.names(f, g), match.texts(f.replace("_", " "), label)) / 100
            out[f, g] = 0.7 * share + 0.3 * named
    return out


def confidence(score: float, margin: float) -> float:
    """A row's confidence: how alike the two are, raised by how far ahead of every other choice the pair is
    (a 'Black or African American' that can only be 'Black' is likelier right than its words alone say)."""
    return min(100.0, score + max(margin, 0.0) / 2)


def _note(site: str, std: str) -> str:
    return f"{L.shown(site, 70)!r} is {L.shown(std, 70)!r}"


def _row(site_field="", site_code="", standard_field="", standard_code="", conf: float | None = None,
         review: bool = False, note: str = "") -> dict:
    return {"site_field": site_field, "site_code": site_code, "standard_field": standard_field,
            "standard_code": standard_code, "confidence": "" if conf is None else str(int(round(conf))),
            "review": L.TRUE_TEXT if review else L.FALSE_TEXT, "note": note}


def _record_field(fields: list[SiteField], from_redcap: bool) -> tuple[SiteField, float]:
    """The site's record id field: REDCap's first field; else the first column that says it is one."""
    if from_redcap:
        return fields[0], 100.0
    for s in fields:
        if any(w in RECORD_WORDS for w in match.words(s.name, name=True) + match.words(s.label)):
            return s, 90.0 if s is fields[0] else 80.0
    return fields[0], 50.0


def _code_rows(pair: Pair, limit: float, margin: float, doubt: bool) -> list[dict]:
    """The rows of a pair's codes: each site choice with the standard code it stands for (all of them
    marked for review when the pair itself is: ``doubt``)."""
    s, t = pair.site, pair.target
    std = t.choices()
    if not s.choices:
        return []
    m = choice_scores(s.choices, std)
    codes = list(std)
    chosen = {r: (c, g) for r, c, g in _best(m - FLOOR)}
    rows = []
    for i, (sc, slab) in enumerate(s.choices):
        if i in chosen:
            j, gap = chosen[i]
            conf = m[i, j]
        else:  # more site codes than standard ones: the likeliest, if it is likely (and a person confirms it)
            j = int(np.argmax(m[i])) if m.shape[1] else -1
            conf = m[i, j] if j >= 0 else 0.0
            gap = 0.0
            if conf < limit:
                rows.append(_row(s.name, sc, t.name, "", 0, True,
                                 f"{L.shown(slab or sc, 70)!r}: no code of {t.name} found; give one, or leave "
                                 "standard_code blank to leave the value out"))
                continue
        code, conf = codes[j], confidence(conf, gap)
        rows.append(_row(s.name, sc, t.name, code, conf, doubt or conf < limit or gap < margin,
                         _note(slab or sc, std[code] or code)))
    return rows


def draft(described: Described, targets: dict[str, Target], sites: dict[str, str]) -> list[dict]:
    """The draft crosswalk's rows (column -> cell).

    ``described``: the site's fields (sitefields.site_fields); ``targets``: the standard's fields
    (targets.targets); ``sites``: the reference package's sites (id -> name), for the value every
    record gets when the site's project has no site field.
    """
    fields, from_redcap = described.fields, described.columns is None
    limit = float(parameter("CROSSWALK_REVIEW_PENDING", "min_confidence"))
    margin = float(parameter("CROSSWALK_REVIEW_PENDING", "ambiguity_margin"))
    record, record_conf = _record_field(fields, from_redcap)
    candidates = [s for s in fields if s is not record]
    data = [t for t in targets.values() if t.kind in (CHOICE, CHECKBOX, TEXT)]
    base = np.array([[score(s, t) for t in data] for s in candidates]).reshape(len(candidates), len(data))
    likeness = _form_likeness(candidates, data, base)
    context = np.array([[FORM_WEIGHT * likeness.get((s.form, t.form), 0.0) for t in data] for s in candidates])
    context = context.reshape(base.shape)
    floor = np.where(base >= FLOOR, base + context - FLOOR, -1.0)
    pairs = {c: Pair(candidates[r], data[c], base[r, c], gap) for r, c, gap in _best(floor)}

    rows = [_row(record.name, "", RECORD_ID, "", record_conf, record_conf < limit, _note(record.label or record.name,
                                                                                         targets[RECORD_ID].label))]
    doubtful = set()  # standard fields whose site field is marked for review
    for c, t in enumerate(data):
        p = pairs.get(c)
        if p is None:
            rows.append(_unmatched(t, sites, limit))
            continue
        conf = confidence(p.score, p.margin)
        uncertain = conf < limit or p.margin < margin
        note = _note(p.site.label or p.site.name, t.label)
        if t.kind != TEXT and not p.site.choices:
            uncertain = True
            note += "; the site field has no labelled codes: its values are kept, check they are the standard's"
        rows.append(_row(p.site.name, "", t.name, "", conf, uncertain, note))
        if uncertain:
            doubtful.add(c)
        if t.kind != TEXT:
            rows += _code_rows(p, limit, margin, uncertain)
        p.confidence = conf
    rows += _form_rows(pairs, candidates, limit, described.columns)
    rows += [_row("", code, "", code, 100, False, f"the standard's missing-value code {code} ({label}); if your project's "
                                                  "missing-data code for it differs, write yours in site_code")
             for code, label in _missing().items()]
    taken = {p.site.name for p in pairs.values()} | {record.name}
    for i, s in enumerate(candidates):
        if s.name in taken:
            continue
        # a standard field without a (sure) site field may be this one: alike, or the same kind of value on a like form
        open_fields = [c for c in range(base.shape[1]) if (c not in pairs or c in doubtful) and not _has_constant(data[c], sites)
                       and (base[i, c] >= FLOOR or (_compat(s, data[c]) >= SAME_KIND
                                                    and likeness.get((s.form, data[c].form), 0.0) >= 0.5))]
        j = max(open_fields, key=lambda c: base[i, c] + context[i, c], default=-1)
        open_target = j >= 0
        rows.append(_row(s.name, "", "", "", None, open_target,
                         f"might be {data[j].name} ({L.shown(data[j].label, 70)!r})" if open_target else
                         "not a field of the standard: left out"))
    return rows


def _has_constant(t: Target, sites: dict[str, str]) -> bool:
    """The draft gives the field one value for every record (the site field of a single-site project)."""
    return t.kind == CHOICE and set(t.codes) == set(sites) and len(sites) == 1


def _missing() -> dict[str, str]:
    """The missing-value codes the standard's survey tables declare (the same in each)."""
    return {c: label for c, label in missing_codes("survey_responses").items() if c}


def _unmatched(t: Target, sites: dict[str, str], limit: float) -> dict:
    if _has_constant(t, sites):
        (code, name), = sites.items()
        return _row("", "", t.name, code, ONE_SITE, ONE_SITE < limit,
                    f"no site field found: every {t.form} record gets the package's site {code} ({L.shown(name, 70)!r})")
    return _row("", "", t.name, "", 0, True,
                f"no site field found for {L.shown(t.label, 70)!r}: write the site field that holds it, or leave site_field "
                "blank if your project does not collect it")


def _form_rows(pairs: dict[int, Pair], fields: list[SiteField], limit: float, columns: frozenset[str] | None) -> list[dict]:
    """Each site form's status column and repeating-instrument name, mapped to the standard form its fields are on
    (a data file's status columns only if it has them)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    sure: dict[tuple[str, str], float] = defaultdict(float)
    for p in pairs.values():
        counts[p.site.form][p.target.form] += 1
        sure[p.site.form, p.target.form] += p.confidence
    repeating = {name for name, _, r in forms() if r}
    size = Counter(s.form for s in fields)
    rows, leave = [], []
    for form in dict.fromkeys(s.form for s in fields):
        if not form:
            continue
        if not counts[form]:
            leave.append(form)
            continue
        (std, n), = counts[form].most_common(1)
        # the share of its fields there, as sure as they are; less when most of the form is the site's own
        coverage = min(1.0, 2 * sum(counts[form].values()) / size[form])
        conf = sure[form, std] / sum(counts[form].values()) * coverage
        note = f"most fields of {L.shown(form, 70)!r} are on the standard's {std} form"
        if std in repeating:
            rows.append(_row(REPEAT_INSTRUMENT, form, REPEAT_INSTRUMENT, std, conf, conf < limit, note))
        if columns is None or f"{form}_complete" in columns:
            rows.append(_row(f"{form}_complete", "", f"{std}_complete", "", conf, conf < limit, note))
    rows += [_row(REPEAT_INSTRUMENT, form, REPEAT_INSTRUMENT, "", 100, False,
                  f"no field of {L.shown(form, 70)!r} is in the standard: its rows (if it repeats) are left out")
             for form in leave]
    return rows
