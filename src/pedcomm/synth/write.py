"""Write generated tables as a complete Data Package, atomically and byte-reproducibly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import standard
from ..files.outputs import FOLDER, claim
from ..standard.writer import cell, to_csv, write_into  # noqa: F401  (cell, to_csv: re-exported)

PACKAGE_META = {
    "survey": ("pedcomm-example-survey", "pedcomm example package, survey study (SYNTHETIC data)"),
    "coding": ("pedcomm-example-coding", "pedcomm example package, transcript-coding study (SYNTHETIC data)"),
}


def generate(study: str, seed: int) -> dict[str, pd.DataFrame]:
    tables: dict[str, pd.DataFrame] = {}
    if study in ("survey", "all"):
        from .survey import generate as gen_survey

        tables.update(gen_survey(seed))
    if study == "coding" or (study == "all" and standard.resource_names("coding")):
        from .coding import generate as gen_coding

        tables.update(gen_coding(seed))
    return tables


def descriptor_for(study: str, names: list[str]) -> dict:
    base = standard.descriptor()
    if study == "all":
        return standard.build_descriptor(names, synthetic=True, name=base["name"], title=base["title"],
                                         description=base["description"])
    name, title = PACKAGE_META[study]
    return standard.build_descriptor(names, synthetic=True, name=name, title=title, description=base["description"])


def write_package(study: str, *, seed: int, out: str | Path, force: bool = False) -> Path:
    """Generate and write a synthetic package (the output is claimed before anything is generated)."""
    with claim(out, kind=FOLDER, command="synth", force=force) as dest:
        tables = generate(study, seed)
        names = [n for n in standard.resource_names() if n in tables]
        desc = descriptor_for(study, names)
        with dest.staging() as tmp:
            write_into(tmp, tables, desc)
    return Path(out)
