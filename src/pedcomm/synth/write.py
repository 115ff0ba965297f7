"""Write generated tables as a complete Data Package, atomically and byte-reproducibly."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pandas as pd

from .. import standard
from ..atomic import atomic_dir

PACKAGE_META = {
    "survey": ("pedcomm-example-survey", "pedcomm example package, survey study (SYNTHETIC data)"),
    "coding": ("pedcomm-example-coding", "pedcomm example package, transcript-coding study (SYNTHETIC data)"),
}


def cell(v) -> str:
    """The one text representation of a value in pedcomm CSV files."""
    if v is None or v is pd.NA:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if v.is_integer():
            return str(int(v))
        return format(v, ".10g")
    if hasattr(v, "item"):  # numpy scalars
        return cell(v.item())
    return str(v)


def to_csv(frame: pd.DataFrame, schema: dict) -> str:
    names = [f["name"] for f in schema["fields"]]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    cols = [frame[n].tolist() for n in names]
    for row in zip(*cols):
        w.writerow([cell(v) for v in row])
    return buf.getvalue()


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
    tables = generate(study, seed)
    names = [n for n in standard.resource_names() if n in tables]
    desc = descriptor_for(study, names)
    with atomic_dir(out, force=force) as tmp:
        (tmp / "data").mkdir()
        (tmp / "schemas").mkdir()
        for n in names:
            schema = standard.schema(n)
            (tmp / "data" / f"{n}.csv").write_text(to_csv(tables[n], schema), encoding="utf-8", newline="")
            (tmp / "schemas" / f"{n}.json").write_bytes((standard.ROOT / "schemas" / f"{n}.json").read_bytes())
        (tmp / "datapackage.json").write_text(standard.dumps(desc), encoding="utf-8", newline="")
    return Path(out)
