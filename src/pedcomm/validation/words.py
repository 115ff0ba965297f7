"""Counts in words, the same way in every rendering and message: "1 error", "2 errors"."""

from __future__ import annotations

#: Words whose plural is not the word + "s".
IRREGULAR = {"is": "are", "was": "were", "this": "these", "it": "they", "has": "have", "entry": "entries",
             "summary": "summaries", "match": "matches", "analysis": "analyses", "child": "children"}


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and the word, singular for exactly one: plural(1, "error") == "1 error"."""
    return f"{n} {word if n == 1 else (many or IRREGULAR.get(word) or word + 's')}"


def noun(n: int, word: str, many: str | None = None) -> str:
    """The word alone, singular for exactly one."""
    return word if n == 1 else (many or IRREGULAR.get(word) or word + "s")
