"""The data dictionary: every resource of datapackage.json and every field of its Table Schema."""

from __future__ import annotations

import json

from .. import standard
from .md import BANNER, code, table

ASSUMPTION = "Assumption (unpublished):"
#: Constraint keys rendered in their own way; any other key is still shown, generically.
_KNOWN_CONSTRAINTS = ("required", "unique", "enum", "minimum", "maximum", "minLength", "maxLength", "pattern")
_KNOWN_KEYS = ("name", "title", "description", "type", "format", "constraints", "example", "enumLabels", "responseLabels")

def field_anchor(resource: str, field: str) -> str:
    return f"{resource}-{field}"

def split_assumption(description: str) -> tuple[str, str | None]:
    """The description before 'Assumption (unpublished):' and the assumption itself."""
    if ASSUMPTION not in description:
        return description, None
    head, tail = description.split(ASSUMPTION, 1)
    return head.strip(), tail.strip()

def _constraints(f: dict) -> list[str]:
    c = f.get("constraints", {})
    out = []
    if "minimum" in c or "maximum" in c:
        out.append(f"range {c.get('minimum', '…')} to {c.get('maximum', '…')} (inclusive)")
    if "minLength" in c or "maxLength" in c:
        out.append(f"length {c.get('minLength', 0)} to {c.get('maxLength', '…')} characters")
    if "pattern" in c:
        out.append(f"pattern {code(c['pattern'])}")
    if c.get("unique"):
        out.append("unique: each value at most once")
    out += [f"{k}: {code(v)}" for k, v in c.items() if k not in _KNOWN_CONSTRAINTS]
    return out

def _labels_table(title: str, codes: list, labels: dict) -> str:
    rows = [[code(str(v)), labels.get(str(v), "")] for v in codes]
    return f"**{title}**\n\n" + table(["Code", "Label"], rows)

def field_block(resource: str, f: dict) -> str:
    name = f["name"]
    text, assumption = split_assumption(f.get("description", ""))
    c = f.get("constraints", {})
    kind = f.get("type", "string") + (f" ({f['format']})" if f.get("format") else "")
    lines = [f"### {code(name)} · {f.get('title', name)} {{#{field_anchor(resource, name)}}}", "", text, ""]
    facts = [f"- **Column:** {code(name)} in {code(resource)}",
             f"- **Type:** {kind}",
             "- **Required:** " + ("yes: may not be blank or a missing-value code" if c.get("required")
                                   else "no: may be blank or a missing-value code")]
    facts += [f"- **Constraint:** {x}" for x in _constraints(f)]
    if "example" in f:
        facts.append(f"- **Example:** {code(f['example'])}")
    facts += [f"- **{k}:** {code(v)}" for k, v in f.items() if k not in _KNOWN_KEYS]
    lines += facts + [""]
    if "enum" in c:
        lines += [_labels_table("Categories", c["enum"], f.get("enumLabels", {})), ""]
    if "responseLabels" in f:
        labels = f["responseLabels"]
        lines += [_labels_table("Response labels", list(labels), labels), ""]
    if assumption:
        lines += ['!!! warning "Assumption (unpublished)"', "", f"    {assumption[:1].upper()}{assumption[1:]}", ""]
    return "\n".join(lines) + "\n"

def _keys(schema: dict) -> list[str]:
    out = []
    if schema.get("primaryKey"):
        pk = schema["primaryKey"]
        pk = [pk] if isinstance(pk, str) else pk
        out.append(f"- **Primary key:** {', '.join(code(k) for k in pk)} (each combination at most once)")
    for fk in schema.get("foreignKeys", []):
        fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref = fk["reference"]
        rfields = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
        target = ref.get("resource") or "this table"
        link = f"[{code(target)}](#{target})" if ref.get("resource") else target
        out.append(f"- **Foreign key:** {', '.join(code(x) for x in fields)} refers to "
                   f"{', '.join(code(x) for x in rfields)} of {link}")
    if schema.get("fieldsMatch"):
        out.append(f"- **Columns:** fieldsMatch {code(schema['fieldsMatch'])}: " + _FIELDS_MATCH.get(schema["fieldsMatch"], ""))
    return out

#: What Table Schema's fieldsMatch values mean for the columns of a file.
_FIELDS_MATCH = {"subset": "every field of the schema must be a column; extra columns are carried unchecked",
                 "superset": "columns are matched by name and may be left out; no other column is allowed",
                 "equal": "every field of the schema is a column, in any order, and no other",
                 "exact": "every field of the schema is a column, in the schema's order, and no other"}


def _missing(schema: dict) -> str:
    rows = []
    for m in schema.get("missingValues", [""]):
        value, label = (m.get("value", ""), m.get("label", "")) if isinstance(m, dict) else (m, "")
        rows.append([code(value) if value else "(blank)", label])
    return "**Missing-value codes**\n\n" + table(["Value", "Meaning"], rows)

def resource_section(entry: dict) -> str:
    name = entry["name"]
    schema = standard.schema(name)
    lines = [f"## {entry.get('title', name)} {{#{name}}}", "", entry.get("description", ""), "",
             f"- **Resource name:** {code(name)}",
             f"- **File:** {code(entry.get('path', ''))} ({entry.get('format', 'csv')}, {entry.get('encoding', 'utf-8')})",
             f"- **Table Schema:** [{code(f'schemas/{name}.json')}](schemas/{name}.json)"]
    lines += _keys(schema) + ["", _missing(schema), ""]
    rows = []
    for f in schema["fields"]:
        text, assumption = split_assumption(f.get("description", ""))
        req = "yes" if f.get("constraints", {}).get("required") else ""
        rows.append([f"[{code(f['name'])}](#{field_anchor(name, f['name'])})", f.get("title", ""), f.get("type", "string"),
                     req, "assumption" if assumption else ""])
    lines += ["**Fields**", "", table(["Field", "Title", "Type", "Required", "Note"], rows), ""]
    lines += [field_block(name, f) for f in schema["fields"]]
    return "\n".join(lines)

def page() -> str:
    desc = standard.descriptor()
    groups: dict[str, list[dict]] = {}
    for entry in _entries():
        groups.setdefault(standard.study_of(entry["name"]) or "other", []).append(entry)
    out = [BANNER.format(source="datapackage.json and schemas/*.json"),
           "# Data dictionary", "",
           f"Every table (resource) of the pedcomm standard, version {code(desc.get('version', ''))}, and every column "
           "(field) of its Table Schema: type, whether it is required, constraints, categories with their labels, "
           "missing-value codes, keys and an example value. Sites collect exactly these columns; "
           "`pedcomm validate` checks them (see the [check catalogue](checks.md)).", "",
           "Descriptions flagged **Assumption (unpublished)** are choices of this standard where the articles "
           "do not say; they are listed so that a site can see, and change, what it depends on.", "",
           "Blank cells and missing-value codes are kept apart: a blank means *not collected or not entered*, "
           "a code says why a value is missing (refused, don't know, not applicable).", ""]
    for study, entries in groups.items():
        out += [f"**{study.capitalize()} study:** " if study != "other" else "**Other:** ",
                ", ".join(f"[{code(e['name'])}](#{e['name']})" for e in entries), ""]
    for entries in groups.values():
        out += [resource_section(e) for e in entries]
    out.append(crosswalk_section())
    return "\n".join(out)


def crosswalk_section() -> str:
    """The crosswalk format: a Table Schema of the standard that is not a table of a package."""
    from ..standard import crosswalk

    schema = crosswalk.schema()
    name = standard.CROSSWALK_SCHEMA.name
    lines = [f"## {schema['title']} {{#crosswalk}}", "", schema["description"], "",
             "- **Not a table of the package:** a site keeps it beside its export; the import records its SHA-256 "
             "in the package's descriptor (`sources`). How to draft, review and apply one: "
             "[Bring an existing REDCap project](guides/crosswalk.md).",
             f"- **Table Schema:** [{code('schemas/' + name)}](schemas/{name})"]
    lines += _keys(schema) + [""]
    rows = [[f"[{code(f['name'])}](#{field_anchor('crosswalk', f['name'])})", f.get("title", ""), f.get("type", "string")]
            for f in schema["fields"]]
    lines += ["**Columns**", "", table(["Column", "Title", "Type"], rows), ""]
    lines += [field_block("crosswalk", f) for f in schema["fields"]]
    return "\n".join(lines)

def _entries() -> list[dict]:
    """The descriptor entries of every resource of the standard: the shipped descriptor's, then those
    of studies registered beside it (pedcomm.standard.resource_names)."""
    return [standard.resource_entry(n) for n in standard.resource_names()]

def schema_files() -> dict[str, str]:
    """The Table Schemas, served beside the page as plain JSON (schemas/<name>.json)."""
    from ..standard import crosswalk

    out = {f"schemas/{e['name']}.json": json.dumps(standard.schema(e["name"]), indent=2, ensure_ascii=False) + "\n"
           for e in _entries()}
    out[f"schemas/{standard.CROSSWALK_SCHEMA.name}"] = json.dumps(crosswalk.schema(), indent=2, ensure_ascii=False) + "\n"
    return out

def field_names() -> list[tuple[str, str]]:
    return [(e["name"], f["name"]) for e in _entries() for f in standard.schema(e["name"])["fields"]]
