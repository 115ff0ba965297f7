"""Reading cell text as Table Schema types, and explaining why a value did not read."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..standard.cells import FALSE_VALUES, TRUE_VALUES

INTEGER = r"[+-]?\d+"
NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
DATE = r"\d{4}-\d{2}-\d{2}"
INT64_MAX = str(2**63 - 1)
NA_SPELLINGS = re.compile(r"(?i)n/?a|na|null|none|nan|missing|unknown|\.|-|\?")
ID_PATTERN_HINT = "^[A-Za-z0-9]"
#: Labels a form tool writes for true/false (REDCap's yes/no, checked/unchecked): not booleans of the standard.
LABEL_BOOLEANS = ("yes", "no", "checked", "unchecked")

TYPE_NAMES = {"integer": "whole number", "number": "number", "boolean": "true/false value",
              "date": "date (YYYY-MM-DD)", "string": "text"}


def cast(raw: pd.Series, type_: str) -> tuple[pd.Series, pd.Series]:
    """Typed values and a mask of cells that did not read (raw is non-missing text)."""
    if type_ == "string":
        return raw, pd.Series(False, index=raw.index)
    if type_ in ("integer", "number"):
        from .arrowops import arrow_strings

        a = arrow_strings(raw)
        ok_a = pc.fill_null(pc.match_substring_regex(a, f"^(?:{INTEGER if type_ == 'integer' else NUMBER})$"), False)
        if type_ == "integer":
            # beyond 19 characters an integer does not fit int64, nor 19 digits above its maximum:
            # not a valid value here (and never an error: pyarrow's cast would raise on them)
            n = pc.utf8_length(a)
            over = pc.and_(pc.equal(n, 19), pc.greater(a, INT64_MAX))  # a sign sorts before digits
            ok_a = pc.fill_null(pc.and_(ok_a, pc.and_(pc.less_equal(n, 19), pc.invert(over))), False)
            a = pc.replace_substring_regex(a, r"^\+", "")  # '+5' reads as 5; pyarrow's cast refuses the sign
        num = pc.cast(pc.if_else(ok_a, a, pa.scalar(None, a.type)), pa.int64() if type_ == "integer" else pa.float64())
        if type_ == "number":  # 1e400 reads as infinity: not a number any analysis can use
            ok_a = pc.fill_null(pc.and_(ok_a, pc.is_finite(num)), False)
            num = pc.if_else(ok_a, num, pa.scalar(None, pa.float64()))
        ok = pd.Series(ok_a.to_numpy(zero_copy_only=False), index=raw.index)
        # straight from Arrow to the nullable dtype: through float64 a large integer would lose digits
        dtype = pd.Int64Dtype() if type_ == "integer" else pd.Float64Dtype()
        typed = pd.Series(num.to_pandas(types_mapper={num.type: dtype}.get).array, index=raw.index)
    elif type_ == "boolean":
        t, f = raw.isin(TRUE_VALUES), raw.isin(FALSE_VALUES)
        ok = t | f
        typed = pd.Series(pd.array(np.where(t, True, False), dtype="boolean"), index=raw.index)
        typed[~ok] = pd.NA
    elif type_ == "date":
        ok0 = raw.str.fullmatch(DATE).fillna(False).astype(bool)
        typed = pd.to_datetime(raw.where(ok0), format="%Y-%m-%d", errors="coerce")
        ok = ok0 & typed.notna()
    else:  # pragma: no cover - schemas are validated against the types we support
        raise ValueError(f"unsupported type {type_}")
    bad = ~ok & raw.notna()
    return typed, bad


def in_words(missing: dict[str, str], labelled: bool = True) -> str:
    """A resource's declared missing-value codes (its Table Schema's ``missingValues``, value -> label)
    for a hint: '-7 (refused), -8 (don't know) or -9 (not applicable)'; the blank is not listed."""
    items = [f"{code} ({label})" if labelled and label else code for code, label in missing.items() if code]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1] if items else ""


def _blank_or(missing: dict[str, str], labelled: bool) -> str:
    codes = in_words(missing, labelled)
    return "leave the cell blank" + (f" or use {codes}" if codes else "")


def type_hint(value: str, type_: str, missing: dict[str, str] | None = None) -> str:
    """Why a value did not read as ``type_``, as advice; ``missing``: the resource's declared missing-value codes."""
    v = value
    s = v.strip()
    if NA_SPELLINGS.fullmatch(s):
        return (" Spellings of 'missing' such as NA are not missing-value codes here: "
                f"{_blank_or(missing or {}, labelled=True)}.")
    if s != v:
        return " It has spaces around it; remove them."
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", s) and type_ in ("integer", "string"):
        return (" This looks like Excel scientific notation (1.0E+05): format the column as text before saving so "
                "identifiers and long numbers keep all digits.")
    if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}-[A-Za-z]{3}(-\d{2,4})?|[A-Za-z]{3}-\d{1,2}", s):
        if type_ == "date":
            return " Dates must be written YYYY-MM-DD."
        return " This looks like a date: Excel may have turned a code or number into a date."
    if type_ in ("integer", "number") and re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", s):
        return " Remove the thousands separators."
    if type_ == "number" and re.fullmatch(r"\d+,\d+", s):
        return " Use a decimal point, not a decimal comma."
    if type_ == "integer" and re.fullmatch(r"[+-]?\d+\.0+", s):
        return " Whole numbers must not have decimals (a spreadsheet may have added '.0')."
    if type_ == "integer" and re.fullmatch(NUMBER, s):
        return " A whole number is expected here."
    if type_ == "number" and re.fullmatch(NUMBER, s):
        return " The number is too large to represent."
    if type_ == "boolean":
        return " Use true or false."
    return ""


def enum_hint(value: str, codes: list[str], missing: dict[str, str] | None = None) -> str:
    norm = re.sub(r"[\s-]+", "_", value.strip().lower())
    for c in codes:
        if c.lower() == norm:
            return f" Did you mean '{c}'? Codes must match exactly (case and spaces)."
    if NA_SPELLINGS.fullmatch(value.strip()):
        return f" To record a missing value {_blank_or(missing or {}, labelled=False)}."
    return ""


def is_free_text(fd: dict) -> bool:
    """Free-text fields may hold anything a person typed, so their values are masked in reports."""
    c = fd.get("constraints", {})
    return fd.get("type", "string") == "string" and "enum" not in c and "pattern" not in c


def sensitive(fd: dict, values: pd.Series | list) -> list[bool]:
    """Which values of a field to mask in findings (pedcomm.validation.masking.shown masks them unless
    --show-values): free text, values failing an identifier pattern or named like a person
    (pedcomm.validation.masking.named_like_a_person), values over 40 characters, in
    an age field any value holding an age over 89 ('95 years', '95.0'), and in a field of codes or
    of a type (a number, a date, true/false) a value that reads like words a person typed (a name
    such as 'Jane Doe'; pedcomm.validation.masking.typed_words) unless it is a code in other
    spelling or a spelling of missing or of yes/no. The identifier screen is applied to every
    value on top of this."""
    vals = list(values)
    c = fd.get("constraints", {})
    if is_free_text(fd):
        return [True] * len(vals)
    if "pattern" in c:  # an identifier: malformed, or well-formed but named like a person ('Jane_Doe')
        from .masking import named_like_a_person

        rx = re.compile(c["pattern"])
        return [v is not None and (not rx.fullmatch(str(v)) or named_like_a_person(str(v))) for v in vals]
    coded = "enum" in c or fd.get("type", "string") != "string"
    codes = {re.sub(r"[\s-]+", "_", str(x).strip().lower()) for x in c.get("enum", [])}
    age = _is_age(fd.get("name", ""))
    return [v is not None and (len(str(v)) > 40 or (age and _over_age(str(v)))
                               or (coded and _typed(str(v), codes))) for v in vals]


def _is_age(name: str) -> bool:
    from .identifiers import is_age_field

    return is_age_field(name)


def _over_age(text: str) -> bool:
    """Whether a text holds a number beyond the oldest age that may be shown (AGE_OVER_89's max_age)."""
    from .identifiers import MAX_AGE

    for n in re.findall(r"\d+(?:[.,]\d+)?", text):
        try:
            if float(n.replace(",", ".")) > MAX_AGE:
                return True
        except ValueError:
            continue
    return False


def _typed(text: str, codes: set[str]) -> bool:
    from .masking import typed_words

    s = text.strip()
    spellings = {x.lower() for x in (*TRUE_VALUES, *FALSE_VALUES, *LABEL_BOOLEANS)}
    if re.sub(r"[\s-]+", "_", s.lower()) in codes or NA_SPELLINGS.fullmatch(s) or s.lower() in spellings:
        return False
    return typed_words(s)
