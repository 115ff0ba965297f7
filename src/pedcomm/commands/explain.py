"""`pedcomm explain CODE`: a finding code's entry in the installed check registry, offline.

Every finding's "see" link points here by default (pedcomm.standard.links): the docs site is not
needed to learn what a code means and what to do about it.
"""

from __future__ import annotations

import difflib

from ..validation.registry import spec, specs


def lookup(code: str):
    """The registry entry of ``code`` (any case), or (None, the closest codes) when there is none."""
    key = code.strip().upper().replace("-", "_").replace(" ", "_")
    if key in specs():
        return spec(key), []
    return None, difflib.get_close_matches(key, sorted(specs()), n=3, cutoff=0.5)


def entry_lines(code: str) -> list[tuple[str, str]]:
    """(label, text) pairs of a code's catalogue entry, in the order they are shown."""
    s = spec(code)
    blocking = " (cannot be reclassified by a site configuration)" if s.blocking else ""
    out = [("Title", s.title), ("Severity", s.severity + blocking),
           ("Category", s.category), ("Points at", s.scope), ("Message", s.message), ("What to do", s.action),
           ("About", " ".join(s.description.split()))]
    for name, value in (s.parameters or {}).items():
        note = (s.parameter_notes or {}).get(name, "")
        out.append((f"Threshold {name}", f"{value}" + (f" ({' '.join(note.split())})" if note else "")))
    if s.deprecated:
        out.append(("Deprecated", "this code is no longer reported"))
    return out
