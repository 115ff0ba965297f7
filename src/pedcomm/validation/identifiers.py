"""The identifier screen's patterns: text, column names and ages that look like direct identifiers.

One implementation of the patterns for every check that screens for identifiers: free text and
identifier fields of any resource (TEXT_IDENTIFIER), excerpts of coded segments
(EXCERPT_IDENTIFIER, in the coding study's checks), the names of columns the standard does not define
(COLUMN_IDENTIFIER) and age-like numbers (AGE_OVER_89). It is a heuristic: it misses names without
a cue and may flag harmless text, so findings are errors a site may reclassify, with a written
justification, in its site configuration. Suspected values are always masked in reports.
"""

from __future__ import annotations

import re
from typing import Any

from .registry import parameter

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_LONG_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_STREET = (r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl"
           r"|Terrace|Parkway|Pkwy|Square|Sq|Highway|Hwy|Circle|Cir)")
#: The oldest age that may be shared as itself (AGE_OVER_89's parameter); older ages identify people.
MAX_AGE = parameter("AGE_OVER_89", "max_age")
#: Oldest age a text is taken to mean: beyond it a number next to 'years old' is not a person's age.
OLDEST_AGE = 129


def _numbers(lo: int, hi: int) -> str:
    """A pattern matching exactly the whole numbers lo..hi (longest first, as alternatives)."""
    return "(?:" + "|".join(str(n) for n in range(hi, lo - 1, -1)) + ")"


#: Ages over MAX_AGE, written as a number.
_OLD = _numbers(MAX_AGE + 1, OLDEST_AGE)

#: Likely identifiers in text: (what the message calls it, pattern), in the order messages list them.
IDENTIFIER_PATTERNS: tuple[tuple[str, str], ...] = (
    ("a personal name",
     r"\b(?:Dr|Mr|Mrs|Ms|Miss|Mx|Doctor|Nurse)\.?\s+[A-Z][a-z]+"
     r"|(?i:\bmy name is|\bname's|\bnamed|\bcalled)\s+[A-Z][a-z]+"),
    ("a date",
     r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b"
     rf"|\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
     rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_LONG_MONTH}\b"
     rf"|\b{_LONG_MONTH},?\s+\d{{4}}\b"),
    ("a phone number", r"(?:\(\d{3}\)\s*|\b\d{3}[-. ])\d{3}[-. ]\d{4}\b"),
    ("an e-mail address", r"\b[\w.+-]+@[\w-]+\.[\w.-]+"),
    ("a record or other identifying number",
     r"\b\d{3}-\d{2}-\d{4}\b|\b\d{6,}\b"
     r"|(?i:\b(?:MRN|medical record|record|chart|account|patient id|SSN)\s*(?:number|no\.?|#)?\s*(?:is\s+|[:#]\s*)?)\d{3,}"),
    ("a street address",
     rf"\b\d{{1,6}}\s+(?:[A-Z][A-Za-z'-]*\.?\s+){{1,4}}{_STREET}\b"
     r"|(?i:\bP\.?\s?O\.?\s+Box\s+\d+)"),
    (f"an age over {MAX_AGE}",
     rf"(?i:\b{_OLD}[- ]?(?:years?|yrs?)[- ]old\b|\b{_OLD}\s+years?\s+of\s+age\b|\baged?\s+{_OLD}\b"
     rf"|\b{_OLD}\s*(?:yo|y/o)\b)"),
)

#: Column names that suggest a direct identifier: (what the message calls it, pattern on the name).
COLUMN_PATTERNS: tuple[tuple[str, str], ...] = (
    ("a person's name", r"^(?:name|surname|initials)$|(?:^|_)(?:first|last|given|family|middle|full|maiden|patient|parent|child|"
                        r"mother|father|guardian|clinician|doctor|physician|nurse|provider)_?names?(?:$|_)"),
    ("a record number", r"(?:^|_)(?:mrn|medical_?record|record_?(?:no|num|number)|chart_?(?:no|num|number)|ssn|social_?security|nhs_?(?:no|number)|insurance_?(?:no|id|number))(?:$|_)"),
    ("a date of birth or a calendar date", r"(?:^|_)(?:dob|birth_?(?:date|day)|date_?of_?birth|birthdate|(?:visit|admission|discharge|death|diagnosis|survey)_?date|date)(?:$|_)"),
    ("a phone number", r"(?:^|_)(?:phone|telephone|tel|mobile|cell_?phone|fax)(?:$|_)"),
    ("an e-mail address", r"(?:^|_)e_?mail(?:$|_)"),
    ("a street address", r"(?:^|_)(?:address|street|addr|zip|zip_?code|postcode|postal_?code|city)(?:$|_)"),
)

#: Numeric columns whose values are ages.
AGE_FIELD = re.compile(r"(?:^|_)age(?:$|_)|^age_?years$")


def is_age_field(name: str) -> bool:
    return bool(AGE_FIELD.search(str(name).lower()))


def too_old(values: list) -> list[bool]:
    """Which values are ages over MAX_AGE (to be masked in every finding that shows them)."""
    out = []
    for v in values:
        try:
            out.append(float(str(v).strip()) > MAX_AGE)
        except ValueError:
            out.append(False)
    return out


#: Every pattern at once (one pass finds the few texts that need a closer look), and each alone; ASCII
#: semantics for \b, \d, \w and case, as RE2 has them in the check engine's SQL (pc_screen, pc_kinds).
_ANY = re.compile("|".join(f"(?:{p})" for _, p in IDENTIFIER_PATTERNS), re.ASCII)
_EACH = [(label, re.compile(p, re.ASCII)) for label, p in IDENTIFIER_PATTERNS]


def kinds(text: str) -> str:
    """The kinds of likely identifier in one text, joined with 'and' ('' when none)."""
    if not _ANY.search(text):
        return ""
    return " and ".join(label for label, rx in _EACH if rx.search(text))


def find(texts) -> tuple[list[int], list[str]]:
    """Positions of the texts holding likely identifiers, and the kinds found in each ('and'-joined).

    For values shown in Python (names from a header line or a descriptor, an import's messages); the
    check engine screens the tables themselves in SQL with the same patterns. Missing values never match.
    """
    where, found = [], []
    for i, t in enumerate(texts):
        if t is None or (isinstance(t, float) and t != t) or t.__class__.__name__ in ("NAType", "NaTType"):
            continue
        k = kinds(str(t))
        if k:
            where.append(i)
            found.append(k)
    return where, found


def identifier_kinds(texts: Any) -> Any:
    """Per text of a pandas Series, the kinds of likely identifier found ('' when none; NA gives '')."""
    import pandas as pd

    return pd.Series([kinds(str(t)) if pd.notna(t) else "" for t in texts], index=texts.index, dtype=object)


def column_kind(name: str) -> str:
    """What a column name suggests ('' when nothing)."""
    low = re.sub(r"[\s-]+", "_", str(name).strip().lower())
    for label, pattern in COLUMN_PATTERNS:
        if re.search(pattern, low):
            return label
    return ""
