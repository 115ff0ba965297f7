"""Structural checks: columns, types, field constraints, primary and foreign keys.

Every check is vectorized over a whole column (a site runs the validator many times while
fixing findings; frictionless-py's row-by-row loop takes minutes on a million rows).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..standard import missing_codes
from . import arrowops, identifiers
from .cast import LABEL_BOOLEANS, TYPE_NAMES, cast, enum_hint, sensitive, type_hint
from .hints import closest_names
from .masking import named_like_a_person
from .registry import IMPLEMENTATIONS, check
from .report import Report

#: Cells a spreadsheet turned into a date (01/03/2021, 2021-03-01 in a number column, 3-Jan, Jan-03).
EXCEL_DATE = r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}-[A-Za-z]{3}(-\d{2,4})?|[A-Za-z]{3}-\d{1,2}"
#: How REDCap's "labels" export spells a yes/no or checkbox answer (its raw export writes 1/0).


def check_header(resource: str, schema: dict, columns: list[str], report: Report) -> list[str]:
    """Header findings; returns the schema fields present in the file."""
    names = [f["name"] for f in schema["fields"]]
    seen: dict[str, int] = {}
    for c in columns:
        seen[c] = seen.get(c, 0) + 1
    report.ran("COLUMN_DUPLICATE", resource, None, len(columns))
    for c, n in seen.items():
        if n > 1:
            report.add("COLUMN_DUPLICATE", resource=resource, field=c, row=1, detail=n)
    absent = [n for n in names if n not in seen]
    extra = [c for c in seen if c not in names]
    renamed = closest_names(extra, absent)  # file column -> the standard column it most likely is
    was = {std: col for col, std in renamed.items()}
    report.ran("COLUMN_MISSING", resource, None, len(names))
    for n in absent:
        report.add("COLUMN_MISSING", resource=resource, field=n, row=1,
                   hint=f" The file has a column '{report.label(was[n])}': is it this one, renamed?" if n in was else "")
    report.ran("COLUMN_UNKNOWN", resource, None, len(columns))
    for c in extra:
        report.add("COLUMN_UNKNOWN", resource=resource, field=c, row=1,
                   hint=f" Did you mean '{renamed[c]}'?" if c in renamed else "")
    return [n for n in names if n in seen]


def _first_rows(bad: pd.Series) -> np.ndarray:
    return bad.index[bad.to_numpy()].to_numpy()


def type_field(resource: str, fd: dict, raw: pd.Series, codes: dict[str, str], report: Report) -> pd.Series:
    """Type one column; report unreadable and missing required cells. Returns typed values."""
    name, type_ = fd["name"], fd.get("type", "string")
    n = len(raw)
    missing = pd.Series(arrowops.isin(raw, list(codes)), index=raw.index)
    text = raw.where(~missing) if missing.any() else raw
    typed, bad = cast(text, type_)
    report.ran("CELL_TYPE", resource, name, n)
    if bad.any():
        rows = _first_rows(bad)
        vals = raw[bad]
        listed = vals.iloc[: report.max_listed].tolist()
        report.add_many("CELL_TYPE", resource=resource, field=name, rows=rows,
                        values=listed, sensitive=sensitive(fd, listed),
                        expected=TYPE_NAMES[type_], hint=[type_hint(v, type_, codes) for v in listed])
        dated = int(raw[bad].astype(str).str.strip().str.fullmatch(EXCEL_DATE).sum())
        if dated:
            report.clue("excel_dates", "CELL_TYPE", resource, name, dated)
        if type_ == "boolean":
            labelled = int(raw[bad].astype(str).str.strip().str.lower().isin(LABEL_BOOLEANS).sum())
            if labelled:
                report.clue("labels", "CELL_TYPE", resource, name, labelled)
    if fd.get("constraints", {}).get("required"):
        report.ran("CELL_REQUIRED", resource, name, n)
        if missing.any():
            rows = _first_rows(missing)
            vals = raw[missing].iloc[: report.max_listed]
            details = ["blank" if v == "" else f"the missing-value code {v} ({codes.get(v, '')})" for v in vals]
            report.add_many("CELL_REQUIRED", resource=resource, field=name, rows=rows, detail=details)
    return typed


@check("CELL_ENUM")
def check_enum(resource, fd, raw, typed, report):
    codes = fd["constraints"]["enum"]
    present = typed.notna()
    bad = present & ~pd.Series(arrowops.isin(typed, codes), index=typed.index)
    report.ran("CELL_ENUM", resource, fd["name"], int(present.sum()))
    if bad.any():
        vals = typed[bad].iloc[: report.max_listed].astype(str).tolist()
        report.add_many("CELL_ENUM", resource=resource, field=fd["name"], rows=_first_rows(bad),
                        values=vals, sensitive=sensitive(fd, vals),
                        expected=", ".join(codes), hint=[enum_hint(v, codes, missing_codes(resource)) for v in vals])
        norm = {re.sub(r"[\s-]+", "_", str(c).lower()) for c in codes}
        spelled = typed[bad].astype(str).str.strip().str.lower().str.replace(r"[\s-]+", "_", regex=True)
        labelled = int(spelled.isin(norm).sum())
        if labelled:
            report.clue("labels", "CELL_ENUM", resource, fd["name"], labelled)


@check("CELL_RANGE")
def check_range(resource, fd, raw, typed, report):
    c = fd["constraints"]
    lo, hi = c.get("minimum"), c.get("maximum")
    present = typed.notna()
    bad = pd.Series(False, index=typed.index)
    if lo is not None:
        bad |= (typed < lo).fillna(False)
    if hi is not None:
        bad |= (typed > hi).fillna(False)
    report.ran("CELL_RANGE", resource, fd["name"], int(present.sum()))
    if bad.any():
        expected = f"{lo if lo is not None else '-inf'} to {hi if hi is not None else 'inf'}"
        values = raw[bad].iloc[: report.max_listed].tolist()
        old = identifiers.too_old(values) if identifiers.is_age_field(fd["name"]) else False  # never echoed
        report.add_many("CELL_RANGE", resource=resource, field=fd["name"], rows=_first_rows(bad),
                        values=values, sensitive=old, expected=expected)


@check("CELL_PATTERN")
def check_pattern(resource, fd, raw, typed, report):
    present = typed.notna()
    ok = typed.str.fullmatch(fd["constraints"]["pattern"]).fillna(True).astype(bool)
    bad = present & ~ok
    report.ran("CELL_PATTERN", resource, fd["name"], int(present.sum()))
    if bad.any():
        vals = typed[bad].iloc[: report.max_listed].tolist()
        report.add_many("CELL_PATTERN", resource=resource, field=fd["name"], rows=_first_rows(bad),
                        values=vals, sensitive=sensitive(fd, vals))


@check("CELL_LENGTH")
def check_length(resource, fd, raw, typed, report):
    c = fd["constraints"]
    lo, hi = c.get("minLength", 0), c.get("maxLength")
    lengths = typed.str.len()
    bad = (lengths < lo).fillna(False)
    if hi is not None:
        bad |= (lengths > hi).fillna(False)
    report.ran("CELL_LENGTH", resource, fd["name"], int(typed.notna().sum()))
    if bad.any():
        report.add_many("CELL_LENGTH", resource=resource, field=fd["name"], rows=_first_rows(bad),
                        detail=lengths[bad].iloc[: report.max_listed].astype(int).astype(str).tolist(),
                        expected=f"{lo} to {hi if hi is not None else 'any'}")


def _duplicates(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Rows repeating an earlier key (not the first occurrence) and the row of that first one."""
    if arrowops.all_distinct(frame):
        return pd.Series(False, index=frame.index), pd.Series(dtype="int64")
    code = pd.Series(arrowops.key_codes(frame), index=frame.index)
    dup = code.duplicated(keep="first")
    if not dup.any():
        return dup, pd.Series(dtype="int64")
    first_pos = pd.Series(np.arange(len(code))).groupby(code.to_numpy()).transform("first").to_numpy()
    first_row = pd.Series(frame.index.to_numpy()[first_pos], index=frame.index)
    return dup, first_row[dup]


@check("CELL_UNIQUE")
def check_unique(resource, fd, raw, typed, report):
    present = typed.notna()
    vals = typed[present].to_frame()
    report.ran("CELL_UNIQUE", resource, fd["name"], int(present.sum()))
    dup, first = _duplicates(vals)
    if dup.any():
        listed = vals[dup].iloc[: report.max_listed, 0].tolist()
        report.add_many("CELL_UNIQUE", resource=resource, field=fd["name"], rows=dup.index[dup.to_numpy()],
                        values=listed, sensitive=sensitive(fd, listed),
                        detail=first.iloc[: report.max_listed].astype(str).tolist())


#: The check of each field constraint, by the code it is registered under (dispatched through the registry).
CONSTRAINT_CHECKS = (
    ("enum", "CELL_ENUM"), ("minimum", "CELL_RANGE"), ("maximum", "CELL_RANGE"),
    ("pattern", "CELL_PATTERN"), ("minLength", "CELL_LENGTH"), ("maxLength", "CELL_LENGTH"),
    ("unique", "CELL_UNIQUE"),
)


def check_fields(resource: str, schema: dict, raw: pd.DataFrame, present: list[str], report: Report) -> pd.DataFrame:
    """Type every present field and run its constraints; returns the typed table."""
    codes = missing_codes(resource)
    typed_cols = {}
    for fd in schema["fields"]:
        name = fd["name"]
        if name not in present:
            continue
        col = raw[name]
        if isinstance(col, pd.DataFrame):  # duplicated column: the first one is checked
            col = col.iloc[:, 0]
        typed = type_field(resource, fd, col, codes, report)
        done = set()
        for key, code in CONSTRAINT_CHECKS:
            if key in fd.get("constraints", {}) and code not in done and (key != "unique" or fd["constraints"]["unique"]):
                done.add(code)
                IMPLEMENTATIONS[code](resource, fd, col, typed, report)
        typed_cols[name] = typed
    return pd.DataFrame(typed_cols, index=raw.index)


def check_primary_key(resource: str, schema: dict, typed: pd.DataFrame, report: Report) -> bool:
    """Report repeated keys; True when every row's key is unique (blank keys are CELL_REQUIRED's)."""
    pk = schema.get("primaryKey")
    if not pk:
        return True
    pk = [pk] if isinstance(pk, str) else pk
    label = ", ".join(pk)
    if any(k not in typed.columns for k in pk):
        report.not_applicable("PRIMARY_KEY", resource, "a key column is missing", field=label)
        return False
    keys = typed[pk].dropna()
    report.ran("PRIMARY_KEY", resource, label, len(keys))
    dup, first = _duplicates(keys)
    if dup.any():
        listed = keys[dup].iloc[: report.max_listed].astype(str)
        report.add_many("PRIMARY_KEY", resource=resource, field=label, rows=dup.index[dup.to_numpy()],
                        values=listed.agg(", ".join, axis=1).tolist(), sensitive=_key_sensitive(schema, pk, listed),
                        detail=first.iloc[: report.max_listed].astype(str).tolist())
        return False
    return True


def _key_sensitive(schema: dict, fields: list[str], listed: pd.DataFrame) -> list[bool]:
    """Which listed keys to mask: a key part its field would mask (pedcomm.validation.cast.sensitive:
    a malformed identifier, one named like a person) masks the whole key."""
    defs = {f["name"]: f for f in schema.get("fields", [])}
    masked = np.zeros(len(listed), dtype=bool)
    for f in fields:
        masked |= np.array(sensitive(defs.get(f, {"name": f}), listed[f].tolist()), dtype=bool)
    return masked.tolist()


def _unpadded(values: pd.Series) -> pd.Series:
    """Identifiers with the zeros after their letters removed ('P0045' and 'P45' both give 'P45')."""
    return values.astype(str).str.replace(r"^([A-Za-z_.-]*)0+(?=\d)", r"\1", regex=True)


def check_foreign_keys(resource: str, schema: dict, typed: dict[str, pd.DataFrame], report: Report,
                       why: dict[str, str] | None = None):
    """Every row's reference exists in the table it points at. ``typed`` may hold tables lacking
    some columns: a reference whose own columns are present is still checked; otherwise the check
    is reported as not run, naming the table and the reason (``why``: table -> reason)."""
    why = why or {}
    frame = typed.get(resource)
    for fk in schema.get("foreignKeys", []):
        fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref = fk["reference"]
        target = ref["resource"] or resource
        rfields = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
        label = ", ".join(fields)
        other = typed.get(target)
        reason = None
        if frame is None:
            reason = why.get(resource, f"'{resource}' could not be read")
        elif any(f not in frame.columns for f in fields):
            reason = f"'{resource}' lacks the column {', '.join(repr(f) for f in fields if f not in frame.columns)}"
        elif other is None:
            reason = why.get(target, f"'{target}' could not be read")
        elif any(f not in other.columns for f in rfields):
            reason = f"'{target}' lacks the column {', '.join(repr(f) for f in rfields if f not in other.columns)}"
        if reason is not None:
            report.not_applicable("FOREIGN_KEY", resource, reason, field=label)
            continue
        assert frame is not None and other is not None  # each None case set a reason above
        child = frame[fields].dropna()
        report.ran("FOREIGN_KEY", resource, label, len(child))
        if len(fields) == 1:
            bad = pd.Series(~arrowops.isin(child[fields[0]], other[rfields[0]].dropna()), index=child.index)
        else:
            keys = pd.MultiIndex.from_frame(other[rfields].dropna())
            bad = pd.Series(~pd.MultiIndex.from_frame(child).isin(keys), index=child.index)
        if bad.any():
            listed = child[bad].iloc[: report.max_listed].astype(str)
            report.add_many("FOREIGN_KEY", resource=resource, field=label, rows=child.index[bad.to_numpy()],
                            values=listed.agg(", ".join, axis=1).tolist(), sensitive=_key_sensitive(schema, fields, listed),
                            expected=f"{target}.{', '.join(rfields)}")
            if len(fields) == 1:  # one cause behind many: leading zeros lost (Excel reads 'P0045' as 'P45')
                missing = child.loc[bad, fields[0]]
                known = set(_unpadded(other[rfields[0]].dropna()))
                lost = int(_unpadded(missing).isin(known).sum())
                if lost:
                    report.clue("leading_zeros", "FOREIGN_KEY", resource, label, lost, target=f"{target}.{rfields[0]}")


# -- the steps the validator dispatches (pedcomm.validation.run) ----------------------------------

@check("COLUMN_MISSING", "COLUMN_UNKNOWN", "COLUMN_DUPLICATE", stage="resource")
def header_step(v, name: str) -> bool:
    v.present[name] = check_header(name, v.schemas[name], list(v.raw[name].columns), v.report)
    pk = v.schemas[name].get("primaryKey")
    pk = [pk] if isinstance(pk, str) else list(pk or [])
    raw = v.raw[name]
    if pk and all(k in v.present[name] for k in pk) and not raw.columns.duplicated().any():
        fields = {f["name"]: f for f in v.schemas[name]["fields"]}
        unsafe = pd.Series(False, index=raw.index)
        for k in pk:  # a key that is not a well-formed identifier is masked, as in every finding
            text = raw[k].fillna("").astype(str)
            pattern = fields[k].get("constraints", {}).get("pattern")
            unsafe |= (text.str.len() > 40) | (~text.str.fullmatch(pattern).fillna(False).astype(bool) & (text != "")
                                               if pattern else False)
            unsafe |= text.map(named_like_a_person).astype(bool)  # 'Jane_Doe' as a record id
        v.report.keys(name, raw[pk], unsafe)  # the record id of every finding about one of its rows
    return True


@check("CELL_TYPE", "CELL_REQUIRED", stage="resource")
def fields_step(v, name: str) -> bool:
    """Type every present field and run its constraints; a table missing columns is checked cell by
    cell but goes no further (no keys, no cross-table rules)."""
    schema = v.schemas[name]
    typed = check_fields(name, schema, v.raw[name], v.present[name], v.report)
    # completeness for the coordinating centre's dashboard: cells of the standard's columns holding a value
    v.report.tables[v.report.label(name)] = {"rows": int(len(typed)), "columns": len(schema["fields"]),
                                             "cells": int(len(typed) * len(schema["fields"])),
                                             "filled": int(typed.notna().sum().sum())}
    if len(v.present[name]) < len(schema["fields"]):
        absent = [f["name"] for f in schema["fields"] if f["name"] not in v.present[name]]
        # the columns it has are still checked against other tables (a lost leading zero in a
        # key is found in the same run as the renamed column), and checks needing it say why not
        v.extra.setdefault("partial", {})[name] = typed
        v.extra.setdefault("why", {})[name] = (
            f"'{name}' lacks the column{'s' if len(absent) > 1 else ''} "
            + ", ".join(f"'{a}'" for a in absent[:5]) + (" ..." if len(absent) > 5 else "")
            + " (renamed or missing, see COLUMN_MISSING)")
        return False
    v.typed[name] = typed
    return True


@check("PRIMARY_KEY", stage="resource")
def key_step(v, name: str) -> bool:
    if not check_primary_key(name, v.schemas[name], v.typed[name], v.report):
        v.unkeyed.add(name)
    return True


@check("FOREIGN_KEY", stage="tables")
def foreign_key_step(v, name: str) -> None:
    tables = {**v.extra.get("partial", {}), **v.typed}
    check_foreign_keys(name, v.schemas[name], tables, v.report, v.extra.get("why", {}))
