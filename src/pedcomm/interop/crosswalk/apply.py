"""A checked crosswalk applied to a site's export: the same records, in the standard's columns and codes.

The result is what an export of the standard's own REDCap project holding the same data would be
(columns in the standard's order, each value in the standard's code), so the usual import turns it
into the same package, byte for byte. Nothing is guessed: a site field the crosswalk maps but the
export lacks (CROSSWALK_FIELD_ABSENT) and a value of a recoded field that the crosswalk does not
map (CROSSWALK_CODE_UNMAPPED) stop the import with the field and the code named. Columns the
crosswalk does not name, and rows of repeating instruments it leaves out, are not imported
(CROSSWALK_NOT_IMPORTED, for information).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

from ...validation.registry import check
from ...validation.report import Report
from ..display import listing
from ..redcap.forms import REPEAT_INSTANCE, REPEAT_INSTRUMENT, SYSTEM_COLUMNS, checkbox_column
from .plan import FieldMap, Plan
from .targets import CHECKBOX, CODED, COMPLETE, FORM_STATUS, INSTANCE, RECORD, REPEAT, Target, forms

Body = list[tuple[int, list[str]]]
_TIMESTAMP = re.compile(r".+_timestamp")
_STATUS_RANK = {"": 0, **{code: i + 1 for i, code in enumerate(FORM_STATUS)}}
#: REDCap's own columns: in every export that has them, named the same in every project.
OWN = (REPEAT_INSTRUMENT, REPEAT_INSTANCE)


def _suffix(site: str, code: str) -> str:
    """The part of a checkbox export column after ``field___`` for a code."""
    return checkbox_column(site, code)[len(site) + 3:]


def _find(header: list[str], name: str) -> int | None:
    """The column of a field: its exact name, else the one column equal to it ignoring case (SPSS, Stata)."""
    if name in header:
        return header.index(name)
    folded = [i for i, c in enumerate(header) if c.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def _boxes(header: list[str], site: str) -> dict[str, int]:
    """Checkbox columns of a site field: code suffix -> column."""
    prefix = (site + "___").casefold()
    return {c[len(prefix):]: i for i, c in enumerate(header) if c.casefold().startswith(prefix) and len(c) > len(prefix)}


class _Unmapped:
    """Values of recoded fields that the crosswalk does not map: (site field, code) -> [rows]."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.target: dict[tuple[str, str], str] = {}

    def add(self, site: str, code: str, line: int, target: str) -> None:
        self.rows[site, code].append(line)
        self.target[site, code] = target


def _value(m: FieldMap, plan: Plan, unmapped: _Unmapped) -> Callable[[str, int], str]:
    """The function turning a cell of the site field ``m`` into the standard's value."""
    t, codes, everywhere = m.target, m.codes, plan.everywhere
    strict = bool(codes) and t.kind in CODED

    def value(cell: str, line: int) -> str:
        v = cell.strip()
        if not v:
            return cell
        if v in codes:
            return codes[v]
        if v in everywhere and everywhere[v] in t.missing:
            return everywhere[v]
        if strict:
            unmapped.add(m.site, v, line, t.name)
        return cell
    return value


@check("CROSSWALK_FIELD_ABSENT", "CROSSWALK_CODE_UNMAPPED", "CROSSWALK_NOT_IMPORTED")
def harmonize(plan: Plan, header: list[str], body: Body, report: Report,
              source: str = "REDCap export") -> tuple[list[str], Body] | None:
    """The export's rows in the standard's columns and codes; None (with the findings) when the crosswalk
    does not fit the export. Row numbers stay the export's, so later findings point at the site's file."""
    errors = report.totals()["error"]
    targets = plan.targets
    report.ran("CROSSWALK_FIELD_ABSENT", source, None, len(plan.fields))
    report.ran("CROSSWALK_NOT_IMPORTED", source, None, len(header))
    unmapped = _Unmapped()
    used: set[int] = set()
    # standard column -> how to fill it: [(site column, cell -> value)] (several: checkbox codes, form status)
    fill: dict[str, list[tuple[int, Callable[[str, int], str]]]] = defaultdict(list)
    box_checks: list[tuple[FieldMap, str, int]] = []  # ticked boxes of codes the crosswalk does not map

    mapped = dict(plan.fields)
    for own in OWN:  # REDCap's own columns keep their names unless the crosswalk says otherwise
        if own not in mapped and own not in plan.left_out and own in header and not plan.sources().get(own):
            mapped[own] = FieldMap(own, targets[own], 0)

    for site, m in mapped.items():
        t = m.target
        if t.kind == CHECKBOX:
            boxes = _boxes(header, site)
            if not boxes:
                _absent(report, source, m, header)
                continue
            known = {_suffix(site, c): std for c, std in m.codes.items()} if m.codes else \
                {_suffix(t.name, c): c for c in t.choices()}
            for anywhere, std in plan.everywhere.items():
                known.setdefault(_suffix(site, anywhere), std if std in t.missing else "")
            for suffix, box in boxes.items():
                used.add(box)
                code = known.get(suffix)
                if code is None:
                    box_checks.append((m, suffix, box))
                elif code:
                    fill[checkbox_column(t.name, code)].append((box, lambda cell, line: cell.strip()))
            continue
        column = _find(header, site)
        if column is None:
            if t.required:
                _absent(report, source, m, header)
            continue
        used.add(column)
        fill[t.name].append((column, _value(m, plan, unmapped)))

    for m, suffix, i in box_checks:
        for line, cells in body:
            if cells[i].strip() == "1":
                unmapped.add(m.site, suffix, line, m.target.name)
    passed = [i for i, c in enumerate(header) if c in SYSTEM_COLUMNS or _TIMESTAMP.fullmatch(c)]
    used.update(passed)
    columns = _columns(plan, fill)
    drop = _dropped_instances(plan, header)
    out: Body = []
    dropped = 0
    for line, cells in body:
        if drop is not None and cells[drop[0]].strip() in drop[1]:
            dropped += 1
            continue
        row = {}
        for name in columns:
            vals = [f(cells[i], line) for i, f in fill.get(name, [])]
            if name in targets and targets[name].kind == COMPLETE:
                row[name] = max((v.strip() for v in vals), key=lambda v: _STATUS_RANK.get(v, 0))
            elif len(vals) > 1:  # a checkbox code several site codes stand for
                row[name] = "1" if "1" in vals else ("0" if any(vals) else "")
            else:
                row[name] = vals[0] if vals else ""
        _constants(plan, row)
        out.append((line, [row[c] for c in columns] + [cells[i] for i in passed]))

    report.ran("CROSSWALK_CODE_UNMAPPED", source, None, len(body))
    for (site, code), lines in unmapped.rows.items():
        n = len(lines)
        report.add("CROSSWALK_CODE_UNMAPPED", resource=source, field=site, row=lines[0], value=code,
                   target=unmapped.target[site, code], detail=f"{n} record{'s' if n != 1 else ''}")
    if report.totals()["error"] > errors:
        return None

    left = [c for i, c in enumerate(header) if i not in used and c not in plan.left_out]
    if left or dropped:
        parts = []
        if left:
            parts.append(f"{len(left)} column{'s' if len(left) != 1 else ''} the crosswalk does not name "
                         f"({listing(left, limit=6, private_values=False)})")
        if dropped:
            parts.append(f"{dropped} row{'s' if dropped != 1 else ''} of repeating instruments it leaves out")
        report.add("CROSSWALK_NOT_IMPORTED", resource=source, detail=" and ".join(parts))
    return columns + [header[i] for i in passed], out


def _absent(report: Report, source: str, m: FieldMap, header: list[str]) -> None:
    t = m.target
    if t.kind == CHECKBOX:
        detail = (f"it has a column {m.site!r} but no checkbox columns '{m.site}___code', and {t.name} is a checkbox field"
                  if _find(header, m.site) is not None else f"it has no checkbox columns '{m.site}___code'")
    else:
        detail = "it has no such column"
    report.add("CROSSWALK_FIELD_ABSENT", resource=source, field=m.site, row=1,
               detail=f"{detail} (the crosswalk maps it to {t.name} on row {m.line})")


def _columns(plan: Plan, fill: dict) -> list[str]:
    """The standard's export columns this export fills, in REDCap's order: the record id, the
    repeating-instrument columns, then each form's fields (a checkbox as its choices' columns) and its status."""
    targets = plan.targets
    out = [n for n, t in targets.items() if t.kind == RECORD]
    out += [n for n in OWN if fill.get(n)]
    for form, _, _ in forms():
        for n, t in targets.items():
            if t.form != form or t.kind in (RECORD, COMPLETE):
                continue
            if t.kind == CHECKBOX:
                out += [checkbox_column(n, c) for c in t.codes]
                out += [checkbox_column(n, c) for c in t.missing if checkbox_column(n, c) in fill]
            elif t.required or fill.get(n):
                out.append(n)
        if fill.get(f"{form}_complete"):
            out.append(f"{form}_complete")
    return out


def _dropped_instances(plan: Plan, header: list[str]) -> tuple[int, set[str]] | None:
    """(the repeat-instrument column, site instruments left out), when the crosswalk leaves some out."""
    for m in plan.fields.values():
        if m.target.kind == REPEAT:
            gone = {code for code, std in m.codes.items() if not std}
            i = _find(header, m.site)
            return (i, gone) if gone and i is not None else None
    return None


def _present(row: dict, plan: Plan, form: str) -> bool:
    """The row holds data of the form (as the import decides it: values, ticked boxes, a complete status)."""
    for name, t in plan.targets.items():
        if t.form != form or t.kind in (REPEAT, RECORD, INSTANCE):
            continue
        if t.kind == COMPLETE:
            if row.get(name, "") in ("1", "2"):
                return True
        elif t.kind == CHECKBOX:
            if any(row.get(checkbox_column(name, c), "") == "1" for c in t.choices()):
                return True
        elif name not in plan.constants and row.get(name, "").strip():
            return True
    return False


def _constants(plan: Plan, row: dict) -> None:
    """Fill the values every record gets on the rows that hold their form."""
    if not plan.constants:
        return
    repeat = row.get(REPEAT_INSTRUMENT, "").strip()
    holds: dict[str, bool] = {}
    for name, value in plan.constants.items():
        t: Target = plan.targets[name]
        if t.form not in holds:
            repeating = next(r for f, _, r in forms() if f == t.form)
            holds[t.form] = (repeat == t.form) if repeat else _present(row, plan, t.form)
            if repeat and not repeating:
                holds[t.form] = False
        if holds[t.form]:
            row[name] = value
