"""What a crosswalk says, checked against the standard's fields before any record is read.

Each row is one of:

- a rename (site field, standard field): the site field is the standard field, values kept;
- a recode (site field and code, standard field and code): that site code is that standard code
  (a blank standard code: the site code is not carried over);
- a field the site does not collect (standard field only): its cells stay blank;
- a value for every record (standard field and code, no site field): e.g. a single-site project's site;
- a field left out on purpose (site field only);
- a missing-data code of every field (site code and standard code only): e.g. REDCap's UNK for -8.

Refused, with the field and the code named and nothing written: a standard field or code that does
not exist (CROSSWALK_FIELD_UNKNOWN, CROSSWALK_CODE_UNKNOWN), a field mapped twice
(CROSSWALK_FIELD_TWICE), a standard field left unmapped (CROSSWALK_FIELD_UNMAPPED) and rows still
marked for review (CROSSWALK_REVIEW_PENDING).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ...validation.registry import check
from ...validation.report import Report
from .. import labels as L
from .table import SOURCE, Crosswalk, Row
from .targets import COMPLETE, INSTANCE, RECORD, TEXT, Target


@dataclass
class FieldMap:
    """One site field and the standard field it is."""

    site: str
    target: Target
    line: int
    codes: dict[str, str] = field(default_factory=dict)  # site code -> standard code ('': not carried over)


@dataclass
class Plan:
    """A checked crosswalk: how each column of the site's export becomes a column of the standard's."""

    crosswalk: Crosswalk
    targets: dict[str, Target]
    fields: dict[str, FieldMap] = field(default_factory=dict)  # by site field
    left_out: set[str] = field(default_factory=set)  # site fields left out on purpose
    absent: list[str] = field(default_factory=list)  # standard fields the site does not collect
    constants: dict[str, str] = field(default_factory=dict)  # standard field -> the value of every record
    everywhere: dict[str, str] = field(default_factory=dict)  # site code -> standard missing-value code, any field

    @property
    def record(self) -> str:
        """The site field holding the record id."""
        return next(m.site for m in self.fields.values() if m.target.kind == RECORD)

    def sources(self) -> dict[str, list[FieldMap]]:
        """Standard field -> the site fields mapped to it."""
        out: dict[str, list[FieldMap]] = defaultdict(list)
        for m in self.fields.values():
            out[m.target.name].append(m)
        return out


def _closest(name: str, names: list[str]) -> str:
    from rapidfuzz import process

    best = process.extractOne(name, names)
    return f" (did you mean {best[0]})" if best and best[1] >= 80 else ""


def _codes_text(t: Target) -> str:
    codes = list(t.choices())
    shown = ", ".join(codes[:12]) + (f" and {len(codes) - 12} more" if len(codes) > 12 else "")
    if t.kind == TEXT:
        return f"{t.name} is a text field: its codes are the missing-value codes {shown}" if codes else \
            f"{t.name} is a text field without missing-value codes"
    if t.kind in (RECORD, INSTANCE):
        return f"{t.name} takes no codes (it is renamed only)"
    return f"the codes of {t.name} are {shown}"


@check("CROSSWALK_FIELD_UNKNOWN", "CROSSWALK_CODE_UNKNOWN", "CROSSWALK_FIELD_TWICE", "CROSSWALK_FIELD_UNMAPPED",
       "CROSSWALK_REVIEW_PENDING")
def plan(crosswalk: Crosswalk, targets: dict[str, Target], report: Report) -> Plan | None:
    """The crosswalk checked against the standard's fields; None (with the findings) when it cannot be applied."""
    p = Plan(crosswalk, targets)
    errors = report.totals()["error"]
    rows = list(crosswalk.rows)
    names = list(targets)
    for code in ("CROSSWALK_FIELD_UNKNOWN", "CROSSWALK_CODE_UNKNOWN", "CROSSWALK_FIELD_TWICE", "CROSSWALK_REVIEW_PENDING"):
        report.ran(code, SOURCE, None, len(rows))
    report.ran("CROSSWALK_FIELD_UNMAPPED", SOURCE, None, sum(t.required for t in targets.values()))

    def twice(name: str, line: int, detail: str, value: str | None = None) -> None:
        report.add("CROSSWALK_FIELD_TWICE", resource=SOURCE, field=L.shown(name), row=line,
                   value=None if value is None else L.shown(value), detail=detail)

    def unknown_code(t: Target, r: Row, code: str) -> None:
        report.add("CROSSWALK_CODE_UNKNOWN", resource=SOURCE, field=t.name, row=r.line, value=L.shown(code),
                   detail=_codes_text(t))

    for r in rows:
        if r.review:
            report.add("CROSSWALK_REVIEW_PENDING", resource=SOURCE, field=L.shown(r.site_field or r.standard_field),
                       row=r.line, value=L.shown(r.site_code) if r.site_code else None, detail=r.says())

    covered: dict[str, list[tuple[str, int]]] = defaultdict(list)  # standard field -> [(what maps it, row)]
    missing_codes = {c for t in targets.values() for c in t.missing}
    for r in rows:
        if r.standard_field and r.standard_field not in targets:
            report.add("CROSSWALK_FIELD_UNKNOWN", resource=SOURCE, field=L.shown(r.standard_field), row=r.line,
                       detail=f"it is not a field of the standard's REDCap project{_closest(r.standard_field, names)}")
            continue
        t = targets.get(r.standard_field)
        if not r.site_field and t is None:  # a missing-data code of every field
            if r.standard_code not in missing_codes:
                report.add("CROSSWALK_CODE_UNKNOWN", resource=SOURCE, field="(every field)", row=r.line,
                           value=L.shown(r.standard_code),
                           detail=f"a code of every field must be a missing-value code ({', '.join(sorted(missing_codes))})")
            elif p.everywhere.get(r.site_code, r.standard_code) != r.standard_code:
                twice(r.site_code, r.line, f"the site code {L.shown(r.site_code)!r} of every field is given two standard codes",
                      r.site_code)
            else:
                p.everywhere[r.site_code] = r.standard_code
            continue
        if not r.site_field:
            assert t is not None
            if r.standard_code:
                if t.kind in (RECORD, INSTANCE) or (t.kind != TEXT and not t.allows(r.standard_code)):
                    unknown_code(t, r, r.standard_code)
                    continue
                p.constants[t.name] = r.standard_code
                covered[t.name].append((f"the value {L.shown(r.standard_code)!r} for every record", r.line))
            elif t.kind != RECORD:  # every record has an id: 'not collected' leaves record_id unmapped
                p.absent.append(t.name)
                covered[t.name].append(("'not collected'", r.line))
            continue
        if t is None:  # left out on purpose
            if r.site_field in p.fields:
                twice(r.site_field, r.line, f"it is left out here but mapped to {p.fields[r.site_field].target.name} "
                                            f"on row {p.fields[r.site_field].line}")
            p.left_out.add(r.site_field)
            continue
        if r.site_field in p.left_out:
            twice(r.site_field, r.line, f"it is mapped to {t.name} here but left out on another row")
            continue
        m = p.fields.get(r.site_field)
        if m is None:
            m = p.fields[r.site_field] = FieldMap(r.site_field, t, r.line)
            covered[t.name].append((f"the site field {L.shown(r.site_field)!r}", r.line))
        elif m.target is not t:
            twice(r.site_field, r.line, f"it is mapped to {m.target.name} on row {m.line} and to {t.name} on row {r.line}")
            continue
        if not r.site_code:
            continue
        if t.kind in (RECORD, INSTANCE) or (r.standard_code and not t.allows(r.standard_code)) or \
                (t.kind == TEXT and r.standard_code and r.standard_code not in t.missing):
            unknown_code(t, r, r.standard_code or r.site_code)
            continue
        if m.codes.get(r.site_code, r.standard_code) != r.standard_code:
            twice(r.site_field, r.line, f"its code {L.shown(r.site_code)!r} is given two standard codes "
                                        f"({L.shown(m.codes[r.site_code]) or 'none'} and {L.shown(r.standard_code) or 'none'})",
                  r.site_code)
            continue
        m.codes[r.site_code] = r.standard_code

    for name, by in covered.items():
        first: dict[str, int] = {}
        for what, line in by:
            first.setdefault(what, line)  # the same row twice is no conflict
        distinct = list(first.items())
        several_forms = targets[name].kind == COMPLETE and all(w.startswith("the site field") for w, _ in distinct)
        if len(distinct) > 1 and not several_forms:  # several site forms may make one standard form
            twice(name, distinct[1][1], " and ".join(f"{w} (row {line})" for w, line in distinct) + f" are all mapped to {name}")
    for t in targets.values():
        if t.required and t.name not in covered:
            report.add("CROSSWALK_FIELD_UNMAPPED", resource=SOURCE, field=t.name,
                       detail=(f"the {t.form} form's {t.label!r}" if t.label else t.form))
    return None if report.totals()["error"] > errors else p
