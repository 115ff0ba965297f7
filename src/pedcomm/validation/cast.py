"""How cell text reads as Table Schema types (the check engine's SQL is generated from these, see
pedcomm.validation.engine.sql), the names of the types in messages, and which fields hold free text."""

from __future__ import annotations

import re

INTEGER = r"[+-]?\d+"
NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
DATE = r"\d{4}-\d{2}-\d{2}"
INT64_MAX = str(2**63 - 1)
NA_SPELLINGS = re.compile(r"(?i)n/?a|na|null|none|nan|missing|unknown|\.|-|\?")
#: How REDCap's "labels" export spells a yes/no or checkbox answer (its raw export writes 1/0): not
#: booleans of the standard (a hint in CELL_TYPE), and never masked as typed words.
LABEL_BOOLEANS = ("yes", "no", "checked", "unchecked")

TYPE_NAMES = {"integer": "whole number", "number": "number", "boolean": "true/false value",
              "date": "date (YYYY-MM-DD)", "string": "text"}


def in_words(missing: dict[str, str], labelled: bool = True) -> str:
    """A resource's declared missing-value codes (its Table Schema's ``missingValues``, value -> label)
    for a hint: '-7 (refused), -8 (don't know) or -9 (not applicable)'; the blank is not listed."""
    items = [f"{code} ({label})" if labelled and label else code for code, label in missing.items() if code]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1] if items else ""


def is_free_text(fd: dict) -> bool:
    """Free-text fields may hold anything a person typed, so their values are masked in reports."""
    c = fd.get("constraints", {})
    return fd.get("type", "string") == "string" and "enum" not in c and "pattern" not in c
