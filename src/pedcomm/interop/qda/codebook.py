"""The codebook as REFI-QDA XML: themes as parent codes, codes nested under them.

Writing (.qdc, and the CodeBook of a .qde): every theme is a non-codable parent Code, every code a
codable child; definitions are the Descriptions; GUIDs are uuid5 of the pedcomm identifiers, so
they are the same on every export. The identifiers and the name/definition sources travel in a
last Description line, ``[pedcomm code_id=HC01; name_source=...; definition_source=...]``, which
survives software that regenerates GUIDs (ATLAS.ti does on every export).

Reading is lenient: codes without that line get identifiers derived from their names
(QDA_ID_ASSIGNED), codes nested deeper than one level are attached to their top-level theme and
top-level codes without children are put under one extra theme (QDA_DEVIATION). Codebooks of
several levels often reuse a name under different parents ('Other' under 'Symptoms' and under
'Treatment'): those are different codes, so each takes its parent's name in front of its own
('Symptoms / Other'), as many levels up as it takes to tell them apart (QDA_DEVIATION says so). A
code that carries the same pedcomm line as another is a copy, and keeps its name: the validator
then reports it (CODE_NAME_DUPLICATE).
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Set as AbstractSet

import pandas as pd

from ...validation.report import Report
from ...validation.words import noun, plural
from ..labels import shown

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
#: Namespace of every GUID pedcomm derives (uuid5 of 'theme:<id>', 'code:<id>', 'segment:<id>' ...).
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/pedcomm/pedcomm/refi-qda")
SOURCE = "QDA project"
UNGROUPED = ("ungrouped", "Ungrouped codes")  # theme for top-level codes without a parent
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
_TAG = re.compile(r"\s*\[pedcomm ([^\]\n]*)\]\s*$")


def guid(kind: str, ident: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{ident}"))


def norm_guid(g: str | None) -> str:
    return (g or "").strip().strip("{}").lower()


def local(el) -> str:
    """An element's name without its namespace."""
    return el.tag.rsplit("}", 1)[-1]


def children(el, name: str) -> list:
    return [c for c in el if local(c) == name]


def child(el, name: str):
    found = children(el, name)
    return found[0] if found else None


# -- writing -----------------------------------------------------------------------------------

def describe(text: str, **tag: str) -> str:
    """A Description: the definition, then the pedcomm line."""
    line = "[pedcomm " + "; ".join(f"{k}={v}" for k, v in tag.items() if v) + "]"
    return f"{text}\n\n{line}" if text else line


def code_elements(parent, themes: pd.DataFrame, codes: pd.DataFrame, ns: str) -> None:
    """Append one Code per theme, with its codes nested, to ``parent`` (a <Codes> element)."""
    for t in themes.to_dict("records"):
        theme = ET.SubElement(parent, f"{{{ns}}}Code", guid=guid("theme", t["theme_id"]), name=t["name"],
                              isCodable="false")
        ET.SubElement(theme, f"{{{ns}}}Description").text = describe(
            t["definition"], theme_id=t["theme_id"], name_source=t["name_source"], definition_source=t["definition_source"])
        for c in codes[codes["theme_id"] == t["theme_id"]].to_dict("records"):
            code = ET.SubElement(theme, f"{{{ns}}}Code", guid=guid("code", c["code_id"]), name=c["name"], isCodable="true")
            ET.SubElement(code, f"{{{ns}}}Description").text = describe(
                c["definition"], code_id=c["code_id"], name_source=c["name_source"], definition_source=c["definition_source"])


def to_bytes(root) -> bytes:
    from ..xmltext import clean_tree

    clean_tree(root)  # a control character in a name or a definition would make the file unreadable
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def codebook_qdc(themes: pd.DataFrame, codes: pd.DataFrame, origin: str) -> bytes:
    """A REFI-QDA codebook document (.qdc), valid against REFI-QDA-Codebook-1.0.xsd."""
    ET.register_namespace("", CODEBOOK_NS)
    root = ET.Element(f"{{{CODEBOOK_NS}}}CodeBook", origin=origin)
    code_elements(ET.SubElement(root, f"{{{CODEBOOK_NS}}}Codes"), themes, codes, CODEBOOK_NS)
    return to_bytes(root)


# -- reading -----------------------------------------------------------------------------------

def split_description(el) -> tuple[str, dict[str, str]]:
    """(definition, pedcomm tag values) of a Code element."""
    d = child(el, "Description")
    text = (d.text or "") if d is not None else ""
    m = _TAG.search(text)
    if not m:
        return text.strip(), {}
    tag = dict(p.split("=", 1) for p in (x.strip() for x in m.group(1).split(";")) if "=" in p)
    return text[: m.start()].strip(), tag


def _slug(name: str, taken: set[str], fallback: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]+", "_", name.strip().lower()).strip("_.-")[:40] or fallback
    if not s[0].isalnum():
        s = fallback
    base, i = s, 2
    while s in taken:
        suffix = f"_{i}"
        s, i = base[: 40 - len(suffix)] + suffix, i + 1
    return s


class Codebook:
    """Themes and codes read from a <Codes> element, and the code id of every codable GUID."""

    def __init__(self):
        self.themes: list[dict] = []
        self.codes: list[dict] = []
        self.code_of_guid: dict[str, str] = {}
        self.theme_guids: set[str] = set()


def _norm(name: str) -> str:
    """A code name as the validator compares them (CODE_NAME_DUPLICATE: case and spaces ignored)."""
    return " ".join(name.split()).casefold()


def qualify_names(codes: list[dict], paths: list[tuple[list[str], str]]) -> int:
    """Give codes that share a name, and are not copies of one pedcomm code, their parents' names
    in front ('Symptoms / Other'), as few levels as tell them apart; returns how many were renamed."""
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(codes):
        groups.setdefault(_norm(c["name"]), []).append(i)
    taken = set(groups)
    renamed = 0
    for members in groups.values():
        tags = [paths[i][1] for i in members]
        if len(members) < 2 or (all(tags) and len(set(tags)) == 1):
            continue  # a name of its own, or copies of one pedcomm code (the validator reports those)
        depth = max(len(paths[i][0]) for i in members)
        for k in range(2, depth + 1):
            names = [" / ".join(paths[i][0][-k:]) for i in members]
            if len({_norm(n) for n in names}) == len(names) and not {_norm(n) for n in names} & taken:
                break
        else:
            continue  # the same name under the same parents: nothing tells them apart (the validator reports it)
        for i, name in zip(members, names):
            if name != codes[i]["name"]:
                codes[i]["name"] = name[-200:]  # the schema's maxLength: the code's own name is kept whole
                renamed += 1
        taken |= {_norm(n) for n in names}
    return renamed


def read_codebook(codes_el, report: Report, published: AbstractSet[str] = frozenset()) -> Codebook:
    """Themes and codes of a <Codes> element (see the module docstring for the leniency)."""
    cb = Codebook()
    taken: dict[str, set[str]] = {"theme": set(), "code": set()}
    regenerated = assigned = 0

    def ident(kind: str, el, tag: dict) -> str:
        nonlocal regenerated, assigned
        given = tag.get(f"{kind}_id", "")
        if ID.fullmatch(given) and given not in taken[kind]:
            if norm_guid(el.get("guid")) != guid(kind, given):
                regenerated += 1
        else:
            given = _slug(el.get("name", ""), taken[kind], kind)
            assigned += 1
        taken[kind].add(given)
        return given

    def row(kind: str, el, extra: dict) -> dict:
        definition, tag = split_description(el)
        name = (el.get("name") or "").strip()
        ident_ = ident(kind, el, tag)
        source = tag.get("name_source") or ("published" if name.casefold() in published else "illustrative")
        out = {f"{kind}_id": ident_, **extra, "name": name, "definition": definition, "name_source": source,
               "definition_source": tag.get("definition_source", "")}
        return out

    loose = []
    flattened = 0
    paths: list[tuple[list[str], str]] = []  # per code: its names from the theme down, and its pedcomm code_id
    for top in children(codes_el, "Code"):
        kids = children(top, "Code")
        if not kids:
            loose.append(top)
            continue
        theme = row("theme", top, {})
        cb.themes.append(theme)
        cb.theme_guids.add(norm_guid(top.get("guid")))
        stack = [(k, [theme["name"]]) for k in kids]
        while stack:
            el, above = stack.pop(0)
            deeper = children(el, "Code")
            flattened += bool(deeper)
            code = row("code", el, {"theme_id": theme["theme_id"]})
            stack[:0] = [(k, [*above, code["name"]]) for k in deeper]
            cb.codes.append(code)
            paths.append(([*above, code["name"]], split_description(el)[1].get("code_id", "")))
            cb.code_of_guid[norm_guid(el.get("guid"))] = code["code_id"]
    if loose:
        theme_id, name = UNGROUPED
        taken["theme"].add(theme_id)
        cb.themes.append({"theme_id": theme_id, "name": name, "definition": "", "name_source": "illustrative",
                          "definition_source": ""})
        for el in loose:
            code = row("code", el, {"theme_id": theme_id})
            cb.codes.append(code)
            paths.append(([code["name"]], split_description(el)[1].get("code_id", "")))
            cb.code_of_guid[norm_guid(el.get("guid"))] = code["code_id"]
        n = len(loose)
        report.add("QDA_DEVIATION", resource=SOURCE, field="CodeBook",
                   detail=f"{plural(n, 'top-level code')} {noun(n, 'has')} no child codes; pedcomm codes belong to a "
                          f"theme, so {noun(n, 'it was', 'they were')} put under a theme '{name}'")
    if flattened:
        report.add("QDA_DEVIATION", resource=SOURCE, field="CodeBook",
                   detail=f"{plural(flattened, 'code')} {noun(flattened, 'has')} codes nested under "
                          f"{noun(flattened, 'it', 'them')}; pedcomm has two levels (theme, code), so the nested codes "
                          "were attached to their top-level theme")
    qualified = qualify_names(cb.codes, paths)
    if qualified:
        example = next(c["name"] for c in cb.codes if " / " in c["name"])
        report.add("QDA_DEVIATION", resource=SOURCE, field="CodeBook",
                   detail=f"{plural(qualified, 'code')} share their name with another code under a different parent; each now "
                          f"starts with its parent's name (such as '{shown(example, 80)}'), so that every code has its own name")
    if regenerated:
        report.add("QDA_DEVIATION", resource=SOURCE, field="guid",
                   detail=f"the GUIDs of {plural(regenerated, 'code')} differ from the ones pedcomm wrote (the software "
                          "regenerated them); codes were matched by their pedcomm line instead")
    if assigned:
        report.add("QDA_ID_ASSIGNED", resource=SOURCE, field="CodeBook",
                   detail=plural(assigned, "theme or code", "themes and codes"))
    return cb
