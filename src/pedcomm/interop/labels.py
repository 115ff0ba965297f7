"""Labels and numeric codes for other software, derived from the Table Schemas (the one place).

SPSS and Stata keep value labels only on numeric variables, so categorical fields are written as
integer codes: the n-th code of ``constraints.enum`` is n (1-based), labelled by ``enumLabels``.
Booleans are 1/0 labelled Yes/No, as in REDCap's yes/no fields.
"""

from __future__ import annotations

from functools import cache

from .. import standard
from ..standard.cells import FALSE_TEXT, TRUE_TEXT  # noqa: F401  (how pedcomm writes booleans)
from ..standard.cells import FALSE_VALUES as FALSE_SPELLINGS  # noqa: F401  (re-exported)
from ..standard.cells import TRUE_VALUES as TRUE_SPELLINGS  # noqa: F401  (re-exported)

#: Labels of boolean values (REDCap yesno, SPSS/Stata value labels).
BOOLEAN_LABELS = {1: "Yes", 0: "No"}


@cache
def _fields(resource: str) -> tuple[dict, ...]:
    return tuple(standard.schema(resource)["fields"])


def fields(resource: str) -> tuple[dict, ...]:
    """The field descriptors of a standard resource (shared: do not modify them)."""
    return _fields(resource)


@cache
def field_map(resource: str) -> dict[str, dict]:
    return {f["name"]: f for f in fields(resource)}


def enum_of(fd: dict) -> list[str] | None:
    return fd.get("constraints", {}).get("enum")


def codes_of(fd: dict) -> list[str]:
    """The codes of a categorical field (KeyError for a field without categories)."""
    codes = enum_of(fd)
    if codes is None:
        raise KeyError(f"{fd.get('name')} is not a categorical field")
    return codes


def is_categorical(fd: dict) -> bool:
    return enum_of(fd) is not None


def enum_labels(fd: dict) -> dict[str, str]:
    """Code -> label of a categorical field, in schema order (the code itself when unlabelled)."""
    labels = fd.get("enumLabels", {})
    return {c: labels.get(c, c) for c in codes_of(fd)}


def numeric_codes(fd: dict) -> dict[str, int]:
    """Code -> integer of a categorical field: position in the enum, from 1."""
    return {c: i for i, c in enumerate(codes_of(fd), start=1)}


def response_labels(fd: dict) -> dict[int, str]:
    """Labels of the points of an integer scale (``responseLabels``), if the schema gives them."""
    return {int(k): v for k, v in fd.get("responseLabels", {}).items()}


def declared_missing(resource: str) -> dict[str, str]:
    """The declared missing-value codes other than blank: code -> label ('-7' -> 'refused')."""
    return {k: v for k, v in standard.missing_codes(resource).items() if k != ""}


def section_title(resource: str) -> str:
    """A short heading for a resource: its title after the study prefix ('Survey study: parents' -> 'Parents')."""
    title = standard.resource_entry(resource).get("title", resource)
    short = title.split(": ", 1)[-1]
    return short[:1].upper() + short[1:]


def parse_scale_labels(text: str) -> dict[int, str]:
    """The ``response_labels`` cell of survey_items ('1=Not at all|2=Somewhat') as {1: 'Not at all', ...}."""
    out = {}
    for part in text.split("|"):
        code, _, label = part.partition("=")
        if code.strip():
            out[int(code)] = label.strip()
    return out


def shown(text, limit: int = 60) -> str:
    """Text from an input file, fit to quote in a finding: through the one masking path
    (pedcomm.validation.masking: masked when the identifier screen flags it, control characters neutralised),
    shortened, with square brackets made round (the terminal report reads '[...]' as styling)."""
    from ..validation.masking import shown_one

    s = (shown_one(text, limit=max(limit, 40)) or "").replace("[", "(").replace("]", ")")
    return s if len(s) <= limit else s[: limit - 3] + "..."
