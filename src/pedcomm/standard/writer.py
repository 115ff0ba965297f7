"""Writing a package folder: the one text representation of values and the one folder layout.

Every writer of packages (the synthetic generator, the REDCap and QDA importers, pooling) calls
write_into, so a package written by pedcomm always has the same layout and bytes for the same tables:
datapackage.json, data/<resource>.csv, and schemas/<resource>.json copied from the standard.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pandas as pd

from .. import standard
from .cells import FALSE_TEXT, TRUE_TEXT


def cell(v) -> str:
    """The one text representation of a value in pedcomm CSV files."""
    if v is None or v is pd.NA:
        return ""
    if isinstance(v, bool):
        return TRUE_TEXT if v else FALSE_TEXT
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if v.is_integer():
            return str(int(v))
        return format(v, ".10g")
    if hasattr(v, "item"):  # numpy scalars
        return cell(v.item())
    return str(v)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text


def to_csv(frame: pd.DataFrame, schema: dict) -> str:
    """CSV text with LF line ends; a cell holding a line break is always quoted.

    Python's csv module quotes a field holding LF but not one holding a lone CR when the line
    terminator is LF, and a raw CR in a cell breaks every CSV reader (and pedcomm's validator):
    rows with a CR in a cell are written with the same minimal quoting, CR included.
    """
    names = [f["name"] for f in schema["fields"]]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    cols = [frame[n].tolist() for n in names]
    for row in zip(*cols):
        cells = [cell(v) for v in row]
        if any("\r" in c for c in cells):
            buf.write(",".join(_quoted(c) for c in cells) + "\n")
        else:
            w.writerow(cells)
    return buf.getvalue()


def write_into(folder: Path, tables: dict[str, pd.DataFrame], descriptor: dict) -> None:
    """Write the descriptor, the tables it lists and their standard schemas into ``folder``.

    ``folder`` is normally the temporary folder of pedcomm.files.outputs (Destination.staging), so nothing appears at
    the destination unless the whole package was written.
    """
    (folder / "data").mkdir(exist_ok=True)
    (folder / "schemas").mkdir(exist_ok=True)
    for r in descriptor["resources"]:
        n = r["name"]
        (folder / "data" / f"{n}.csv").write_text(to_csv(tables[n], standard.schema(n)), encoding="utf-8", newline="")
        (folder / "schemas" / f"{n}.json").write_bytes(standard.schema_path(n).read_bytes())
    (folder / "datapackage.json").write_text(standard.dumps(descriptor), encoding="utf-8", newline="")
