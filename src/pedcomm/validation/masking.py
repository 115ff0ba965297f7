"""The one path every value shown to a person takes: screened, masked, neutralised and bounded.

Findings, messages and reports show values read from a site's files (a duplicated key, a value
that is not a code, a column name, a selection's name in a QDA project). Each goes through
``shown``, which

1. **masks** it unless the user asked for ``--show-values``: when the caller knows it is sensitive
   (free text, an age over 89, a malformed identifier) or when the identifier screen
   (pedcomm.checks.identifiers: names after a title, dates, phone numbers, e-mail and street
   addresses, record-number-like strings, ages over 89) finds a likely identifier in it, so the
   same value is masked in every finding that shows it, whatever the check;
2. **neutralises** control characters (terminal escape sequences, carriage returns, bidirectional
   overrides): they are shown as visible escapes such as ``\\x1b`` and never reach a terminal, a
   Markdown file or a log as themselves;
3. **bounds** the length, so no message formats an unbounded value.

Renderings add their own escaping on top (rich markup in the terminal, HTML in Markdown, formula
triggers in CSV tables for people: pedcomm.neutralise).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

#: Longest value shown in a finding (the message quotes at most 60 characters of it).
MAX_SHOWN = 200

#: Control characters, bidirectional marks and overrides, and lone surrogates (a file name holding a
#: byte that is not UTF-8 arrives as one; no text file can be written with it).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def neutralise(text: str) -> str:
    """Control characters and bidirectional overrides as visible escapes ('\\x1b', '\\u202e')."""
    return _CONTROL.sub(_escape, text)


def bounded(text: str, limit: int = MAX_SHOWN) -> str:
    if len(text) <= limit:
        return text
    return f"{text[: limit - 30]}... ({len(text)} characters)"


def mask(value: Any) -> str:
    """Show the shape of a possibly identifying value without the value itself."""
    s = str(value)
    if len(s) <= 1:
        return "*"
    return neutralise(f"{s[0]}{'*' * min(len(s) - 1, 8)} ({len(s)} characters, masked)")


def flagged(texts: list[str]) -> list[bool]:
    """For each text, whether the identifier screen finds a likely identifier in it."""
    if not texts:
        return []
    from .identifiers import find

    where, _ = find([_SURROGATE.sub("\ufffd", t) for t in texts])
    out = [False] * len(texts)
    for i in where:
        out[int(i)] = True
    return out


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v.__class__.__name__ in ("NAType", "NaTType")


def shown(values: Iterable, *, reveal: bool = False, sensitive: bool | Iterable[bool] = False,
          limit: int = MAX_SHOWN) -> list[str | None]:
    """Values fit to show: None for missing ones, masked ones where needed (see the module docstring)."""
    vals = list(values)
    texts: list[str | None] = [None if _missing(v) else str(v) for v in vals]
    if reveal:
        return [None if t is None else bounded(neutralise(t), limit) for t in texts]
    flags = list(sensitive) if not isinstance(sensitive, bool) else [sensitive] * len(texts)
    flags += [False] * (len(texts) - len(flags))
    present = [i for i, t in enumerate(texts) if t is not None and not flags[i]]
    for i, hit in zip(present, flagged([t for i in present if (t := texts[i]) is not None])):
        flags[i] = hit
    return [None if t is None else mask(t) if flags[i] else bounded(neutralise(t), limit) for i, t in enumerate(texts)]


#: The rules below are written so that RE2 (the check engine's SQL, pedcomm.validation.engine.sql:
#: pc_words, pc_two_words, pc_capitalised, pc_person, pc_typed_words, pc_too_old) reads them the same way: a word is a
#: run of two or more letters (Unicode category L*, RE2 ``\pL{2,}``); a word is "capitalised" when it
#: holds an upper-case or title-case letter or no lower-case one (RE2 ``[\p{Lu}\p{Lt}]``, ``\p{Ll}``);
#: numbers are ASCII digits. tests/test_masking_sql.py checks both sides on the same texts.


def words(text: str) -> list[str]:
    """The words of letters (two or more) in ``text``: what names and typed phrases are made of,
    unlike codes and numbers."""
    out, run = [], []
    for ch in str(text):
        if unicodedata.category(ch).startswith("L"):
            run.append(ch)
            continue
        if len(run) >= 2:
            out.append("".join(run))
        run = []
    if len(run) >= 2:
        out.append("".join(run))
    return out


def _capital(word: str) -> bool:
    cats = {unicodedata.category(ch) for ch in word}
    return bool(cats & {"Lu", "Lt"}) or "Ll" not in cats


def typed_words(text: str) -> bool:
    """Whether ``text`` reads like words a person typed (a name such as 'Jane Doe' or 'Smith', a
    phrase) rather than a code or a number: two or more words of letters, or a word with a capital."""
    found = words(text)
    return len(found) >= 2 or any(_capital(w) for w in found)


def named_like_a_person(text: str) -> bool:
    """Whether ``text`` (an identifier, a folder or file name) could be a person's name: two or more
    words of letters, one of them capitalised ('Jane Doe', 'DOE_Jane', 'Jane.Doe', 'Mary.Major')."""
    found = words(text)
    return len(found) >= 2 and any(_capital(w) for w in found)


#: A number in a text (ASCII digits, a decimal point or comma): '95', '95.0', '95,5'.
_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)?")


def over_age(text: str) -> bool:
    """Whether a text holds a number beyond the oldest age that may be shown (AGE_OVER_89's max_age):
    '95', '95.0', '95 years', 'about 95'. In an age field such a value is masked in every finding."""
    from .identifiers import MAX_AGE

    return any(float(n.replace(",", ".")) > MAX_AGE for n in _NUMBER.findall(str(text)))


def field_sensitive(fd: dict, text: str) -> bool:
    """Whether a value of a field is masked in every finding that shows it (unless --show-values),
    before the identifier screen: free text; in an identifier field (a pattern) a value failing the
    pattern or named like a person ('Jane_Doe'); a value over 40 characters; in an age field a value
    holding an age over 89 ('95 years', '95.0'); in a field of codes or of a type (a number, a date,
    true/false) a value that reads like words a person typed ('Jane Doe', 'Smith', '5-Mar') unless
    it is a code in other spelling, a spelling of missing or of true/false/yes/no.

    The check engine evaluates the same rule in SQL (pedcomm.validation.engine.sql.sensitive, the
    show__<table>__<field> macros); this is its statement in Python, for the hosts' own findings."""
    from ..standard.cells import FALSE_VALUES, TRUE_VALUES
    from .cast import LABEL_BOOLEANS, NA_SPELLINGS, is_free_text
    from .identifiers import is_age_field

    c = fd.get("constraints", {})
    if is_free_text(fd):
        return True
    old = is_age_field(fd.get("name", "")) and over_age(text)
    if "pattern" in c:
        return re.fullmatch(c["pattern"], text) is None or named_like_a_person(text) or old
    if len(text) > 40 or old:
        return True
    if "enum" not in c and fd.get("type", "string") == "string":
        return False
    s = text.strip()
    codes = {_CODE_SPACES.sub("_", str(x).strip().lower()) for x in c.get("enum", [])}
    spellings = {x.lower() for x in (*TRUE_VALUES, *FALSE_VALUES, *LABEL_BOOLEANS)}
    if _CODE_SPACES.sub("_", s.lower()) in codes or NA_SPELLINGS.fullmatch(s) or s.lower() in spellings:
        return False
    return typed_words(s)


#: Spaces and hyphens, as '_' in a code written another way ('Prefer not to say', 'prefer-not-to-say').
_CODE_SPACES = re.compile(r"[\t\n\f\r -]+")


def path_shown(path: Any, *, reveal: bool = False) -> str:
    """A path fit to show (the package a report is about): each folder or file name in it that the
    identifier screen flags or that could be a person's name is masked, unless ``reveal``."""
    text = str(path)
    if reveal:
        return bounded(neutralise(text))
    parts = re.split(r"([/\\])", text)
    names = [i for i, part in enumerate(parts) if part and part not in "/\\"]
    hits = flagged([parts[i] for i in names])
    for i, hit in zip(names, hits):
        stem = re.sub(r"\.[a-z0-9]{1,5}$", "", parts[i])  # 'SITE1.json' is one word and its extension
        if hit or named_like_a_person(stem):
            parts[i] = mask(parts[i])
    return bounded(neutralise("".join(parts)))


@lru_cache(maxsize=4096)
def _label(text: str, reveal: bool, limit: int) -> str | None:
    return shown([text], reveal=reveal, limit=limit)[0]


def shown_one(value: Any, *, reveal: bool = False, sensitive: bool = False, limit: int = MAX_SHOWN) -> str | None:
    """One value fit to show (``shown`` for a single value; None stays None)."""
    if _missing(value):
        return None
    if sensitive and not reveal:
        return mask(value)
    return _label(str(value), reveal, limit)
