"""How alike two fields' names, labels and choices are, from 0 to 100 (rapidfuzz, after normalising).

Texts are normalised (HTML tags and entities, accents, case and punctuation removed), split into
words (names also at underscores, digits and camelCase), stripped of words that say nothing, and
each word is replaced by its concept from vocabulary.yaml (``dx`` and ``diagnostic`` by
``diagnosis``). Two lists of words are then compared word by word: equal words, a word that starts
the other (an abbreviation of 3 letters or more), or words rapidfuzz finds nearly equal.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz

VOCABULARY = Path(__file__).with_name("vocabulary.yaml")
#: A word this close to another (rapidfuzz ratio) counts as the same word misspelled.
NEAR = 84
#: A word of this many letters or more that starts another is its abbreviation (educ, anx).
ABBREVIATION = 3
#: Words that turn a label into its opposite ('Not Hispanic'): one side with and one without is no match.
NEGATIONS = frozenset({"not", "non", "pas", "neither", "nor", "ni"})


@cache
def _vocabulary() -> tuple[dict[str, str], dict[str, str], frozenset[str]]:
    data = yaml.safe_load(VOCABULARY.read_text(encoding="utf-8"))
    phrases = {p: concept for concept, ps in data["phrases"].items() for p in ps}
    words = {w: concept for concept, ws in data["words"].items() for w in ws}
    return phrases, words, frozenset(data["stopwords"])


def normalise(text: str) -> str:
    """Lower case, no accents, no HTML, words separated by single spaces."""
    text = html.unescape(re.sub(r"<[^>]*>", " ", str(text or "")))
    text = re.sub(r"['\u2019]s\b", "", text)  # possessives: children's, patient's
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _split_name(name: str) -> str:
    """A variable name as words: parent_sex, sexeParent, hads2 -> 'parent sex', 'sexe parent', 'hads 2'."""
    name = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    name = re.sub(r"([A-Za-z])([0-9])|([0-9])([A-Za-z])", r"\1\3 \2\4", name)
    return name.replace("_", " ")


def words(text: str, name: bool = False) -> tuple[str, ...]:
    """The concepts a text (or a variable name) says, in order."""
    phrases, vocabulary, stop = _vocabulary()
    s = f" {normalise(_split_name(text) if name else text)} "
    for phrase in sorted(phrases, key=len, reverse=True):
        if f" {phrase} " in s:
            s = s.replace(f" {phrase} ", f" {phrases[phrase]} ")
    return tuple(vocabulary.get(w, w) for w in s.split() if w not in stop)


def _word(a: str, b: str) -> float:
    if a == b:
        return 100.0
    if min(len(a), len(b)) >= ABBREVIATION and (a.startswith(b) or b.startswith(a)) and not (a.isdigit() or b.isdigit()):
        return 90.0
    if a.isdigit() or b.isdigit():
        return 0.0
    r = fuzz.ratio(a, b)
    return r if r >= NEAR else 0.0


def bags(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """How much of each list of words the other covers (0 to 100, symmetric)."""
    if not a or not b:
        return 0.0
    sa = sum(max(_word(x, y) for y in b) for x in a) / len(a)
    sb = sum(max(_word(x, y) for x in a) for y in b) / len(b)
    return (sa + sb) / 2


def _acronym(a: str, b: str) -> bool:
    """``a`` is the initials of ``b`` (NP, Nurse practitioner)."""
    short, long_ = normalise(a).split(), normalise(b).split()
    return len(short) == 1 and 2 <= len(short[0]) <= 5 and len(long_) == len(short[0]) and \
        short[0] == "".join(w[0] for w in long_)


def texts(a: str, b: str) -> float:
    """How alike two labels are."""
    if _acronym(a, b) or _acronym(b, a):
        return 90.0
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 0.0
    mixed = (fuzz.token_set_ratio(" ".join(wa), " ".join(wb)) + fuzz.token_sort_ratio(" ".join(wa), " ".join(wb))) / 2
    score = max(bags(wa, wb), mixed)
    if _negated(wa) & (set(wb) - _negated(wb)) or _negated(wb) & (set(wa) - _negated(wa)):
        score /= 2  # 'Not Hispanic' is not 'Hispanic' (but 'White, non-Hispanic' may well be 'White')
    return score


def _negated(ws: tuple[str, ...]) -> set[str]:
    """The words a negation stands before ('not hispanic', 'non cns')."""
    return {b for a, b in zip(ws, ws[1:]) if a in NEGATIONS}


def names(a: str, b: str) -> float:
    """How alike two variable names are."""
    return bags(words(a, name=True), words(b, name=True))
