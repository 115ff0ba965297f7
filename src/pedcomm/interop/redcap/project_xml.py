"""The whole REDCap project as one XML file (REDCap's "Create project from XML"), generated from the
same rows as the data dictionary (pedcomm.interop.redcap.dictionary).

A site uploads this one file and gets the forms, fields, choices, validation ranges, required and
identifier flags, the repeating instruments (rcs_p, rcs_c) and the project's missing-data codes
(-7 refused, -8 don't know, -9 not applicable), instead of uploading the data dictionary and then
setting the rest up by hand.

The file is CDISC ODM 1.3.1 with REDCap's extensions, laid out the way REDCap itself writes it
(REDCap's ODM export; compare the real files in ``../shared/redcap/*/project.xml``): the same
namespaces and root attributes; ``GlobalVariables`` with the project settings in REDCap's order;
``MetaDataVersion`` holding every ``FormDef``, then every ``ItemGroupDef`` (one per form section,
and a "Form Status" group for ``{form}_complete``), then every ``ItemDef`` (one per checkbox
choice, ``var___code``), then every ``CodeList``; attributes in REDCap's order; tab indentation.
It has no ``ClinicalData``: it creates an empty project. The same inputs give the same bytes (the
timestamps are fixed).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from ... import standard
from ..._base import __version__
from .. import labels as L
from ..xmltext import xml_safe
from .dictionary import COLUMNS, choice_pairs, dictionary_rows
from .forms import FORMS, RECORD_ID, Form, checkbox_column

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
REDCAP_NS = "https://projectredcap.org"
STUDY = "pedcomm survey study"
#: Fixed, so the same standard gives the same file (REDCap needs a dateTime here).
WHEN = "2021-01-01T00:00:00"
#: The dictionary's field types and validation names as REDCap writes them in project XML.
FIELD_TYPES = {"dropdown": "select", "notes": "textarea"}
VALIDATION = {"integer": "int", "number": "float"}
DATA_TYPES = {"int": "integer", "float": "float", "date_ymd": "date", "datetime_ymd": "datetime",
              "datetime_seconds_ymd": "datetime"}
STATUS = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}
OUT_OF_RANGE = ("The value you provided is outside the suggested range ({lo} - {hi}). This value is admissible, "
                "but you may wish to double check it.")


def _a(value) -> str:
    """An attribute value as REDCap escapes it (quotes, apostrophes and line breaks as entities;
    characters XML cannot hold as visible escapes)."""
    return escape(xml_safe(value), {'"': "&quot;", "'": "&#039;", "\n": "&#10;"})


def _t(value) -> str:
    """Element text: markup escaped as entities (``]]>`` too: never a CDATA section), characters
    XML cannot hold as visible escapes."""
    return escape(xml_safe(value))


def _oid(text: str) -> str:
    return "".join(w.capitalize() for w in "".join(c if c.isalnum() else " " for c in text).split())[:30]


def _field(row: dict, key: str) -> str:
    return row[dict(zip(("name", "form", "section", "type", "label", "choices", "note", "validation", "min", "max",
                         "identifier", "branching", "required", "alignment", "question", "matrix", "ranking",
                         "annotation"), COLUMNS))[key]]


def missing_data_codes() -> str:
    """REDCap's Missing Data Codes setting: one 'code, label' per line."""
    return "\n".join(f"{code}, {label}" for code, label in L.declared_missing("survey_responses").items())


def _items(rows: list[dict]) -> list[tuple[Form, list[tuple[str, list]]]]:
    """Per form, in order: (item group key, [(item name, dictionary row or a status pseudo-row)])."""
    forms = []
    for form in FORMS:
        groups: list[tuple[str, list]] = []
        for r in rows:
            if _field(r, "form") != form.name:
                continue
            names = ([checkbox_column(_field(r, "name"), c) for c, _ in choice_pairs(_field(r, "choices"))]
                     if _field(r, "type") == "checkbox" else [_field(r, "name")])
            if not groups or _field(r, "section"):
                groups.append((f"{form.name}.{names[0]}", []))
            groups[-1][1].extend((n, r) for n in names)
        status = f"{form.name}_complete"
        groups.append((f"{form.name}.{status}", [(status, {"__status__": form.name})]))
        forms.append((form, groups))
    return forms


def _item_def(name: str, row: dict, lines: list[str]) -> str | None:
    """Append the ItemDef of one item; returns the OID of its CodeList, if it has one."""
    if "__status__" in row:
        lines += [f'\t<ItemDef OID="{name}" Name="{name}" DataType="text" Length="1" redcap:Variable="{name}" '
                  'redcap:FieldType="select" redcap:SectionHeader="Form Status">',
                  "\t\t<Question><TranslatedText>Complete?</TranslatedText></Question>",
                  f'\t\t<CodeListRef CodeListOID="{name}.choices"/>', "\t</ItemDef>"]
        return f"{name}.choices"
    var, ftype = _field(row, "name"), _field(row, "type")
    xtype = FIELD_TYPES.get(ftype, ftype)
    valid = VALIDATION.get(_field(row, "validation"), _field(row, "validation"))
    codes = [c for c, _ in choice_pairs(_field(row, "choices"))] if _field(row, "choices") else []
    if ftype in ("checkbox", "yesno", "truefalse"):
        dtype, length = "boolean", "1"
    elif ftype in ("radio", "dropdown"):
        dtype, length = "text", str(max(len(c) for c in codes))
    else:
        dtype, length = DATA_TYPES.get(valid, "text"), "999"
    attrs = [f'OID="{name}"', f'Name="{name}"', f'DataType="{dtype}"', f'Length="{length}"']
    if valid == "float":
        attrs.append('SignificantDigits="1"')
    attrs += [f'redcap:Variable="{var}"', f'redcap:FieldType="{xtype}"']
    for key, attr in (("validation", "TextValidationType"), ("note", "FieldNote"), ("section", "SectionHeader")):
        value = valid if key == "validation" else _field(row, key)
        if value:
            attrs.append(f'redcap:{attr}="{_a(value)}"')
    if _field(row, "identifier") == "y":
        attrs.append('redcap:Identifier="y"')
    if _field(row, "required") == "y":
        attrs.append('redcap:RequiredField="y"')
    for key, attr in (("branching", "BranchingLogic"), ("alignment", "CustomAlignment"), ("question", "QuestionNumber"),
                      ("matrix", "MatrixGroupName"), ("annotation", "FieldAnnotation")):
        if _field(row, key):
            attrs.append(f'redcap:{attr}="{_a(_field(row, key))}"')
    lines.append(f"\t<ItemDef {' '.join(attrs)}>")
    lines.append(f"\t\t<Question><TranslatedText>{_t(_field(row, 'label'))}</TranslatedText></Question>")
    code_list = f"{name}.choices" if codes or ftype in ("yesno", "truefalse") else None
    if code_list:
        lines.append(f'\t\t<CodeListRef CodeListOID="{code_list}"/>')
    lo, hi = _field(row, "min"), _field(row, "max")
    if valid and (lo or hi):
        message = _t(OUT_OF_RANGE.format(lo=lo or "no limit", hi=hi or "no limit"))
        for comparator, value in (("GE", lo), ("LE", hi)):
            if value:
                lines += [f'\t\t<RangeCheck Comparator="{comparator}" SoftHard="Soft">',
                          f"\t\t\t<CheckValue>{_t(value)}</CheckValue>",
                          f"\t\t\t<ErrorMessage><TranslatedText>{message}</TranslatedText></ErrorMessage>", "\t\t</RangeCheck>"]
    lines.append("\t</ItemDef>")
    return code_list


def _code_list(oid: str, name: str, row: dict, lines: list[str]) -> None:
    if "__status__" in row:
        var, dtype, extra, items = name, "text", "", list(STATUS.items())
    else:
        var, ftype = _field(row, "name"), _field(row, "type")
        if ftype == "checkbox":
            dtype, items = "boolean", [("1", "Checked"), ("0", "Unchecked")]
            extra = f' redcap:CheckboxChoices="{_a(_field(row, "choices"))}"'
        elif ftype in ("yesno", "truefalse"):
            dtype, extra = "boolean", ""
            items = [("1", "Yes"), ("0", "No")] if ftype == "yesno" else [("1", "True"), ("0", "False")]
        else:
            dtype, extra, items = "text", "", choice_pairs(_field(row, "choices"))
    lines.append(f'\t<CodeList OID="{oid}" Name="{name}" DataType="{dtype}" redcap:Variable="{var}"{extra}>')
    for code, label in items:
        lines.append(f'\t\t<CodeListItem CodedValue="{_a(code)}"><Decode><TranslatedText>{_t(label)}</TranslatedText>'
                     "</Decode></CodeListItem>")
    lines.append("\t</CodeList>")


def project_xml(reference: dict) -> bytes:
    """The project XML of the survey study; ``reference`` holds the text tables survey_items and survey_sites."""
    rows = dictionary_rows(reference)
    oid = "Project." + _oid(STUDY)
    description = (f"The REDCap project of the pedcomm survey study, generated by {standard.signature()} from the "
                   "standard's Table Schemas. Records export as `pedcomm redcap import` reads them.")
    out = ['<?xml version="1.0" encoding="UTF-8" ?>',
           f'<ODM xmlns="{ODM_NS}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
           f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:redcap="{REDCAP_NS}" '
           'xsi:schemaLocation="http://www.cdisc.org/ns/odm/v1.3 schema/odm/ODM1-3-1.xsd" ODMVersion="1.3.1" '
           f'FileOID="000-00-0000" FileType="Snapshot" Description="{_a(STUDY)}" AsOfDateTime="{WHEN}" '
           f'CreationDateTime="{WHEN}" SourceSystem="pedcomm" SourceSystemVersion="{_a(__version__)}">',
           f'<Study OID="{oid}">', "<GlobalVariables>",
           f"\t<StudyName>{_t(STUDY)}</StudyName>", f"\t<StudyDescription>{_t(description)}</StudyDescription>",
           f"\t<ProtocolName>{_t(STUDY)}</ProtocolName>"]
    settings = [("RecordAutonumberingEnabled", "0"), ("CustomRecordLabel", ""), ("SecondaryUniqueField", ""),
                ("SecondaryUniqueFieldDisplayValue", "1"), ("SecondaryUniqueFieldDisplayLabel", "1"),
                ("SchedulingEnabled", "0"), ("SurveysEnabled", "0"), ("SurveyInvitationEmailField", ""),
                ("RandomizationEnabled", "0"), ("DisplayTodayNowButton", "1"), ("PreventBranchingEraseValues", "0"),
                ("RequireChangeReason", "0"), ("DataHistoryPopup", "1"), ("OrderRecordsByField", ""),
                ("taskCompleteStatus", "0"), ("MyCapEnabled", "0"), ("Purpose", "2"), ("PurposeOther", ""),
                ("ProjectNotes", f"Created from the project XML written by {standard.signature()}."),
                ("MissingDataCodes", missing_data_codes()), ("ProtectedEmailMode", "0"),
                ("ProtectedEmailModeCustomText", ""), ("ProtectedEmailModeTrigger", "ALL"), ("ProtectedEmailModeLogo", "")]
    out += [f"\t<redcap:{tag}>{_t(value)}</redcap:{tag}>" for tag, value in settings]
    out += ["\t<redcap:RepeatingInstrumentsAndEvents>", "\t\t<redcap:RepeatingInstruments>"]
    for form in FORMS:
        if form.repeating:
            label = f"[{form.parts[0].variable('relationship_id')}]"
            out.append(f'\t\t\t<redcap:RepeatingInstrument redcap:UniqueEventName="event_1_arm_1" '
                       f'redcap:RepeatInstrument="{form.name}" redcap:CustomLabel="{_a(label)}"/>')
    out += ["\t\t</redcap:RepeatingInstruments>", "\t</redcap:RepeatingInstrumentsAndEvents>", "</GlobalVariables>",
            f'<MetaDataVersion OID="Metadata.{_oid(STUDY)}_{WHEN[:10]}_0000" Name="{_a(STUDY)}" '
            f'redcap:RecordIdField="{RECORD_ID}">']
    forms = _items(rows)
    for form, groups in forms:
        out.append(f'\t<FormDef OID="Form.{form.name}" Name="{_a(form.label or form.name)}" Repeating="No" '
                   f'redcap:FormName="{form.name}">')
        out += [f'\t\t<ItemGroupRef ItemGroupOID="{key}" Mandatory="No"/>' for key, _ in groups]
        out.append("\t</FormDef>")
    item_defs: list[str] = []
    code_lists: list[str] = []
    for form, groups in forms:
        for key, items in groups:
            first = items[0][1]
            name = "Form Status" if "__status__" in first else (_field(first, "section") or form.label or form.name)
            out.append(f'\t<ItemGroupDef OID="{key}" Name="{_a(name)}" Repeating="No">')
            for item, row in items:
                mandatory = "Yes" if "__status__" not in row and _field(row, "required") == "y" else "No"
                var = item if "__status__" in row else _field(row, "name")
                out.append(f'\t\t<ItemRef ItemOID="{item}" Mandatory="{mandatory}" redcap:Variable="{var}"/>')
                code_list = _item_def(item, row, item_defs)
                if code_list:
                    _code_list(code_list, item, row, code_lists)
            out.append("\t</ItemGroupDef>")
    out += item_defs + code_lists + ["</MetaDataVersion>", "</Study>", "</ODM>", ""]
    return "\n".join(out).encode("utf-8")
