"""REDCap: the data dictionary is generated from the schemas, and a records export shaped by it
imports back into the original tables exactly."""

import csv
import json
import io

import pytest
from typer.testing import CliRunner

from pedcomm import standard
from pedcomm.cli import app
from pedcomm.interop import labels as L
from pedcomm.interop.package_io import read_text
from pedcomm.interop.redcap.dictionary import COLUMNS, dictionary_rows, export_columns
from pedcomm.interop.redcap.forms import DERIVED, FORMS, REFERENCE_TABLES
from pedcomm.interop.redcap.importer import import_export
from pedcomm.interop.redcap.records import records
from pedcomm.validation.conformance import SUITE

from .conftest import REPO, snapshot

runner = CliRunner()
SURVEY = standard.resource_names("survey")


@pytest.fixture(scope="module")
def tables(repo):
    return {n: read_text(repo / "data" / f"{n}.csv") for n in SURVEY}


@pytest.fixture(scope="module")
def rows(tables):
    return dictionary_rows(tables)


def test_dictionary_has_redcaps_18_columns_in_order():
    assert COLUMNS == (
        "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
        "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
        "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
        "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
        "Matrix Ranking?", "Field Annotation")


def test_every_survey_field_is_asked_derived_or_reference(rows):
    """Parity: each field of each survey table reaches REDCap (or is derived, or is the record id)."""
    annotated = {r["Field Annotation"].removeprefix("pedcomm: ") for r in rows}
    covered = set()
    for a in annotated:
        for part in a.split("; "):
            covered.add(part.split(" ")[0])
    covered |= {f"{p.resource}.{p.record}" for form in FORMS for p in form.parts}  # filled from the record id
    for name in SURVEY:
        if name in REFERENCE_TABLES:
            continue
        for f in L.fields(name):
            key = f"{name}.{f['name']}"
            assert (key in covered or f["name"] in DERIVED.get(name, ()) or name == "survey_responses"
                    or name == "survey_strategies"), key
    assert "survey_responses.response" in covered and "survey_strategies.used" in covered


def test_dictionary_takes_types_choices_ranges_and_flags_from_the_schemas(rows):
    by_name = {r["Variable / Field Name"]: r for r in rows}
    for r in rows:
        source = r["Field Annotation"].removeprefix("pedcomm: ").split(" ")[0]
        if r["Variable / Field Name"] == "record_id" or "." not in source or source.startswith("survey_responses"):
            continue
        resource, field = source.split(".")
        f = L.field_map(resource)[field]
        c = f.get("constraints", {})
        if r["Field Type"] == "checkbox":
            continue
        assert r["Field Label"] == f["title"]
        assert r["Required Field?"] == ("y" if c.get("required") else "")
        if "enum" in c:
            assert r["Field Type"] in ("radio", "dropdown")
            assert r["Choices, Calculations, OR Slider Labels"] == " | ".join(f"{k}, {v}" for k, v in L.enum_labels(f).items())
        if f["type"] in ("integer", "number") and r["Field Type"] == "text":
            assert r["Text Validation Type OR Show Slider Number"] == f["type"]
            assert r["Text Validation Min"] == str(c.get("minimum", "")) and r["Text Validation Max"] == str(c.get("maximum", ""))
    assert by_name["parent_mixed_messages"]["Choices, Calculations, OR Slider Labels"].startswith("1, Never | 2, Rarely")
    assert by_name["parent_site_id"]["Field Type"] == "dropdown"  # choices from survey_sites
    strategies = by_name["rcsc_strategies"]
    assert strategies["Field Type"] == "checkbox"
    assert strategies["Choices, Calculations, OR Slider Labels"].split(" | ")[0] == "family_meetings, Regular family meetings"


def test_item_fields_come_from_survey_items(rows, tables):
    items = tables["survey_items"]
    by_name = {r["Variable / Field Name"]: r for r in rows}
    for item in items.to_dict("records"):
        r = by_name[item["item_id"]]
        assert r["Form Name"] == item["instrument"] and r["Field Label"] == item["wording"]
        assert r["Field Type"] == "radio" and r["Matrix Group Name"] == item["instrument"]
        scale = L.parse_scale_labels(item["response_labels"])
        assert r["Choices, Calculations, OR Slider Labels"] == " | ".join(f"{k}, {v}" for k, v in scale.items())
    assert [f.name for f in FORMS] == ["parent_survey", "rcs_p", "clinician_survey", "rcs_c"]
    assert {r["Form Name"] for r in rows} == {f.name for f in FORMS}


@pytest.mark.parametrize("unchecked", ["0", ""], ids=["unchecked-0", "unchecked-blank"])
def test_round_trip_returns_the_original_tables_exactly(tables, repo, tmp_path, unchecked):
    export = tmp_path / "export.csv"
    export.write_text(records(tables, unchecked=unchecked, unfilled=unchecked), encoding="utf-8")
    header = next(csv.reader(io.StringIO(export.read_text())))
    assert "rcsc_strategies___family_meetings" in header and "rcs_p_complete" in header
    result = import_export(export, tmp_path / "pkg", reference=repo)
    assert result.report.codes() == set(), [f.message for f in result.report.findings[:5]]
    for name in SURVEY:
        assert (tmp_path / "pkg" / "data" / f"{name}.csv").read_bytes() == (repo / "data" / f"{name}.csv").read_bytes(), name


def test_system_columns_and_a_byte_order_mark_are_accepted(tables, repo, tmp_path):
    text = records(tables)
    lines = text.splitlines()
    lines = [lines[0] + ",redcap_data_access_group,parent_survey_timestamp"] + [ln + ",site_a,2021-03-01 10:00" for ln in lines[1:]]
    export = tmp_path / "export.csv"
    export.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode())
    result = import_export(export, tmp_path / "pkg", reference=repo)
    assert result.report.codes() == set()
    assert (tmp_path / "pkg/data/survey_strategies.csv").read_bytes() == (repo / "data/survey_strategies.csv").read_bytes()


def test_export_columns_follow_the_dictionary(rows):
    cols = export_columns(rows)
    assert cols[:3] == ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"]
    assert cols.index("parent_survey_complete") < cols.index("rcsp_relationship_id") < cols.index("rcs_p_complete")
    assert [c for c in cols if c.startswith("rcsc_strategies___")] == [
        f"rcsc_strategies___{c}" for c in standard.enum("survey_strategies", "strategy")]


@pytest.mark.parametrize("fixture, code, exit_code", [
    ("labels-header.csv", "REDCAP_LABELS_EXPORTED", 2),
    ("not-utf8.csv", "REDCAP_EXPORT_UNREADABLE", 2),
    ("header-only.csv", "REDCAP_EXPORT_EMPTY", 1),
    ("column-duplicate.csv", "REDCAP_COLUMN_DUPLICATE", 1),
    ("checkbox-conflict.csv", "REDCAP_CHECKBOX_CONFLICT", 1),
    ("column-missing.csv", "REDCAP_COLUMN_MISSING", 1),
    ("record-both.csv", "REDCAP_RECORD_UNCLEAR", 1),
    ("checkbox-label.csv", "REDCAP_CHECKBOX_INVALID", 1),
    ("link-conflict.csv", "REDCAP_LINK_CONFLICT", 1),
    ("decimal-comma-mixed.csv", "REDCAP_DECIMAL_COMMA", 1),
    ("data-dictionary.csv", "REDCAP_NOT_AN_EXPORT", 2),
])
def test_a_bad_export_is_a_coded_finding_and_writes_nothing(fixture, code, exit_code, tmp_path):
    before = snapshot(SUITE / "files" / "redcap")
    r = runner.invoke(app, ["redcap", "import", str(SUITE / "files" / "redcap" / fixture), "--out", str(tmp_path / "pkg"),
                            "--package", str(SUITE / "valid")])
    assert r.exit_code == exit_code, r.output
    assert code in r.output and "Traceback" not in r.output
    assert r.output.count(f"│ {code}") == 1  # one finding, with its remedy
    assert not (tmp_path / "pkg").exists()
    assert snapshot(SUITE / "files" / "redcap") == before


def test_an_unknown_column_is_a_warning_and_the_package_is_written(tmp_path):
    r = runner.invoke(app, ["redcap", "import", str(SUITE / "files/redcap/column-unknown.csv"), "--out", str(tmp_path / "pkg"),
                            "--package", str(SUITE / "valid"), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert '"code": "REDCAP_COLUMN_UNKNOWN"' in r.output
    assert (tmp_path / "pkg/datapackage.json").is_file()
    # the checkbox records every strategy: unticked boxes become 'used: false' rows
    strategies = read_text(tmp_path / "pkg/data/survey_strategies.csv")
    assert len(strategies) == 2 * len(standard.enum("survey_strategies", "strategy"))


def test_cli_dictionary(tmp_path):
    r = runner.invoke(app, ["redcap", "dictionary", "--out", str(tmp_path / "dict.csv")])
    assert r.exit_code == 0, r.output
    got = list(csv.reader(io.StringIO((tmp_path / "dict.csv").read_text())))
    assert tuple(got[0]) == COLUMNS and all(len(row) == 18 for row in got)
    assert got[1][0] == "record_id"
    assert "Missing Data Codes" in r.output and "-7, refused" in r.output


def test_a_project_without_repeating_instruments_imports(tmp_path):
    """A site asking one relationship per record has no repeat columns: the form sits on the record's row."""
    valid = {n: read_text(SUITE / "valid" / "data" / f"{n}.csv") for n in SURVEY}
    rows = list(csv.DictReader(io.StringIO(records(valid))))
    first = {}
    for r in rows:  # keep each record's first rcs_p instance, merged into its row
        base = first.setdefault(r["record_id"], dict(r))
        if r["redcap_repeat_instrument"] == "rcs_p" and r["redcap_repeat_instance"] == "1":
            base.update({k: v for k, v in r.items() if v and not k.startswith("redcap_repeat")})
    cols = [c for c in rows[0] if not c.startswith("redcap_repeat")]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(first.values())
    (tmp_path / "flat.csv").write_text(buf.getvalue())
    result = import_export(tmp_path / "flat.csv", tmp_path / "pkg", reference=SUITE / "valid")
    assert result.report.codes() == set()
    rel = read_text(tmp_path / "pkg/data/survey_relationships.csv")
    assert rel["relationship_id"].tolist() == ["R1", "R2"]  # P1's and P2's first relationships
    assert rel["clinician_report"].tolist() == ["false", "false"]


# -- exports as REDCap writes them, and as they arrive ------------------------------------------------

REAL = REPO.parent / "shared" / "redcap"
real_projects = pytest.mark.skipif(not REAL.is_dir(), reason="the real REDCap files live in ../shared/redcap/")


def test_committed_redcap_fixtures_are_what_the_builders_make():
    from .redcap_fixtures import FILES, fixtures

    for name, data in fixtures().items():
        assert (FILES / name).read_bytes() == data, f"run python -m tests.redcap_fixtures ({name})"


@real_projects
@pytest.mark.parametrize("project", ["checkboxes-1", "dag", "longitudinal", "repeating-instruments", "survey"])
def test_export_columns_follow_redcaps_rules_on_real_exports(project):
    """The rule the importer expects (record id, repeat columns, fields, checkbox choices, form status) is
    REDCap's: applied to the real projects' dictionaries it gives their real export headers, in order,
    apart from the system columns the importer accepts."""
    from pedcomm.interop.redcap.forms import SYSTEM_COLUMNS

    rows = list(csv.DictReader(open(REAL / project / "dictionary.csv", newline="", encoding="utf-8-sig")))
    header = next(csv.reader(open(REAL / project / "data.csv", newline="", encoding="utf-8-sig")))
    ours = export_columns(rows, repeating="redcap_repeat_instrument" in header)
    assert [c for c in header if c in ours] == ours
    assert {c for c in header if c not in ours} <= set(SYSTEM_COLUMNS) | {c for c in header if c.endswith("_timestamp")}


@real_projects
@pytest.mark.parametrize("project", ["checkboxes-1", "dag", "longitudinal", "repeating-instruments", "survey"])
def test_real_exports_read_cell_by_cell(project):
    """REDCap's quoting (line breaks and commas inside cells) and blank repeat columns read as REDCap wrote them."""
    from pedcomm.interop.redcap.importer import read_export
    from pedcomm.validation.report import Report

    report = Report()
    parsed = read_export(REAL / project / "data.csv", report, identify=False)
    expected = list(csv.reader(open(REAL / project / "data.csv", newline="", encoding="utf-8")))
    # none of these projects was built by pedcomm: the import says so, naming the file for what it is
    told = Report()
    assert read_export(REAL / project / "data.csv", told) is None and told.codes() == {"REDCAP_NOT_AN_EXPORT"}
    assert f"the records export of another REDCap project (record id '{expected[0][0]}'" in told.findings[0].message
    if expected[0][0] != "record_id":  # study_id / participant_id: not read as records at all
        assert parsed is None and report.codes() == {"REDCAP_EXPORT_UNREADABLE"}
        assert "no 'record_id' column" in report.findings[0].message
        return
    header, body = parsed
    assert report.codes() == set()
    assert header == expected[0] and [cells for _, cells in body] == [r for r in expected[1:] if any(r)]
    assert len(body) == {"checkboxes-1": 4, "dag": 3, "repeating-instruments": 6}[project]


def test_checkbox_missing_data_codes_become_the_declared_missing_values(tables, repo, tmp_path):
    """A checkbox answered 'refused' exports field____7 = 1 and blank boxes; every strategy keeps -7."""
    t = {k: v.copy() for k, v in tables.items()}
    strat = t["survey_strategies"]
    refused = strat["relationship_id"].iloc[0]
    strat.loc[strat["relationship_id"] == refused, "used"] = "-7"
    text = records(t, missing_codes=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    row = next(r for r in rows if r["redcap_repeat_instrument"] == "rcs_c" and r["rcsc_relationship_id"] == refused)
    assert row["rcsc_strategies____7"] == "1" and row["rcsc_strategies____8"] == ""
    assert all(row[f"rcsc_strategies___{c}"] == "" for c in standard.enum("survey_strategies", "strategy"))
    header = text.splitlines()[0].split(",")
    assert header.index("rcsc_strategies____7") == header.index("rcsc_strategies___team_consistency") + 1
    (tmp_path / "export.csv").write_text(text)
    # a site declares its own id (without it the package would keep the example's: SITE_IDENTITY_EXAMPLE)
    result = import_export(tmp_path / "export.csv", tmp_path / "pkg", reference=repo, site="DFCI")
    assert result.report.codes() == set(), [f.message for f in result.report.findings[:3]]
    got = read_text(tmp_path / "pkg/data/survey_strategies.csv")
    assert got.equals(strat.reset_index(drop=True))
    assert set(got.loc[got["relationship_id"] == refused, "used"]) == {"-7"}


def _as_labels(text: str, rows: list[dict]) -> str:
    """The same export as REDCap's 'CSV (labels)' values with raw headers: choice labels, Checked/Unchecked."""
    from pedcomm.interop.redcap.dictionary import choice_pairs

    choices = {r["Variable / Field Name"]: dict(choice_pairs(r["Choices, Calculations, OR Slider Labels"]))
               for r in rows if r["Field Type"] in ("radio", "dropdown")}
    data = list(csv.DictReader(io.StringIO(text)))
    for d in data:
        for k, v in d.items():
            if k in choices and v in choices[k]:
                d[k] = choices[k][v]
            elif "___" in k and v in ("0", "1"):
                d[k] = "Checked" if v == "1" else "Unchecked"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(data[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(data)
    return buf.getvalue()


def test_a_label_export_is_one_finding_not_thousands(tables, rows, repo, tmp_path):
    (tmp_path / "labels.csv").write_text(_as_labels(records(tables), rows))
    result = import_export(tmp_path / "labels.csv", tmp_path / "pkg", reference=repo)
    assert result.report.codes() == {"REDCAP_LABELS_EXPORTED"} and len(result.report.findings) == 1
    assert result.exit_code == 2 and not (tmp_path / "pkg").exists()
    assert "raw data" in result.report.findings[0].action


@pytest.mark.parametrize("sep, name", [(";", "semicolons"), ("\t", "tabs")])
def test_other_separators_are_read_with_one_warning(tables, repo, tmp_path, sep, name):
    rows_ = list(csv.reader(io.StringIO(records(tables))))
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows_)
    (tmp_path / "export.csv").write_text(buf.getvalue())
    result = import_export(tmp_path / "export.csv", tmp_path / "pkg", reference=repo)
    assert result.report.codes() == {"REDCAP_DELIMITER"} and name in result.report.findings[0].message
    for n in SURVEY:
        assert (tmp_path / "pkg" / "data" / f"{n}.csv").read_bytes() == (repo / "data" / f"{n}.csv").read_bytes(), n


# -- the project XML ----------------------------------------------------------------------------------

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
RC = "{https://projectredcap.org}"


@pytest.fixture(scope="module")
def project_xml(tables, tmp_path_factory):
    out = tmp_path_factory.mktemp("xml") / "project.xml"
    r = runner.invoke(app, ["redcap", "project", "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out


def _tree(path):
    import defusedxml.ElementTree as DET

    return DET.parse(str(path)).getroot()


def _tags(el):
    return [c.tag for c in el]


def _attr_names(root, tag):
    return [list(e.attrib) for e in root.iter(tag)]


def _in_order(sub: list, full: list) -> bool:
    """``sub``'s items appear in ``full`` in the same relative order."""
    pos = [full.index(x) for x in sub if x in full]
    return pos == sorted(pos)


@real_projects
def test_project_xml_has_the_structure_of_real_redcap_project_files(project_xml):
    ours = _tree(project_xml)
    real = {d.name: _tree(d / "project.xml") for d in sorted(REAL.iterdir()) if (d / "project.xml").is_file()}
    text = project_xml.read_text()
    for name, r in real.items():
        raw = (REAL / name / "project.xml").read_text()
        # the same root, namespaces and root attributes
        assert ours.tag == r.tag == f"{ODM}ODM"
        assert set(ours.attrib) == set(r.attrib), name
        for prefix in ('xmlns="http://www.cdisc.org/ns/odm/v1.3"', 'xmlns:redcap="https://projectredcap.org"',
                       'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"', 'xmlns:xsi='):
            assert prefix in text and prefix in raw
        # Study > GlobalVariables, MetaDataVersion; settings in REDCap's order
        assert _tags(ours) == [f"{ODM}Study"] and _tags(ours[0])[:2] == _tags(r[0])[:2]
        g_ours, g_real = _tags(ours[0][0]), _tags(r[0][0])
        assert _in_order([t for t in g_ours if t in g_real], g_real), name
        # MetaDataVersion: FormDefs, then ItemGroupDefs, then ItemDefs, then CodeLists
        kinds = [t.removeprefix(ODM) for t in _tags(ours[0][1])]
        real_kinds = [t.removeprefix(ODM) for t in _tags(r[0][1]) if t.removeprefix(ODM) in kinds]
        order = ["FormDef", "ItemGroupDef", "ItemDef", "CodeList"]
        assert sorted(kinds, key=order.index) == kinds and sorted(real_kinds, key=order.index) == real_kinds
        assert set(ours[0][1].attrib) == set(r[0][1].attrib)
    # every attribute we write is one REDCap writes on that element (RequiredField and FieldAnnotation: REDCap's
    # ODM export writes them when a field has them, which no real sample does), in REDCap's relative order
    extra = {f"{RC}RequiredField", f"{RC}FieldAnnotation"}
    for tag in ("FormDef", "ItemGroupDef", "ItemGroupRef", "ItemRef", "ItemDef", "CodeList", "CodeListItem", "RangeCheck",
                f"{RC}RepeatingInstrument"):
        full = tag if tag.startswith("{") else ODM + tag
        known = {a for r in real.values() for attrs in _attr_names(r, full) for a in attrs}
        real_orders = [attrs for r in real.values() for attrs in _attr_names(r, full)]
        for attrs in _attr_names(ours, full):
            assert set(attrs) <= known | extra, (tag, set(attrs) - known)
            longest = max(real_orders, key=len)
            assert _in_order([a for a in attrs if a in longest], longest), (tag, attrs)


def test_project_xml_references_resolve_and_match_the_dictionary(project_xml, rows):
    root = _tree(project_xml)
    mdv = root.find(f"{ODM}Study/{ODM}MetaDataVersion")
    groups = {g.get("OID"): g for g in mdv.iter(f"{ODM}ItemGroupDef")}
    items = {i.get("OID"): i for i in mdv.iter(f"{ODM}ItemDef")}
    lists = {c.get("OID") for c in mdv.iter(f"{ODM}CodeList")}
    assert {r.get("ItemGroupOID") for r in mdv.iter(f"{ODM}ItemGroupRef")} == set(groups)
    assert {r.get("ItemOID") for r in mdv.iter(f"{ODM}ItemRef")} == set(items)
    assert {r.get("CodeListOID") for r in mdv.iter(f"{ODM}CodeListRef")} == lists
    # the project's settings: repeating instruments and missing-data codes
    g = root.find(f"{ODM}Study/{ODM}GlobalVariables")
    repeating = [e.get(f"{RC}RepeatInstrument") for e in g.iter(f"{RC}RepeatingInstrument")]
    assert repeating == [f.name for f in FORMS if f.repeating]
    assert g.find(f"{RC}MissingDataCodes").text.splitlines() == [f"{c}, {lab}" for c, lab in L.declared_missing("survey_responses").items()]
    assert g.find(f"{RC}RecordAutonumberingEnabled").text == "0"  # record ids are the study's identifiers


def _dictionary_from_xml(path) -> list[dict]:
    """The data dictionary REDCap builds from a project XML: fields in ItemGroupDef/ItemRef order, the first
    ItemDef of each variable, choices from its CodeList (CheckboxChoices for checkboxes), min/max from
    RangeCheck, required from RequiredField or Mandatory; dropdown is 'select' and notes 'textarea' in XML."""
    root = _tree(path)
    mdv = root.find(f"{ODM}Study/{ODM}MetaDataVersion")
    form_of = {ref.get("ItemGroupOID"): fd.get(f"{RC}FormName") for fd in mdv.iter(f"{ODM}FormDef")
               for ref in fd.iter(f"{ODM}ItemGroupRef")}
    first = {}
    for item in mdv.iter(f"{ODM}ItemDef"):
        first.setdefault(item.get(f"{RC}Variable"), item)
    lists = {c.get("OID"): c for c in mdv.iter(f"{ODM}CodeList")}
    out, seen = [], set()
    for group in mdv.iter(f"{ODM}ItemGroupDef"):
        form = form_of[group.get("OID")]
        for ref in group.iter(f"{ODM}ItemRef"):
            var = ref.get(f"{RC}Variable")
            if var in seen or var == f"{form}_complete":
                continue
            seen.add(var)
            item = first[var]
            ftype = {"select": "dropdown", "textarea": "notes"}.get(item.get(f"{RC}FieldType"), item.get(f"{RC}FieldType"))
            cl_ref = item.find(f"{ODM}CodeListRef")
            choices = ""
            if cl_ref is not None and ftype not in ("yesno", "truefalse"):
                cl = lists[cl_ref.get("CodeListOID")]
                choices = cl.get(f"{RC}CheckboxChoices") or " | ".join(
                    f"{i.get('CodedValue')}, {i.find(f'{ODM}Decode/{ODM}TranslatedText').text}" for i in cl)
            rc = {c.get("Comparator"): c.find(f"{ODM}CheckValue").text for c in item.iter(f"{ODM}RangeCheck")}
            val = item.get(f"{RC}TextValidationType") or ""
            out.append({"Variable / Field Name": var, "Form Name": form, "Section Header": item.get(f"{RC}SectionHeader") or "",
                        "Field Type": ftype, "Field Label": item.find(f"{ODM}Question/{ODM}TranslatedText").text,
                        "Choices, Calculations, OR Slider Labels": choices, "Field Note": item.get(f"{RC}FieldNote") or "",
                        "Text Validation Type OR Show Slider Number": {"int": "integer", "float": "number"}.get(val, val),
                        "Text Validation Min": rc.get("GE", ""), "Text Validation Max": rc.get("LE", ""),
                        "Identifier?": item.get(f"{RC}Identifier") or "",
                        "Branching Logic (Show field only if...)": item.get(f"{RC}BranchingLogic") or "",
                        "Required Field?": item.get(f"{RC}RequiredField") or ("y" if ref.get("Mandatory") == "Yes" else ""),
                        "Custom Alignment": item.get(f"{RC}CustomAlignment") or "",
                        "Question Number (surveys only)": item.get(f"{RC}QuestionNumber") or "",
                        "Matrix Group Name": item.get(f"{RC}MatrixGroupName") or "", "Matrix Ranking?": "",
                        "Field Annotation": item.get(f"{RC}FieldAnnotation") or ""})
    return out


def test_the_project_xml_holds_exactly_the_data_dictionary(project_xml, rows):
    """Read the way REDCap reads a project XML, the file gives back the data dictionary, row for row."""
    assert _dictionary_from_xml(project_xml) == rows


def _export_columns_from_xml(path) -> list[str]:
    """The raw export header of a project created from the XML: record id, repeat columns, every ItemRef in
    order (form status included), and, the project having missing-data codes, a checkbox's code columns."""
    root = _tree(path)
    mdv = root.find(f"{ODM}Study/{ODM}MetaDataVersion")
    record = mdv.get(f"{RC}RecordIdField")
    codes = [line.split(",")[0] for line in root.find(f".//{RC}MissingDataCodes").text.splitlines()]
    cols = [record, "redcap_repeat_instrument", "redcap_repeat_instance"]
    items = [ref.get("ItemOID") for ref in mdv.iter(f"{ODM}ItemRef")]
    checkbox = {i.get("OID"): i.get(f"{RC}Variable") for i in mdv.iter(f"{ODM}ItemDef") if i.get(f"{RC}FieldType") == "checkbox"}
    for k, item in enumerate(items):
        if item == record:
            continue
        cols.append(item)
        var = checkbox.get(item)
        if var and (k + 1 == len(items) or checkbox.get(items[k + 1]) != var):
            cols += [f"{var}___{c.replace('-', '_')}" for c in codes]
    return cols


def test_records_shaped_as_the_xml_project_exports_them_import(project_xml, tables, repo, tmp_path):
    cols = _export_columns_from_xml(project_xml)
    text = records(tables, missing_codes=True, unchecked="", unfilled="")
    data = list(csv.DictReader(io.StringIO(text)))
    assert list(data[0]) == cols  # the writer's columns are the project's
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(data)
    (tmp_path / "export.csv").write_text(buf.getvalue())
    result = import_export(tmp_path / "export.csv", tmp_path / "pkg", reference=repo)
    assert result.report.codes() == set(), [f.message for f in result.report.findings[:3]]
    for n in SURVEY:
        assert (tmp_path / "pkg" / "data" / f"{n}.csv").read_bytes() == (repo / "data" / f"{n}.csv").read_bytes(), n


def test_project_xml_is_the_same_bytes_every_time(project_xml, tmp_path):
    r = runner.invoke(app, ["redcap", "project", "--out", str(tmp_path / "again.xml")])
    assert r.exit_code == 0 and (tmp_path / "again.xml").read_bytes() == project_xml.read_bytes()


def test_the_output_never_replaces_the_reference_package(tmp_path, tables):
    import shutil

    pkg = tmp_path / "pkg"
    shutil.copytree(SUITE / "valid", pkg)
    (tmp_path / "export.csv").write_text(records({n: read_text(pkg / "data" / f"{n}.csv") for n in SURVEY}))
    before = snapshot(tmp_path)
    r = runner.invoke(app, ["redcap", "import", str(tmp_path / "export.csv"), "--out", str(pkg), "--package", str(pkg),
                            "--force"])
    assert r.exit_code == 2 and "never writes over" in " ".join(r.output.split())
    assert snapshot(tmp_path) == before


# -- files that are not the records export, and exports re-saved by Excel ----------------------------

@real_projects
@pytest.mark.parametrize("project", ["checkboxes-1", "longitudinal", "survey"])
@pytest.mark.parametrize("kind, said", [("dictionary.csv", "a REDCap data dictionary"),
                                        ("project.xml", "a REDCap project XML file (CDISC ODM")])
def test_a_dictionary_or_project_xml_is_named_for_what_it_is(project, kind, said, tmp_path):
    r = runner.invoke(app, ["redcap", "import", str(REAL / project / kind), "--out", str(tmp_path / "pkg"), "--format", "json"])
    assert r.exit_code == 2, r.output
    report = json.loads(r.stdout)
    assert [f["code"] for f in report["findings"]] == ["REDCAP_NOT_AN_EXPORT"]
    message = report["findings"][0]["message"]
    assert said in message and ("Data Dictionary > Upload" in message or "Upload a REDCap project XML file" in message)
    assert "Data Exports" in report["findings"][0]["action"]  # and where the records export is made
    assert report["inputs"][0]["path"] == kind  # the file it read, counted in the verdict
    assert not (tmp_path / "pkg").exists()


def test_a_european_excel_resave_is_read_once_as_such(tmp_path, repo):
    """Semicolons, decimal commas and CR LF in Windows-1252, as Excel's CSV writes them in Europe: the same
    package as the export REDCap wrote, and one warning naming the three signs, not a CELL_TYPE per number."""
    from .redcap_fixtures import european_excel, excel_csv, raw_export, write

    rows = raw_export()
    (tmp_path / "raw.csv").write_text(write(rows))
    rows[0].append("remarque")  # a column the site added, with the accents only Windows-1252 shows
    rows[1:] = [r + ["réévaluation à revoir"] for r in rows[1:]]
    (tmp_path / "excel.csv").write_bytes(excel_csv(european_excel(rows)))
    assert b"4,5" in (tmp_path / "excel.csv").read_bytes() and b"\xe9" in (tmp_path / "excel.csv").read_bytes()
    plain = import_export(tmp_path / "raw.csv", tmp_path / "plain", reference=SUITE / "valid")
    excel = import_export(tmp_path / "excel.csv", tmp_path / "excel", reference=SUITE / "valid")
    assert plain.report.codes() == set() and excel.exit_code == 0
    assert excel.report.codes() == {"REDCAP_EXCEL_LOCALE", "REDCAP_COLUMN_UNKNOWN"}
    (finding,) = [f for f in excel.report.findings if f.code == "REDCAP_EXCEL_LOCALE"]
    assert finding.message == ("The REDCap export was saved again by a spreadsheet program: semicolons between cells; "
                               "2 decimal commas in 1 number column ('parent_pc_transitions'; such as "
                               "parent_pc_transitions '4,5'); Windows-1252 ('ANSI') text instead of UTF-8. It was read "
                               "that way (decimal commas as decimal points).")
    for name in standard.resource_names("survey"):
        assert (tmp_path / "excel/data" / f"{name}.csv").read_bytes() == (tmp_path / "plain/data" / f"{name}.csv").read_bytes()


def test_decimal_commas_in_a_file_with_decimal_points_are_not_guessed(tmp_path):
    from .redcap_fixtures import excel_csv, raw_export

    rows = raw_export()
    col = rows[0].index("parent_pc_transitions")
    rows[1][col], rows[3][col] = "4,5", "2.5"  # one number each way: which separator is meant cannot be told
    (tmp_path / "mixed.csv").write_bytes(excel_csv(rows))
    result = import_export(tmp_path / "mixed.csv", tmp_path / "pkg", reference=SUITE / "valid")
    assert result.report.codes() == {"REDCAP_DECIMAL_COMMA"} and result.exit_code == 1
    assert "but 1 other number has a decimal point" in result.report.findings[0].message
    assert not (tmp_path / "pkg").exists()


# -- findings name the REDCap record, instrument, instance, field and export row -------------------------

def test_findings_after_an_import_name_the_redcap_record_instance_field_and_export_row(tmp_path):
    from .redcap_fixtures import raw_export, write

    rows = raw_export()
    h = rows[0]
    # the second rcs_p instance of the first parent with two, answered 9 on a 1-4 item
    at = [i for i, r in enumerate(rows) if r[h.index("redcap_repeat_instrument")] == "rcs_p"
          and r[h.index("redcap_repeat_instance")] == "2"][0]
    rows[at][h.index("rcsp_respect")] = "9"
    record = rows[at][0]
    (tmp_path / "export.csv").write_text(write(rows))
    result = import_export(tmp_path / "export.csv", tmp_path / "pkg", reference=SUITE / "valid")
    assert result.exit_code == 1 and (tmp_path / "pkg/provenance.json").is_file()
    r = runner.invoke(app, ["validate", str(tmp_path / "pkg"), "--format", "json"])
    report = json.loads(r.stdout)
    (finding,) = [f for f in report["findings"] if f["resource"] == "survey_responses"]
    assert finding["source"] == [{"tool": "REDCap", "file": "export.csv", "row": at + 1, "record": record,
                                  "instrument": "rcs_p", "instance": 2, "field": "rcsp_respect"}]
    # the same in the text, HTML and Markdown reports
    text = runner.invoke(app, ["validate", str(tmp_path / "pkg")]).stdout
    assert "survey_responses (rows from export.csv)" in text and f"{record} rcs_p #2" in text
    for fmt in ("html", "markdown"):
        out = runner.invoke(app, ["validate", str(tmp_path / "pkg"), "--format", fmt]).stdout
        assert f"REDCap record {record}, rcs_p #2, field rcsp_respect (row {at + 1} of export.csv)" in out
    # a table changed after the import is not annotated with rows it may no longer have
    p = tmp_path / "pkg/data/survey_responses.csv"
    p.write_text(p.read_text() + "\n")
    again = json.loads(runner.invoke(app, ["validate", str(tmp_path / "pkg"), "--format", "json"]).stdout)
    assert all("source" not in f for f in again["findings"])


def test_a_relationship_finding_names_the_side_that_holds_its_field(tmp_path):
    """A relationship is built from an rcs_p and an rcs_c instance: a finding about prior_visits names the rcs_p one."""
    from .redcap_fixtures import raw_export, write

    rows = raw_export()
    h = rows[0]
    at = next(i for i, r in enumerate(rows) if r[h.index("redcap_repeat_instrument")] == "rcs_p")
    rows[at][h.index("rcsp_prior_visits")] = "-3"
    (tmp_path / "export.csv").write_text(write(rows))
    result = import_export(tmp_path / "export.csv", tmp_path / "pkg", reference=SUITE / "valid")
    from pedcomm.validation.report.origin import annotate

    origins = annotate(result.report)
    (f,) = [f for f in result.report.findings if f.resource == "survey_relationships" and f.code == "CELL_RANGE"]
    assert [(o.row, o.instrument, o.field) for o in origins[id(f)]] == [(at + 1, "rcs_p", "rcsp_prior_visits")]
