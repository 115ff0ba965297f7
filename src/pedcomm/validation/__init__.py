"""The validation layer: open a package safely, read its files, run every registered check, report.

``from pedcomm.validation import validate`` is the entry point (pedcomm.validation.run); the
modules are imported when first used, so importing the registry or the report stays cheap.
"""

from __future__ import annotations

__all__ = ["Validated", "validate"]


def __getattr__(name: str):
    if name in __all__:
        from . import run

        return getattr(run, name)
    raise AttributeError(name)
