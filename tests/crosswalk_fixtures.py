"""A site's own REDCap project holding the standard's data, built the way REDCap would export it.

The site's project is described by a data dictionary written by hand in REDCap's format
(docs/examples/site-dictionary.csv: French and English field names, numeric codes in another order,
items coded from 0, a follow-up form of the site's own, single-site so no site field) and the
crosswalk that maps it to the standard's, written by hand too (tests/fixtures/crosswalk/*.truth.csv).
``site_export`` turns a raw export of the standard's project into the export the site's project
would give for the same records: every column renamed, every code replaced by the site's, checkbox
columns ``field___code`` under the site's codes (and its missing-data codes), the site's form names
in ``redcap_repeat_instrument`` and ``{form}_complete``, the site's own fields filled, follow-up
instances of a repeating form the standard does not have, and REDCap's column order for the site's
dictionary. The tests import it through the crosswalk and compare with the import of the standard's
export byte for byte.

``python -m tests.crosswalk_fixtures`` writes the committed files (the docs' example export and
reviewed crosswalk, the conformance examples); tests/test_crosswalk.py checks they are what these
builders make.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "crosswalk"
EXAMPLES = REPO / "docs" / "examples"
CONFORMANCE = REPO / "validation" / "conformance" / "files" / "crosswalk"


def rows_of(path_or_text) -> list[dict]:
    text = path_or_text.read_text(encoding="utf-8-sig") if isinstance(path_or_text, Path) else path_or_text
    return list(csv.DictReader(io.StringIO(text)))


def write(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    return buf.getvalue()


def _box(field: str, code: str) -> str:
    return f"{field}___{code.replace('-', '_').lower()}"


def site_export(standard: str, dictionary: Path, truth: Path, *, missing: dict[str, str] | None = None,
                follow_up: str | None = None) -> str:
    """The site's export of the records of ``standard`` (a raw export of the standard's project).

    ``missing``: the standard's missing-value codes -> the site's missing-data codes (REDCap's
    project-wide codes: a checkbox gets a column per code); ``follow_up``: a repeating form of the
    site's own, given one instance on every parent record.
    """
    from pedcomm.interop.redcap.dictionary import choice_codes, export_columns

    missing = missing or {}
    site_rows = rows_of(dictionary)
    types = {r["Variable / Field Name"]: r for r in site_rows}
    record = site_rows[0]["Variable / Field Name"]
    columns = export_columns(site_rows)
    for name, r in types.items():  # REDCap adds a column per missing-data code after a checkbox's choices
        if r["Field Type"] == "checkbox" and missing:
            last = max(i for i, c in enumerate(columns) if c.startswith(name + "___"))
            columns[last + 1:last + 1] = [_box(name, code) for code in missing.values()]

    rename: dict[str, str] = {}  # standard field -> site field
    recode: dict[str, dict[str, str]] = defaultdict(dict)  # standard field -> standard code -> site code
    forms: dict[str, str] = {}  # standard repeating form -> site form
    complete: dict[str, list[str]] = defaultdict(list)  # standard form status -> site form statuses
    for t in rows_of(truth):
        site, code, std, std_code = t["site_field"], t["site_code"], t["standard_field"], t["standard_code"]
        if std == "redcap_repeat_instrument":
            if std_code:
                forms[std_code] = code
        elif std.endswith("_complete"):
            complete[std].append(site)
        elif site and code:
            recode[std][std_code] = code
        elif site:
            rename[std] = site

    std_rows = rows_of(standard)
    out = []
    seen_parents = []
    for s in std_rows:
        row = dict.fromkeys(columns, "")
        row[record] = s["record_id"]
        repeat = s["redcap_repeat_instrument"]
        if repeat:
            row["redcap_repeat_instrument"], row["redcap_repeat_instance"] = forms[repeat], s["redcap_repeat_instance"]
        for std, site in rename.items():
            if types[site]["Field Type"] == "checkbox":
                for col, value in s.items():
                    if col.startswith(std + "___"):
                        std_code = next((c for c in recode[std] if _box(std, c) == col), None)
                        if std_code is not None:
                            row[_box(site, recode[std][std_code])] = value
                        else:  # a missing-data code column (field____7): the site's code's column
                            code = next((c for c in missing if _box(std, c) == col), "")
                            if code:
                                row[_box(site, missing[code])] = value
                            elif value == "1":
                                raise ValueError(f"{col}: the site's project has no missing-data code for it")
                continue
            value = s[std]
            value = recode[std].get(value, missing.get(value, value)) if value else value
            row[site] = value
        for std, sites in complete.items():
            for site in sites:
                row[site] = s.get(std, "")
        if not repeat:
            parent = bool(s.get("parent_sex"))
            _own_fields(row, types, parent)
            if parent:
                seen_parents.append(s["record_id"])
        out.append(row)
    if follow_up:
        out = _with_follow_up(out, record, follow_up, types, set(seen_parents))
    return write(columns, [[r[c] for c in columns] for r in out])


def _own_fields(row: dict, types: dict, parent: bool) -> None:
    """The site's own fields that the standard does not have, on a record's first row."""
    values = {"date_inclusion": "2021-03-01", "courriel": "participant@example.org",
              "type_repondant": "1" if parent else "2", "inclusion_complete": "2",
              "consent": "1", "enroll_date": "2021-03-01", "enrollment_complete": "2", "first_name": "Alex",
              "phone": "(555) 010-0000", "contact_complete": "2"}
    for name, value in values.items():
        if name in row and (name in types or name.endswith("_complete")):
            row[name] = value


def _with_follow_up(rows: list[dict], record: str, form: str, types: dict, parents: set[str]) -> list[dict]:
    """One instance of the site's own repeating form after each parent record's rows."""
    fields = [n for n, r in types.items() if r["Form Name"] == form]
    out = []
    for i, row in enumerate(rows):
        out.append(row)
        last = i + 1 == len(rows) or rows[i + 1][record] != row[record]
        if last and row[record] in parents:
            extra = dict.fromkeys(row, "")
            extra.update({record: row[record], "redcap_repeat_instrument": form, "redcap_repeat_instance": "1",
                          f"{form}_complete": "2"})
            for n in fields:
                extra[n] = "2021-09-01" if types[n]["Text Validation Type OR Show Slider Number"] == "date_ymd" else "no change"
            out.append(extra)
    return out


# -- the committed files ---------------------------------------------------------------------------

TRUTH = FIXTURES / "site-dictionary.truth.csv"
SITE_DICTIONARY = EXAMPLES / "site-dictionary.csv"
#: The conformance examples' crosswalk cases: name -> (what changes in the export, in the crosswalk).
CASES = ("misspelled-column", "field-unknown", "code-unknown", "field-twice", "field-unmapped", "review-pending",
         "field-absent", "code-unmapped", "not-imported")


def truth_for(site: str) -> str:
    """The hand-written crosswalk of the site's project, for a package whose one site is ``site``."""
    return TRUTH.read_text(encoding="utf-8").replace(",SITE1,", f",{site},")


def _valid_export() -> str:
    """The site's export of the conformance suite's valid package (a raw export of the standard's project)."""
    import tempfile

    from tests.redcap_fixtures import raw_export
    from tests.redcap_fixtures import write as write_rows

    with tempfile.TemporaryDirectory() as tmp:
        truth = Path(tmp) / "truth.csv"
        truth.write_text(truth_for("S1"), encoding="utf-8")
        return site_export(write_rows(raw_export(missing_codes=False)), SITE_DICTIONARY, truth, follow_up="suivi")


def _without(text: str, column: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    i = rows[0].index(column)
    return write(rows[0][:i] + rows[0][i + 1:], [r[:i] + r[i + 1:] for r in rows[1:]])


def _first_value(text: str, column: str, value: str) -> str:
    """The first non-blank cell of a column replaced by ``value``."""
    rows = list(csv.reader(io.StringIO(text)))
    i = rows[0].index(column)
    first = next(r for r in rows[1:] if r[i])
    first[i] = value
    return write(rows[0], rows[1:])


def conformance() -> dict[str, bytes]:
    """files/crosswalk/<case>.csv (a site's export) and <case>.crosswalk.csv (its crosswalk), one defect each."""
    export, truth = _valid_export(), truth_for("S1")
    out = {}
    for case in CASES:
        e, t = export, truth
        if case == "misspelled-column":
            t = t.replace("standard_code", "standard_cod", 1)
        elif case == "field-unknown":
            t = t.replace("hads_dep,,parent_hads_depression,,", "hads_dep,,parent_hads_depresion,,")
        elif case == "code-unknown":
            t = t.replace("sexe_parent,1,parent_sex,male,", "sexe_parent,1,parent_sex,man,")
        elif case == "field-twice":
            t = t.replace("md_sexe,,clinician_sex,,", "md_sexe,,clinician_sex,,\nsexe_parent,,clinician_sex,,")
        elif case == "field-unmapped":
            t = t.replace("hads_dep,,parent_hads_depression,,\n", "")
        elif case == "review-pending":
            t = t.replace("site_field,site_code,standard_field,standard_code,note",
                          "site_field,site_code,standard_field,standard_code,note,review")
            t = t.replace("educ,4,parent_education,college,", "educ,4,parent_education,college,,true")
        elif case == "field-absent":
            e = _without(e, "hads_dep")
        elif case == "code-unmapped":
            e = _first_value(e, "sexe_parent", "9")
        out[f"{case}.csv"] = e.encode()
        out[f"{case}.crosswalk.csv"] = t.encode()
    out["not-a-dictionary.dictionary.csv"] = b"this is not a data dictionary\n"
    return out


def reviewed_draft(draft: str, note: str = "checked: right") -> str:
    """A draft after a person checked every row marked for review and found it right (review false, a note)."""
    rows = rows_of(draft)
    for r in rows:
        if r["review"] == "true":
            r["review"], r["note"] = "false", f"{note}; {r['note']}"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def docs_examples() -> dict[str, bytes]:
    """The examples of docs/guides/crosswalk.md: site-export.csv, the journey's example export (redcap-export.csv)
    as the site's own project holds it; site-crosswalk.csv, the draft `pedcomm redcap crosswalk` makes of the
    site's dictionary once a person has checked the rows marked for review (and found them right);
    site-export.sav, the same records as SPSS stores them (its header holds the time it was written, so
    tests compare what it holds, not its bytes)."""
    import tempfile

    from pedcomm.commands.init import write as init
    from pedcomm.interop.crosswalk import write_draft

    with tempfile.TemporaryDirectory() as tmp:
        truth = Path(tmp) / "truth.csv"
        truth.write_text(truth_for("SITE1"), encoding="utf-8")
        export = site_export((EXAMPLES / "redcap-export.csv").read_text(encoding="utf-8"), SITE_DICTIONARY, truth,
                             follow_up="suivi")
        init(Path(tmp) / "my-site", "SITE1", "Example Children's Hospital")
        _, rows = write_draft(SITE_DICTIONARY, Path(tmp) / "draft.csv", reference=Path(tmp) / "my-site")
        assert rows is not None
        reviewed = reviewed_draft((Path(tmp) / "draft.csv").read_text(encoding="utf-8"))
        to_labelled(export, SITE_DICTIONARY, Path(tmp) / "site-export.sav")
        sav = (Path(tmp) / "site-export.sav").read_bytes()
    return {"site-export.csv": export.encode(), "site-crosswalk.csv": reviewed.encode(), "site-export.sav": sav}


# -- grading a draft against the hand-written crosswalk ----------------------------------------------

def grade(draft: list[dict], truth: list[dict]) -> dict[str, list[dict]]:
    """The draft's rows sorted into right and wrong by what the hand-written crosswalk says, and the
    hand-written rows the draft lacks. A row is right when it says what the truth says (a code the
    truth renames without code rows keeps its value; a missing-data code the truth does not use is inert)."""
    field, codes, forms, complete, everywhere, constants, absent = {}, {}, {}, {}, {}, {}, set()
    for t in truth:
        s, c, f, d = t["site_field"], t["site_code"], t["standard_field"], t["standard_code"]
        if f == "redcap_repeat_instrument":
            forms[c] = d
        elif f.endswith("_complete"):
            complete[s] = f
        elif not s and not f:
            everywhere[c] = d
        elif not s:
            (constants.__setitem__(f, d) if d else absent.add(f))
        elif c:
            codes[s, c] = d
            field[s] = f
        else:
            field[s] = f
    recoded = {s for s, _ in codes}

    def right(r: dict) -> bool:
        s, c, f, d = r["site_field"], r["site_code"], r["standard_field"], r["standard_code"]
        if f == "redcap_repeat_instrument":
            return forms.get(c, "") == d
        if f.endswith("_complete"):
            return complete.get(s) == f
        if not s and not f:
            return everywhere.get(c, d) == d
        if not s:
            return constants.get(f) == d if d else f in absent
        if c:
            return field.get(s) == f and (codes.get((s, c)) == d if s in recoded else c == d)
        return field.get(s, "") == f

    out: dict[str, list[dict]] = {"right": [], "wrong": [], "missing": []}
    for r in draft:
        out["right" if right(r) else "wrong"].append(r)
    said = {(r["site_field"], r["site_code"]) for r in draft}
    for t in truth:
        if (t["site_field"], t["site_code"]) not in said and (t["site_field"], "") not in said | {("", "")}:
            out["missing"].append(t)
        elif not t["site_field"] and not t["standard_field"] and (t["site_field"], t["site_code"]) not in said:
            out["missing"].append(t)
    return out


# -- the same records as SPSS and Stata store them -----------------------------------------------------

NUMERIC_TYPES = ("radio", "dropdown", "yesno", "truefalse", "checkbox", "calc", "slider")


def to_labelled(export: str, dictionary: Path, path: Path) -> None:
    """Write a site's export as an SPSS (.sav) or Stata (.dta) file the way those packages store a REDCap
    export (REDCap's own SPSS and Stata syntax): coded and numeric fields as numbers with value labels,
    checkbox columns as 0/1 labelled Unchecked/Checked, text as strings, each column labelled with its
    field's label; the standard's missing-value codes declared as user-missing values in SPSS."""
    import math

    import pandas as pd
    import pyreadstat

    from pedcomm.interop.redcap.dictionary import choice_pairs

    rows = rows_of(export)
    header = list(rows[0])
    meta = {r["Variable / Field Name"]: r for r in rows_of(dictionary)}

    def field_of(col: str) -> dict | None:
        return meta.get(col) or meta.get(col.split("___")[0]) if "___" in col else meta.get(col)

    numeric, labels, values = [], {}, {}
    for col in header:
        r = field_of(col)
        if r is None:
            if col == "redcap_repeat_instance" or col.endswith("_complete"):
                numeric.append(col)
            continue
        labels[col] = r["Field Label"]
        kind, validation = r["Field Type"], r["Text Validation Type OR Show Slider Number"]
        if kind == "checkbox":  # REDCap's syntax labels each choice's column 'Label (choice=Choice)'
            numeric.append(col)
            values[col] = {0: "Unchecked", 1: "Checked"}
            choice = dict(choice_pairs(r["Choices, Calculations, OR Slider Labels"]))
            code = next((c for c in choice if _box(r["Variable / Field Name"], c) == col), None)
            if code is not None:
                labels[col] = f"{r['Field Label']} (choice={choice[code]})"
        elif kind in NUMERIC_TYPES or validation in ("integer", "number"):
            numeric.append(col)
            pairs = choice_pairs(r["Choices, Calculations, OR Slider Labels"]) if kind in ("radio", "dropdown") else []
            if pairs and all(c.lstrip("-").isdigit() for c, _ in pairs):
                values[col] = {int(c): lab for c, lab in pairs}
    frame = pd.DataFrame({c: [(float(r[c]) if r[c] != "" else math.nan) if c in numeric else r[c] for r in rows]
                          for c in header})
    if path.suffix == ".dta":  # Stata keeps 80 characters of a variable label
        pyreadstat.write_dta(frame, str(path), column_labels=[labels.get(c, c)[:80] for c in header],
                             variable_value_labels=values)
    else:
        coded = {c: [-7, -8, -9] for c in numeric if c in values}
        pyreadstat.write_sav(frame, str(path), column_labels=[labels.get(c, c) for c in header],
                             variable_value_labels=values, missing_ranges=coded, row_compress=True)  # SPSS's default


if __name__ == "__main__":
    CONFORMANCE.mkdir(exist_ok=True)
    for name, data in conformance().items():
        (CONFORMANCE / name).write_bytes(data)
        print(f"wrote {CONFORMANCE / name} ({len(data)} bytes)")
    for name, data in docs_examples().items():
        (EXAMPLES / name).write_bytes(data)
        print(f"wrote {EXAMPLES / name} ({len(data)} bytes)")
