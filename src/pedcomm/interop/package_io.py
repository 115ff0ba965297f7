"""Read a package's tables as text, and write text tables as a standard package (atomically).

Cells stay text, exactly as in the CSV files, so declared missing-value codes (-7, -8, -9) and
blanks travel through every conversion unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import standard
from ..atomic import atomic_dir
from ..report import Report
from ..validate import Validated, validate


def read_text(path: Path) -> pd.DataFrame:
    """A CSV file as a frame of strings (blank cells are '')."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig")


def text_tables(validated: Validated) -> dict[str, pd.DataFrame]:
    """The text of every standard resource that validated into a typed table, schema columns only."""
    out = {}
    for name in validated.tables:
        ref = validated.package.resources[name]
        frame = read_text(ref.path)
        out[name] = frame[[f["name"] for f in standard.schema(name)["fields"]]]
    return out


def shipped_package() -> Path:
    """The shipped example package (the default reference for instruments and sites)."""
    return standard.example_package()


def write_package(tables: dict[str, pd.DataFrame], out: str | Path, *, name: str, title: str,
                  description: str, force: bool = False, check=None, site: str | None = None) -> Validated:
    """Write text tables as a standard package and validate it; ``check(validated)`` may raise to abort.

    ``site``: the site the package declares (usually the reference package's, pedcomm.sites.declaration).

    The folder appears only when the block succeeds (pedcomm.atomic), so a refused conversion
    leaves nothing behind.
    """
    from ..writer import write_into

    names = [n for n in standard.resource_names() if n in tables]
    desc = standard.build_descriptor(names, synthetic=False, name=name, title=title, description=description, site=site)
    with atomic_dir(out, force=force) as tmp:
        write_into(tmp, tables, desc)
        validated = validate(tmp)
        validated.report.meta["package"] = str(out)
        if check is not None:
            check(validated)
    return validated


def guard_output(out: str | Path, inputs: list[Path], *, force: bool = False) -> None:
    """Refuse an output folder that is, holds or sits inside an input: no flag lets an output replace an input.

    Raises FileExistsError (the commands exit 2 with its message). ``force`` replaces only
    folders pedcomm could have written, never an input.
    """
    target = Path(out).resolve()
    for given in inputs:
        src = Path(given).resolve()
        if src.name == "datapackage.json":
            src = src.parent
        if target == src or target in src.parents or (src.is_dir() and src in target.parents):
            raise FileExistsError(f"--out {out} is, holds or sits inside the input {given}; pedcomm never writes over "
                                  "its inputs: choose a new folder")


def merge(into: Report, other: Report) -> Report:
    """Add the findings and check runs of ``other`` (a conversion's report) to ``into``: one report."""
    into.findings[:0] = other.findings
    into.counts.update(other.counts)
    for key, run in other.runs.items():
        into.runs.setdefault(key, run)
    into.inputs.extend(other.inputs)
    return into
