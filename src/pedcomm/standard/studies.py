"""The studies of the standard, as the standard layer knows them: names, resource prefixes and titles.

A study is declared once, by the record its folder exports (``src/pedcomm/studies/<study>/study.py``,
a ``pedcomm.studies.record.Study``, which extends the ``Declaration`` below with what the layers
above need: checks, analyses, generator, summary). Every list of studies anywhere in pedcomm is
derived from the registered records.

How the standard layer learns them without importing a layer above it: the records are discovered
through the ``pedcomm.studies`` entry-point group, the packaging mechanism for plugins. pedcomm's own
pyproject.toml declares one entry, ``pedcomm = "pedcomm.studies:STUDIES"``, the tuple that
``src/pedcomm/studies/__init__.py`` builds with one line per study; a separately installed study
package would declare its own entry the same way. The entry points are read on first use only
(``pedcomm --help`` reads none), once per process.

What a study adds to the standard beyond the shipped descriptor (``datapackage.json``, ``schemas/``)
comes from its declaration: ``resources`` (descriptor entries of resources the shipped descriptor
does not list) with their Table Schemas in the folder ``schemas``, and ``registry`` (a YAML file of
its check codes, in the format of ``validation/checks.yaml``). The shipped studies need neither:
their resources and codes are part of the standard's own files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .._base import StandardMissing

#: The entry-point group the study records are registered under.
GROUP = "pedcomm.studies"
#: The entry of pedcomm's own studies: read before any other, so their order is the registration order.
OWN_ENTRY = "pedcomm"


@dataclass(frozen=True)
class Declaration:
    """What the standard knows of a study."""

    name: str  # as in validation/targets.csv ``study`` and in every command (`pedcomm synth NAME`)
    prefix: str  # every resource of the study is named with this prefix
    title: str  # the citation of the study the data model follows
    #: resources every site shares (instrument items, a codebook): definitions, not a site's data
    definitions: tuple[str, ...] = ()
    #: descriptor entries of resources the shipped descriptor does not list (a study added beside the standard)
    resources: tuple[dict, ...] = ()
    #: the folder of those resources' Table Schemas (``<name>.json``)
    schemas: Path | None = None
    #: check codes of its own, beside validation/checks.yaml (same format)
    registry: Path | None = None
    #: imports the study's check implementations, which register themselves with the validation
    #: registry (the validator calls it before its first run)
    checks: Callable[[], object] | None = None
    extra: dict = field(default_factory=dict)


@cache
def registered() -> tuple[Declaration, ...]:
    """Every registered study, pedcomm's own first (in the order of src/pedcomm/studies/__init__.py)."""
    from importlib.metadata import entry_points

    eps = sorted(entry_points(group=GROUP), key=lambda ep: (ep.name != OWN_ENTRY, ep.name))
    if not eps:
        raise StandardMissing(f"no study is registered (entry points '{GROUP}'): reinstall pedcomm")
    out: list[Declaration] = []
    for ep in eps:
        loaded = ep.load()
        for d in loaded if isinstance(loaded, (list, tuple)) else [loaded]:
            if not isinstance(d, Declaration):
                raise TypeError(f"entry point {ep.name} of {GROUP} gives {type(d).__name__}, not a study declaration")
            out.append(d)
    names = [d.name for d in out]
    if len(set(names)) != len(names):
        raise ValueError(f"a study is registered twice: {names}")
    prefixes = [d.prefix for d in out]
    for i, a in enumerate(prefixes):
        if any(j != i and a.startswith(b) for j, b in enumerate(prefixes)):
            raise ValueError(f"study prefixes overlap: {prefixes}")
    return tuple(out)


def names() -> list[str]:
    return [d.name for d in registered()]


def get(name: str) -> Declaration:
    for d in registered():
        if d.name == name:
            return d
    raise KeyError(f"no study {name!r}; registered: {', '.join(names())}")


def prefixes() -> dict[str, str]:
    """Study name -> resource-name prefix."""
    return {d.name: d.prefix for d in registered()}


def definitions() -> tuple[str, ...]:
    """Resources holding definitions every site shares (not a site's data), of every study."""
    return tuple(n for d in registered() for n in d.definitions)
