"""Read a package's tables as text, and write text tables as a standard package (atomically).

Cells stay text, exactly as in the CSV files, so declared missing-value codes (-7, -8, -9) and
blanks travel through every conversion unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import standard
from ..files.inputs import read
from ..validation.masking import path_shown
from ..validation.report import Report
from ..validation.run import Validated, validate


def read_text(path: Path | None) -> pd.DataFrame:
    """A CSV file as a frame of strings (blank cells are ''), read within a data file's bounds."""
    import io

    if path is None:  # a resource whose path was refused never validates into a table
        raise ValueError("the resource has no safe path")

    return pd.read_csv(io.BytesIO(read(path, "data")), dtype=str, keep_default_na=False, na_filter=False,
                       encoding="utf-8-sig")


def text_tables(validated: Validated) -> dict[str, pd.DataFrame]:
    """The text of every standard resource that validated into a typed table, schema columns only."""
    out = {}
    for name in validated.tables:
        ref = validated.opened().resources[name]
        frame = read_text(ref.path)
        out[name] = frame[[f["name"] for f in standard.schema(name)["fields"]]]
    return out


def shipped_package() -> Path:
    """The shipped example package (the default reference for instruments and sites)."""
    return standard.example_package()


def write_package(tables: dict[str, pd.DataFrame], dest, *, name: str, title: str,
                  description: str, check=None, site: str | None = None, extra: dict | None = None,
                  files: dict[str, bytes] | None = None) -> Validated:
    """Write text tables as a standard package into the claimed output ``dest``
    (pedcomm.files.outputs.Destination) and validate it; ``check(validated)`` may raise to abort.

    ``site``: the site the package declares (usually the reference package's, pedcomm.standard.declaration);
    ``extra``: further descriptor properties (e.g. the ``sources`` an import records);
    ``files``: other files of the package folder (path -> bytes), such as an import's provenance file.

    The folder appears only when the block succeeds, so a refused conversion leaves nothing behind.
    """
    from ..standard.writer import write_into

    names = [n for n in standard.resource_names() if n in tables]
    desc = standard.build_descriptor(names, synthetic=False, name=name, title=title, description=description, site=site,
                                     extra=extra)
    with dest.staging() as tmp:
        write_into(tmp, tables, desc)
        for rel, data in (files or {}).items():
            (tmp / rel).write_bytes(data)
        validated = validate(tmp)
        validated.report.meta["package"] = path_shown(dest.given, reveal=validated.report.reveal_values)
        if check is not None:
            check(validated)
    return validated


def merge(into: Report, other: Report) -> Report:
    """Add the findings and check runs of ``other`` (a conversion's report) to ``into``: one report."""
    into.findings[:0] = other.findings
    into.counts.update(other.counts)
    for key, run in other.runs.items():
        into.runs.setdefault(key, run)
    into.inputs.extend(other.inputs)
    return into
