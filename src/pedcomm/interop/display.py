"""The one place the importers turn a value from an input file into text for a message.

Transcript text, speaker labels, selection names and user names may identify people, so they are
masked (their first character and length) unless the user asked to see them (``--show-values``).
Identifiers that identify no one (GUIDs, column names, codes) are shown as they are, shortened.

Both go through the one masking path, pedcomm.validation.masking (neutralised, bounded; ``plain`` values are
masked too when the identifier screen flags them).
"""

from __future__ import annotations

from ..validation.masking import mask, shown_one
from .labels import shown


def private(value, reveal: bool = False, limit: int = 60) -> str:
    """A value that may identify a person: masked unless ``reveal`` (then neutralised and bounded only)."""
    if not reveal:
        return mask(value)
    s = (shown_one(value, reveal=True, limit=max(limit, 40)) or "").replace("[", "(").replace("]", ")")
    return s if len(s) <= limit else s[: limit - 3] + "..."


def plain(value, limit: int = 60) -> str:
    """A value that identifies no one (a GUID, a column name, a code), fit to quote."""
    return shown(value, limit)


def listing(values, reveal: bool = False, limit: int = 8, private_values: bool = True) -> str:
    """Up to ``limit`` values, quoted and joined, with how many more there are."""
    values = list(values)
    fn = (lambda v: private(v, reveal)) if private_values else plain
    out = ", ".join(f"'{fn(v)}'" for v in values[:limit])
    return out + (f" and {len(values) - limit} more" if len(values) > limit else "")
