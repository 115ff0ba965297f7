"""The site side of a draft: the fields of the site's own project, read from what describes them.

- a REDCap data dictionary, as REDCap downloads it (its 18 columns, read by their names; commas, or
  the semicolons or tabs of a spreadsheet saved in another locale): names, forms, section headers,
  field types, labels, choices and validation types;
- an SPSS (.sav, .zsav) or Stata (.dta) file: variable names and labels, value labels as
  choices, numeric or text variables and their display formats;
- any other CSV file: its column names, and its few distinct values as unlabelled choices.

A data file that holds a REDCap export (its redcap_repeat_instrument column) keeps REDCap's forms:
each column is on the repeating instrument whose rows fill it.

A file that is none of these is one CROSSWALK_DICTIONARY_UNREADABLE finding.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ...files.inputs import InputRefused, read
from ...validation.masking import neutralise
from ...validation.registry import check
from ...validation.report import Report
from ..redcap.dictionary import choice_pairs
from ..redcap.forms import REPEAT_INSTANCE, REPEAT_INSTRUMENT, SYSTEM_COLUMNS
from ..tabular import SPSS, STATA
from .targets import TRUEFALSE, YESNO

SOURCE = "site dictionary"
#: REDCap's dictionary columns this reads, by the words that start their headers (REDCap has reworded a few).
COLUMNS = {"name": "variable / field name", "form": "form name", "section": "section header", "type": "field type",
           "label": "field label", "choices": "choices, calculations, or slider labels",
           "validation": "text validation type or show slider number"}
REQUIRED = ("name", "form", "type")
SEPARATORS = (",", ";", "\t")
#: Field types whose choices column holds choices (a calc field's holds its formula, a slider's its three labels).
CHOICE_TYPES = ("radio", "dropdown", "checkbox")
#: Field types that hold no value of a record.
NO_VALUE = ("descriptive",)
#: A column of a plain CSV file with at most this many distinct values is read as coded.
MAX_CODES = 12


@dataclass(frozen=True)
class SiteField:
    name: str
    form: str
    field_type: str  # REDCap's field types; SPSS/Stata/CSV columns as text or radio
    label: str
    choices: tuple[tuple[str, str], ...] = ()
    validation: str = ""
    section: str = ""


def _redcap(rows: list[list[str]], report: Report) -> list[SiteField] | None:
    header = [c.strip().lower() for c in rows[0]]
    at = {}
    for key, title in COLUMNS.items():
        found = [i for i, c in enumerate(header) if c.startswith(title[:12])]
        if found:
            at[key] = found[0]
    lacking = [COLUMNS[k] for k in REQUIRED if k not in at]
    if lacking:
        _refuse(report, f"it has no {', '.join(repr(c.title()) for c in lacking)} column")
        return None
    out, section, form = [], "", None
    for cells in rows[1:]:
        get = {k: (cells[i].strip() if i < len(cells) else "") for k, i in at.items()}
        if not get["name"]:
            continue
        if get["form"] != form:
            section, form = "", get["form"]
        section = get.get("section") or section
        ftype = get["type"].lower()
        if ftype in NO_VALUE:
            continue
        choices: tuple[tuple[str, str], ...] = ()
        if ftype in CHOICE_TYPES:
            choices = tuple(choice_pairs(get.get("choices", "")))
        elif ftype == "yesno":
            choices = tuple(YESNO.items())
        elif ftype == "truefalse":
            choices = tuple(TRUEFALSE.items())
        out.append(SiteField(get["name"], get["form"], ftype, get.get("label", ""), choices,
                             get.get("validation", "").lower(), section))
    return out


def _code(value) -> str:
    """A value label's value as the data hold it: 1.0 -> '1'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _own(name: str) -> bool:
    """REDCap's own columns in a file that holds an export: not fields of the site's project."""
    n = name.casefold()
    return n in (REPEAT_INSTRUMENT, REPEAT_INSTANCE, *SYSTEM_COLUMNS) or n.endswith(("_complete", "_timestamp"))


def _forms(header: list[str], rows: list[list[str]]) -> dict[str, str]:
    """Column -> the site's form, in a file that holds a REDCap export: REDCap writes each form's fields
    followed by its ``{form}_complete``; without those, the repeating instrument whose rows fill it."""
    completes = [i for i, c in enumerate(header) if c.casefold().endswith("_complete")]
    if completes:
        out = {}
        for i, name in enumerate(header):
            after = next((j for j in completes if j >= i), None)
            out[name] = header[after][: -len("_complete")] if after is not None else ""
        return out
    at = next((i for i, c in enumerate(header) if c.casefold() == REPEAT_INSTRUMENT), None)
    if at is None:
        return {}
    out = {}
    for i, name in enumerate(header):
        seen = Counter(r[at].strip() for r in rows if i < len(r) and r[i].strip())
        out[name] = seen.most_common(1)[0][0] if seen else ""
    return out


#: 'Label (choice=Choice label)'; Stata keeps 80 characters, so the closing parenthesis may be cut off.
_CHOICE = re.compile(r"(?P<label>.*?)\s*\(choice=(?P<choice>[^)]*)\)?\s*$", re.S)


def _checkboxes(header: list[str], labels: dict) -> dict[str, list[tuple[str, str]]]:
    """Checkbox fields of a file holding a REDCap export: name -> [(column, choice label)] of its
    ``name___code`` columns (a missing-data code's ``name____7`` aside). REDCap labels each column
    'Field label (choice=Choice label)'."""
    out: dict[str, list[tuple[str, str]]] = {}
    for c in header:
        name, sep, code = c.partition("___")
        if sep and name and code and not code.startswith("_"):
            m = _CHOICE.match(str(labels.get(c) or ""))
            out.setdefault(name, []).append((c, m["choice"].strip() if m else code))
    return out


def _from_data(header: list[str], rows: list[list[str]], labels: dict, values: dict,
               formats: dict) -> list[SiteField]:
    """The fields of a data file: its columns with their labels and value labels (SPSS, Stata), or, for a
    plain CSV file, their few distinct values as unlabelled codes; a checkbox's columns as one field."""
    forms = _forms(header, rows)
    boxes = _checkboxes(header, labels)
    in_box = {c for cols in boxes.values() for c, _ in cols}
    out = []
    for i, name in enumerate(header):
        if name in in_box:
            field = name.partition("___")[0]
            if boxes[field][0][0] == name:  # the field, once, at its first column
                m = _CHOICE.match(str(labels.get(name) or ""))
                choices = tuple((c.partition("___")[2], lab) for c, lab in boxes[field])
                out.append(SiteField(field, forms.get(name, ""), "checkbox", m["label"] if m else "", choices))
            continue
        if _own(name) or "___" in name:
            continue
        seen = list(dict.fromkeys(r[i].strip() for r in rows if i < len(r) and r[i].strip()))
        numbers = bool(seen) and all(re.fullmatch(r"-?\d+(\.\d+)?", v) for v in seen)
        choices = tuple((_code(v), str(lab)) for v, lab in (values.get(name) or {}).items())
        if not choices and not labels and 0 < len(seen) <= MAX_CODES and len(rows) > 2 * len(seen):
            choices = tuple((v, v) for v in sorted(seen, key=lambda v: (len(v), v)))
        fmt = str(formats.get(name, "")).lower()
        validation = ""
        if re.match(r"(%t|date|adate|edate|sdate)", fmt) or (seen and all(re.fullmatch(r"\d{4}-\d\d-\d\d", v) for v in seen)):
            validation = "date_ymd"
        elif numbers and not choices:
            validation = "integer" if all("." not in v for v in seen) else "number"
        out.append(SiteField(name, forms.get(name, ""), "radio" if choices else "text", str(labels.get(name) or ""),
                             choices, validation))
    return out


def _labelled(path: Path, report: Report) -> tuple[list[str], list[SiteField]] | None:
    import pyreadstat

    from ..tabular import cell

    reader = pyreadstat.read_dta if path.suffix.lower() in STATA else pyreadstat.read_sav
    data = read(path, "data")  # a regular file within a data file's size (or InputRefused)
    try:
        frame, meta = reader(io.BytesIO(data), user_missing=True)
    except Exception as e:  # pyreadstat raises its own errors for files it cannot parse
        _refuse(report, f"it is not a readable {'Stata' if path.suffix.lower() in STATA else 'SPSS'} file "
                        f"({neutralise(str(e))[:200]})")
        return None
    header = [str(c) for c in frame.columns]
    rows = [[cell(v) for v in r] for r in frame.itertuples(index=False, name=None)]
    fields = _from_data(header, rows, meta.column_names_to_labels or {}, meta.variable_value_labels or {},
                        meta.original_variable_types or {})
    return header, fields


def _refuse(report: Report, detail: str) -> None:
    report.add("CROSSWALK_DICTIONARY_UNREADABLE", resource=SOURCE, detail=detail)


@dataclass(frozen=True)
class Described:
    """The site's fields, what described them, and the columns of a data file (None for a REDCap dictionary)."""

    fields: list[SiteField]
    kind: str  # 'REDCap data dictionary', 'SPSS file', 'Stata file' or 'CSV file'
    columns: frozenset[str] | None = None


@check("CROSSWALK_DICTIONARY_UNREADABLE")
def site_fields(path: str | Path, report: Report) -> Described | None:
    """The site's fields, or None with the finding."""
    from ...validation.refusals import input_refused

    path = Path(path)
    report.ran("CROSSWALK_DICTIONARY_UNREADABLE", SOURCE, None, 1)
    suffix = path.suffix.lower()
    try:
        if suffix in SPSS + STATA:
            found = _labelled(path, report)
            described = None if found is None else \
                Described(found[1], "Stata file" if suffix in STATA else "SPSS file", frozenset(found[0]))
        else:
            described = _csv(read(path, "data"), report)
    except InputRefused as e:
        input_refused(report, e, resource=SOURCE, path=neutralise(str(path)))
        return None
    except OSError as e:
        _refuse(report, f"it cannot be opened ({e.strerror or e})")
        return None
    if described is None:
        return None
    if not described.fields:
        _refuse(report, "it describes no field")
        return None
    return described


def _csv(data: bytes, report: Report) -> Described | None:
    from .table import decode

    text = decode(data)
    if "\x00" in text:
        _refuse(report, "it is not a text file; give the data dictionary as REDCap downloads it (CSV)")
        return None
    first = text.lstrip("\r\n").split("\n", 1)[0].lower()
    sep = max(SEPARATORS, key=first.count)
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep) if any(c.strip() for c in r)]
    except csv.Error as e:
        _refuse(report, f"it is not a CSV file ({e})")
        return None
    if not rows:
        _refuse(report, "it is empty")
        return None
    if any(c.strip().lower().startswith(COLUMNS["name"][:12]) for c in rows[0]):
        fields = _redcap(rows, report)
        return None if fields is None else Described(fields, "REDCap data dictionary")
    if len(rows) < 2:
        _refuse(report, "it is neither a REDCap data dictionary (no 'Variable / Field Name' column) nor a data file "
                        "with records")
        return None
    header = [c.strip() for c in rows[0]]
    return Described(_from_data(header, rows[1:], {}, {}, {}), "CSV file", frozenset(header))
