"""Every check implementation at once, for what needs them all: `pedcomm selftest`, the registry tests.

Derived, not listed: a module implements checks when it applies the registry's ``@check``
decorator, so this imports every module of pedcomm whose source does (read from the installed
files), then the checks of every registered study (pedcomm.validation.run.load_checks), which
covers studies installed beside pedcomm. Commands import only what they run.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

DECORATOR = "@check("


@cache
def load_all() -> list[str]:
    """Import every implementing module; returns their names."""
    from ..validation.run import load_checks

    root = Path(__file__).resolve().parents[1]
    names = []
    for path in sorted(root.rglob("*.py")):
        if DECORATOR in path.read_text(encoding="utf-8"):
            rel = path.relative_to(root.parent).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            names.append(".".join(parts))
            importlib.import_module(".".join(parts))
    load_checks()
    return names
