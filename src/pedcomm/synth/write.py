"""Write generated tables as a complete Data Package, atomically and byte-reproducibly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import standard
from ..files.outputs import FOLDER, claim
from ..standard.writer import cell, to_csv, write_into  # noqa: F401  (cell, to_csv: re-exported)


def _studies(study: str) -> list:
    from ..studies import get, registered

    if study == "all":  # every registered study with a generator and resources in the standard
        return [s for s in registered() if s.generate is not None and standard.resource_names(s.name)]
    return [get(study)]


def generate(study: str, seed: int) -> dict[str, pd.DataFrame]:
    """The tables of a synthetic package of one study, or of every study (``all``)."""
    tables: dict[str, pd.DataFrame] = {}
    for s in _studies(study):
        if s.generate is None:
            raise ValueError(f"the {s.name} study has no generator")
        tables.update(s.generate(seed))
    return tables


def descriptor_for(study: str, names: list[str]) -> dict:
    from ..studies import get

    base = standard.descriptor()
    if study == "all":
        return standard.build_descriptor(names, synthetic=True, name=base["name"], title=base["title"],
                                         description=base["description"])
    name, title = get(study).package
    return standard.build_descriptor(names, synthetic=True, name=name, title=title, description=base["description"])


def write_package(study: str, *, seed: int, out: str | Path, force: bool = False) -> Path:
    """Generate and write a synthetic package (the output is claimed before anything is generated)."""
    with claim(out, kind=FOLDER, command="synth", force=force) as dest:
        tables = generate(study, seed)
        names = [n for n in standard.resource_names() if n in tables]
        desc = descriptor_for(study, names)
        # anything but the shipped example itself (other seeds, one study, a study the example lacks):
        # say where the rows come from, so SITE_IDENTITY_EXAMPLE knows them from a site's copy of the example
        if seed != standard.SHIPPED_SEED or study != "all":
            desc["sources"] = [{"title": f"{standard.SYNTH_SOURCE} {study} --seed {seed} (SYNTHETIC rows, no real person)"}]
        with dest.staging() as tmp:
            write_into(tmp, tables, desc)
    return Path(out)
