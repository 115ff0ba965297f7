"""Export a validated package to SPSS (.sav), Stata (.dta) or Parquet, and read the files back.

Everything is taken from the Table Schemas: variable labels are field titles; value labels are
``enumLabels`` (categoricals integer-coded, see labels.py), ``responseLabels`` and Yes/No for
booleans; the declared missing-value codes become

- SPSS: user-missing values (-7, -8, -9 as discrete missing values, labelled);
- Stata: extended missing values, in schema order (-7 -> .a, -8 -> .b, -9 -> .c), labelled;
- Parquet: nulls, with the code of each coded cell kept in the file metadata
  (``pedcomm:missing``) next to the Table Schema itself (``pedcomm:table_schema``).

Text fields keep a missing-value code as its text (SPSS declares it user-missing; Stata has no
missing strings). Dates and other types travel as their ISO text. ``read_back`` turns each file
into the exact CSV text of the resource, which is how the round trip is tested.
"""

from __future__ import annotations

import errno
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import standard
from . import labels as L

FORMATS = ("sav", "dta", "parquet")
STATA_MISSING_LETTERS = "abcdefghijklmnopqrstuvwxyz"
SPSS_MAX_VALUE_LABEL = 120  # bytes
STATA_MAX_VARIABLE_LABEL = 80  # characters
STATA_MAX_NAME = 32


class ExportError(ValueError):
    """A resource cannot be represented in the target format (the message says why)."""


def _fit(text: str, limit: int, *, in_bytes: bool = False) -> str:
    if (len(text.encode("utf-8")) if in_bytes else len(text)) <= limit:
        return text
    while (len(text.encode("utf-8")) if in_bytes else len(text)) > limit - 3:
        text = text[:-1]
    return text + "..."


def kind(fd: dict) -> str:
    """How a field travels: 'category', 'boolean', 'integer', 'number' (numeric) or 'text'."""
    if L.is_categorical(fd):
        return "category"
    return {"boolean": "boolean", "integer": "integer", "number": "number"}.get(fd.get("type", "string"), "text")


def _missing_numbers(resource: str) -> dict[str, float]:
    out = {}
    for code in L.declared_missing(resource):
        try:
            out[code] = float(code)
        except ValueError:
            raise ExportError(f"{resource}: the missing-value code {code!r} is not a number, so it cannot be "
                              "kept in a numeric SPSS/Stata variable") from None
    return out


def to_numbers(resource: str, fd: dict, raw: pd.Series) -> pd.Series:
    """Numeric values of a non-text field (float64): codes for categories, 1/0 for booleans,
    the number itself for missing-value codes, NaN for blanks."""
    k = kind(fd)
    miss = _missing_numbers(resource)
    if k == "category":
        mapping = {**{c: float(i) for c, i in L.numeric_codes(fd).items()}, **miss}
        out = raw.map(mapping)
    elif k == "boolean":
        mapping = {**{t: 1.0 for t in L.TRUE_SPELLINGS}, **{f: 0.0 for f in L.FALSE_SPELLINGS}, **miss}
        out = raw.map(mapping)
    else:
        out = pd.to_numeric(raw.where(raw != ""), errors="coerce")
    out = out.astype("float64")
    bad = out.isna() & (raw != "")
    if bad.any():
        raise ExportError(f"{resource}.{fd['name']}: the value {raw[bad].iloc[0]!r} cannot be coded "
                          "(validate the package first)")
    return out


def value_labels(resource: str, fd: dict) -> dict[float, str]:
    """Value labels of a numeric variable, missing-value codes included."""
    k = kind(fd)
    out: dict[float, str] = {}
    if k == "category":
        out = {float(L.numeric_codes(fd)[c]): lab for c, lab in L.enum_labels(fd).items()}
    elif k == "boolean":
        out = {float(v): lab for v, lab in L.BOOLEAN_LABELS.items()}
    elif k == "integer":
        out = {float(v): lab for v, lab in L.response_labels(fd).items()}
    for code, lab in L.declared_missing(resource).items():
        out[float(code)] = lab
    return out


def measure(fd: dict) -> str:
    k = kind(fd)
    if k in ("category", "boolean", "text"):
        return "nominal"
    return "ordinal" if L.response_labels(fd) else "scale"


def _decimals(raw: pd.Series) -> int:
    frac = raw.str.extract(r"\.(\d+)$", expand=False).dropna()
    return min(int(frac.str.len().max()), 16) if len(frac) else 0


def _readstat(write, frame: pd.DataFrame, path: Path, **options: Any) -> None:
    """Call a pyreadstat writer. It says only 'Unable to write data' when the disk is full or the
    file cannot be written: that becomes the OSError it stands for (ENOSPC when the disk has
    almost no room left, else EIO), so the output helper reports OUTPUT_WRITE_FAILED with nothing
    half-written; any other writer error is an ExportError."""
    import pyreadstat

    try:
        write(frame, str(path), **options)
    except pyreadstat.ReadstatError as e:
        text = str(e)
        if "write" not in text.lower() and "open" not in text.lower():
            raise ExportError(f"{path.stem}: {text}") from None
        try:
            room = os.statvfs(path.parent)
            full = room.f_bavail * room.f_frsize < 1 << 20
        except (OSError, AttributeError):
            full = False
        raise OSError(errno.ENOSPC if full else errno.EIO, f"{text} (pyreadstat)", str(path)) from None


# -- SPSS ------------------------------------------------------------------------------------

def write_sav(resource: str, raw: pd.DataFrame, path: Path) -> None:
    import pyreadstat

    # pyreadstat's annotations are narrower than what it accepts (and what we pass): plain dicts of Any
    data: dict[str, Any] = {}
    var_labels: dict[str, Any] = {}
    val_labels: dict[str, Any] = {}
    missing: dict[str, Any] = {}
    measures: dict[str, Any] = {}
    formats: dict[str, Any] = {}
    codes = list(L.declared_missing(resource))
    for fd in L.fields(resource):
        name = fd["name"]
        col = raw[name]
        var_labels[name] = fd.get("title", name)
        measures[name] = measure(fd)
        if kind(fd) == "text":
            data[name] = col.astype(object)
            if codes:
                missing[name] = codes[:3]  # SPSS allows three discrete missing strings
            continue
        data[name] = to_numbers(resource, fd, col)
        val_labels[name] = {k: _fit(v, SPSS_MAX_VALUE_LABEL, in_bytes=True) for k, v in value_labels(resource, fd).items()}
        nums = sorted(float(c) for c in codes)
        if nums:
            missing[name] = nums if len(nums) <= 3 else [{"lo": nums[0], "hi": nums[-1]}]
        formats[name] = f"F8.{_decimals(col)}" if kind(fd) == "number" else "F8.0"
    _readstat(pyreadstat.write_sav, pd.DataFrame(data), path,
                         file_label=_fit(standard.resource_entry(resource).get("title", resource), 64),
                         # SPSS documents are lines of at most 80 characters
                         note=[_fit(f"Written by {standard.signature()}.", 80), _fit(f"Table Schema: {resource}.", 80)],
                         column_labels=var_labels, variable_value_labels=val_labels, missing_ranges=missing,
                         variable_measure=measures, variable_format=formats)


# -- Stata -----------------------------------------------------------------------------------

def stata_letters(resource: str) -> dict[str, str]:
    """Declared missing-value code -> Stata extended missing letter, in schema order."""
    codes = list(L.declared_missing(resource))
    if len(codes) > len(STATA_MISSING_LETTERS):
        raise ExportError(f"{resource}: more missing-value codes than Stata has extended missing values")
    return dict(zip(codes, STATA_MISSING_LETTERS))


def write_dta(resource: str, raw: pd.DataFrame, path: Path) -> None:
    import pyreadstat

    letters = stata_letters(resource)
    data: dict[str, Any] = {}
    var_labels: dict[str, Any] = {}
    val_labels: dict[str, Any] = {}
    missing: dict[str, Any] = {}
    for fd in L.fields(resource):
        name = fd["name"]
        if len(name) > STATA_MAX_NAME:
            raise ExportError(f"{resource}.{name}: Stata names have at most {STATA_MAX_NAME} characters")
        col = raw[name]
        var_labels[name] = _fit(fd.get("title", name), STATA_MAX_VARIABLE_LABEL)
        if kind(fd) == "text":
            data[name] = col.astype(object)
            continue
        nums = to_numbers(resource, fd, col)
        is_code = col.isin(list(letters))
        values = nums.astype(object).where(~is_code, col.map(letters))
        data[name] = values.where(values.notna(), np.nan)
        as_letter = {float(c): letter for c, letter in letters.items()}
        val_labels[name] = {as_letter.get(k, int(k)): v for k, v in value_labels(resource, fd).items()}
        missing[name] = list(letters.values())
    stamp = f" ({standard.signature()})"  # Stata files have no free note: the versions go in the label
    _readstat(pyreadstat.write_dta, pd.DataFrame(data), path,
                         file_label=_fit(standard.resource_entry(resource).get("title", resource), 80 - len(stamp)) + stamp,
                         column_labels=var_labels, variable_value_labels=val_labels, missing_user_values=missing)


# -- Parquet ---------------------------------------------------------------------------------

def _arrow_array(fd: dict, col: pd.Series, coded: pd.Series):
    import pyarrow as pa

    k = kind(fd)
    text = [None if c or v == "" else v for v, c in zip(col.tolist(), coded.tolist())]
    if k == "category":
        enum = L.codes_of(fd)
        pos = {c: i for i, c in enumerate(enum)}
        return pa.DictionaryArray.from_arrays(pa.array([None if v is None else pos[v] for v in text], type=pa.int32()),
                                              pa.array(enum, type=pa.string()))
    if k == "boolean":
        return pa.array([None if v is None else v in L.TRUE_SPELLINGS for v in text], type=pa.bool_())
    if k == "integer":
        return pa.array([None if v is None else int(v) for v in text], type=pa.int64())
    if k == "number":
        return pa.array([None if v is None else float(v) for v in text], type=pa.float64())
    return pa.array(text, type=pa.string())


def write_parquet(resource: str, raw: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    codes = list(L.declared_missing(resource))
    arrays, pa_fields, coded_cells = [], [], {}
    for fd in L.fields(resource):
        name = fd["name"]
        col = raw[name].reset_index(drop=True)
        coded = col.isin(codes)
        if coded.any():
            coded_cells[name] = {c: [int(i) for i in col.index[col == c]] for c in codes if (col == c).any()}
        arr = _arrow_array(fd, col, coded)
        meta = {"title": fd.get("title", name), "description": fd.get("description", ""),
                "pedcomm:field": json.dumps(fd, ensure_ascii=False)}
        arrays.append(arr)
        pa_fields.append(pa.field(name, arr.type, nullable=True, metadata=meta))
    meta = {"pedcomm:resource": resource, "pedcomm:provenance": json.dumps(standard.provenance()),
            "pedcomm:table_schema": json.dumps(standard.schema(resource), ensure_ascii=False),
            "pedcomm:missing": json.dumps(coded_cells)}
    table = pa.Table.from_arrays(arrays, schema=pa.schema(pa_fields, metadata=meta))
    pq.write_table(table, str(path))


WRITERS = {"sav": write_sav, "dta": write_dta, "parquet": write_parquet}


# -- reading back ----------------------------------------------------------------------------

def _text_of_number(fd: dict, v) -> str:
    from ..standard.writer import cell

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    k = kind(fd)
    if k == "category":
        return L.codes_of(fd)[int(v) - 1]
    if k == "boolean":
        return L.TRUE_TEXT if int(v) == 1 else L.FALSE_TEXT
    return cell(float(v)) if k == "number" else str(int(v))


def read_back(path: str | Path, resource: str) -> pd.DataFrame:
    """An exported file as the text of the resource's CSV (strings; blanks are '')."""
    path = Path(path)
    fmt = path.suffix.lstrip(".")
    out = {}
    if fmt in ("sav", "dta"):
        import pyreadstat

        reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
        frame, _ = reader(str(path), user_missing=True)
        codes = {v: c for c, v in stata_letters(resource).items()} if fmt == "dta" else {}
        miss = {float(c): c for c in L.declared_missing(resource)}
        for fd in L.fields(resource):
            col = frame[fd["name"]]
            if kind(fd) == "text":
                out[fd["name"]] = [("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)) for v in col]
                continue
            vals = []
            for v in col.tolist():
                if isinstance(v, str):
                    vals.append(codes[v])
                elif v is not None and not (isinstance(v, float) and math.isnan(v)) and float(v) in miss:
                    vals.append(miss[float(v)])
                else:
                    vals.append(_text_of_number(fd, v))
            out[fd["name"]] = vals
        return pd.DataFrame(out, dtype=str)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        from ..standard.writer import cell

        table = pq.read_table(str(path))
        coded = json.loads(table.schema.metadata[b"pedcomm:missing"])
        for fd in L.fields(resource):
            vals = [cell(v) for v in table.column(fd["name"]).to_pylist()]
            for code, rows in coded.get(fd["name"], {}).items():
                for i in rows:
                    vals[i] = code
            out[fd["name"]] = vals
        return pd.DataFrame(out, dtype=str)
    raise ValueError(f"unknown export format {fmt!r}")


# -- the command -----------------------------------------------------------------------------

def export(path: str | Path, fmt: str, out: str | Path, *, force: bool = False):
    """Validate a package, then write each of its resources as ``out/<resource>.<fmt>``.

    Returns (validated, written files); nothing is written when the package has errors. The output
    is claimed first (pedcomm.files.outputs: never onto the package, never over anything pedcomm
    did not write).
    """
    from ..files.inputs import package_files
    from ..files.outputs import FOLDER, claim
    from ..validation.run import validate
    from .package_io import text_tables

    if fmt not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}")
    with claim(out, kind=FOLDER, command="export", force=force, protect=package_files(path)) as dest:
        validated = validate(path)
        if validated.report.exit_code != 0:
            return validated, []
        tables = text_tables(validated)
        written = []
        with dest.staging() as tmp:
            for name in standard.resource_names():
                if name in tables:
                    WRITERS[fmt](name, tables[name], tmp / f"{name}.{fmt}")
                    written.append(Path(out) / f"{name}.{fmt}")
    return validated, written
