"""Read a REFI-QDA project (NVivo, ATLAS.ti, MAXQDA, QualCoder) into themes, codes and segments.

Strict about safety (qda_safety.py: nothing is extracted, hostile archives and XML are refused
before anything is written), lenient about the ways real exports deviate from the standard, with
a QDA_DEVIATION warning for each: the inner document named ``<project>.qde``, GUIDs regenerated
on export, zero-length selections, no ``Sources/`` folder, a missing or foreign namespace.

Sources map to discussions by ``--discussions MAP.csv`` (columns ``source,discussion_id``;
``source`` is a source's name or GUID), or by their names when those are discussion ids (as in
the projects ``pedcomm qda export`` writes). The package written holds the three tables, or,
with ``reference``, that package with its codebook and segments replaced.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import __version__, standard
from ..registry import check
from ..report import Report
from .labels import shown
from .qda_codebook import (CODEBOOK_NS, ID, PROJECT_NS, SOURCE, Codebook, child, children, local, norm_guid,
                           read_codebook)
from .qda_project import read_selection
from ..files import inputs as files_in
from ..files.inputs import InputRefused
from .qda_safety import MAX_XML, Unsafe, check_archive, parse_xml, read_entry

TABLES = ("coding_themes", "coding_codes", "coding_segments")
MEDIA_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")


@dataclass
class Imported:
    report: Report
    validated: object | None = None
    tables: dict | None = None

    @property
    def exit_code(self) -> int:
        return self.report.exit_code


def read_map(path: Path | None) -> dict[str, str] | None:
    """source (name or GUID, compared case-insensitively) -> discussion_id."""
    if path is None:
        return None
    try:
        text = files_in.read(path, "map").decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise Unsafe("QDA_UNREADABLE", f"the discussions map {shown(Path(path).name)} cannot be read ({type(e).__name__})")
    if not rows or not {"source", "discussion_id"} <= set(rows[0]):
        raise Unsafe("QDA_UNREADABLE", f"the discussions map {shown(Path(path).name)} needs the columns source and discussion_id")
    return {(r.get("source") or "").strip().strip("{}").casefold(): (r.get("discussion_id") or "").strip() for r in rows}


class Project:
    """The parsed document and a way to read its source texts."""

    def __init__(self, root, texts: dict[str, bytes] | None, report: Report):
        self.root, self.texts, self.report = root, texts, report


def load(path: Path, report: Report) -> Project:
    """Open a .qdpx archive (or a bare .qde/.qdc document); raises Unsafe, or InputRefused for a
    path that is not a regular file or is too large (pedcomm.files.inputs)."""
    try:
        size = files_in.check(path, "qda").st_size
    except OSError:
        raise Unsafe("QDA_UNREADABLE", f"{shown(path.name)} does not exist or cannot be opened") from None
    if not zipfile.is_zipfile(path):
        if size > MAX_XML:
            raise Unsafe("QDA_UNSAFE_ARCHIVE", f"{shown(path.name)} is larger than {MAX_XML >> 20} MiB")
        head = files_in.read(path, "qda")
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            raise Unsafe("QDA_UNREADABLE", f"{shown(path.name)} is neither a .qdpx (zip) archive nor a QDA-XML document")
        return Project(parse_xml(head, path.name), None, report)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise Unsafe("QDA_UNREADABLE", f"{shown(path.name)} is a damaged zip archive ({e})") from None
    with zf:
        infos = check_archive(zf)
        qde = [i for i in infos if not i.is_dir() and i.filename.lower().endswith(".qde") and "/" not in i.filename.strip("/")]
        if not qde:
            raise Unsafe("QDA_UNREADABLE", f"{shown(path.name)} holds no .qde project document")
        main = next((i for i in qde if i.filename == "project.qde"), qde[0])
        if main.filename != "project.qde":
            report.add("QDA_DEVIATION", resource=SOURCE, field="project.qde",
                       detail=f"the project document is named '{shown(main.filename, 80)}' instead of project.qde")
        try:
            root = parse_xml(read_entry(zf, main), main.filename)
            texts = {i.filename: read_entry(zf, i) for i in infos
                     if not i.is_dir() and i.filename.lower().endswith(".txt")}
        except (zipfile.BadZipFile, OSError, EOFError) as e:  # damaged data, CRC errors
            raise Unsafe("QDA_UNREADABLE", f"{shown(path.name)} is a damaged zip archive ({e})") from None
    return Project(root, texts, report)


def _source_text(src, project: Project) -> tuple[str | None, str]:
    """The plain text of a TextSource and where it came from."""
    content = child(src, "PlainTextContent")
    if content is not None and content.text is not None:
        return content.text, "inline"
    ref = (src.get("plainTextPath") or "").strip()
    if not ref.startswith("internal://") or project.texts is None:
        return None, "its text is not in the project (plainTextPath '" + shown(ref) + "')"
    name = ref.removeprefix("internal://")
    lower = {k.lower(): k for k in project.texts}
    for candidate in (f"Sources/{name}", name):
        key = lower.get(candidate.lower())
        if key is not None:
            try:
                return project.texts[key].decode("utf-8-sig"), key
            except UnicodeDecodeError:
                return None, f"its text file {shown(key)} is not UTF-8"
    return None, f"its text file Sources/{shown(name)} is not in the archive"


def read_users(root, report: Report) -> dict[str, str]:
    """User GUID -> coder id (the User's id or name when it is an identifier, else coder1, coder2 ...)."""
    out, assigned = {}, 0
    users = child(root, "Users")
    for i, u in enumerate(children(users, "User") if users is not None else [], start=1):
        for cand in (u.get("id"), u.get("name")):
            if cand and ID.fullmatch(cand.strip()):
                out[norm_guid(u.get("guid"))] = cand.strip()
                break
        else:
            out[norm_guid(u.get("guid"))] = f"coder{i}"
            assigned += 1
    if assigned:
        report.add("QDA_ID_ASSIGNED", resource=SOURCE, field="Users", detail=f"{assigned} coders (users whose name is not an identifier)")
    return out


def read_segments(project: Project, cb: Codebook, mapping: dict[str, str] | None, report: Report) -> list[dict]:
    root = project.root
    sources = child(root, "Sources")
    if sources is None:
        report.add("QDA_DEVIATION", resource=SOURCE, field="Sources",
                   detail="the project has no sources (no Sources/ folder): only the codebook was imported")
        return []
    users = read_users(root, report)
    segments, used_ids = [], set()
    zero = skipped_media = whole = no_coder = assigned = 0
    for kind in MEDIA_SOURCES:
        skipped_media += len(children(sources, kind))
    for src in children(sources, "TextSource"):
        name = (src.get("name") or "").strip()
        keys = [name.casefold(), norm_guid(src.get("guid"))]
        if mapping is not None:
            discussion = next((mapping[k] for k in keys if k in mapping), None)
        else:
            discussion = name if ID.fullmatch(name) else None
        selections = children(src, "PlainTextSelection")
        whole += len(children(src, "Coding"))
        if not selections:
            continue
        if discussion is None:
            report.add("QDA_SOURCE_UNMAPPED", resource=SOURCE, field="TextSource", value=shown(name) if name else shown(src.get("guid")),
                       detail=len(selections))
            continue
        text, origin = _source_text(src, project)
        for sel in selections:
            label = _selection_label(sel)
            if text is None:
                report.add("QDA_SELECTION_UNREADABLE", resource=SOURCE, field="PlainTextSelection", value=label,
                           detail=f"source '{shown(name)}'", hint=origin)
                continue
            try:
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            except (TypeError, ValueError):
                report.add("QDA_SELECTION_UNREADABLE", resource=SOURCE, field="PlainTextSelection", value=label,
                           detail=f"source '{shown(name)}'", hint="its start or end position is not a number")
                continue
            zero += start == end
            got = read_selection(text, start, end)
            if got.problem:
                report.add("QDA_SELECTION_UNREADABLE", resource=SOURCE, field="PlainTextSelection", value=label,
                           detail=f"source '{shown(name)}'", hint=got.problem)
                continue
            codings = children(sel, "Coding")
            for k, coding in enumerate(codings):
                ref = child(coding, "CodeRef")
                target = norm_guid(ref.get("targetGUID") if ref is not None else None)
                code_id = cb.code_of_guid.get(target)
                if code_id is None:
                    why = "it is coded with a theme, not a code" if target in cb.theme_guids else \
                        "it is coded with a code that is not in the codebook"
                    report.add("QDA_SELECTION_UNREADABLE", resource=SOURCE, field="PlainTextSelection", value=label,
                               detail=f"source '{shown(name)}'", hint=why)
                    continue
                user = norm_guid(coding.get("creatingUser") or sel.get("creatingUser"))
                coder = users.get(user, "")
                no_coder += not coder
                seg_id = (sel.get("name") or "").strip()
                if len(codings) > 1 or not ID.fullmatch(seg_id) or seg_id in used_ids:
                    seg_id, assigned = f"QDA{len(segments) + 1:06d}", assigned + 1
                used_ids.add(seg_id)
                segments.append({"segment_id": seg_id, "discussion_id": discussion, "code_id": code_id,
                                 "coder_id": coder, "speaker_role": got.speaker_role,
                                 "start_seconds": got.start_seconds, "end_seconds": got.end_seconds,
                                 "excerpt": got.excerpt})
    for n, what in ((zero, "selections are zero-length (a point, not a span); the times and speaker of their line were used"),
                    (skipped_media, "picture, PDF, audio or video sources were skipped: pedcomm imports coded text"),
                    (whole, "codings apply to a whole source rather than a selection and were skipped"),
                    (no_coder, "codings name no known user, so their coder is blank")):
        if n:
            report.add("QDA_DEVIATION", resource=SOURCE, field="Sources", detail=f"{n} {what}")
    if assigned:
        report.add("QDA_ID_ASSIGNED", resource=SOURCE, field="PlainTextSelection", detail=f"{assigned} segments")
    return segments


def _selection_label(sel) -> str:
    """How a finding names a selection: its name when that is an identifier; otherwise its GUID and
    its name masked (QualCoder names a selection after the text it selects: an excerpt)."""
    from ..masking import mask

    name, guid = (sel.get("name") or "").strip(), (sel.get("guid") or "").strip()
    if ID.fullmatch(name):
        return name
    if name:
        return f"{mask(name)}, GUID {shown(guid, 40)}" if guid else mask(name)
    return shown(guid, 40)


def published_names(reference_text: dict[str, pd.DataFrame]) -> set[str]:
    out = set()
    for name in ("coding_themes", "coding_codes"):
        t = reference_text.get(name)
        if t is not None:
            out |= {n.casefold() for n in t.loc[t["name_source"] == "published", "name"]}
    return out


def shipped_codebook() -> dict[str, pd.DataFrame]:
    """The shipped codebook tables (to recognise published names), or nothing."""
    from .package_io import read_text, shipped_package

    out = {}
    for name in ("coding_themes", "coding_codes"):
        p = shipped_package() / "data" / f"{name}.csv"
        if p.is_file():
            out[name] = read_text(p)
    return out


def frame(name: str, rows: list[dict]) -> pd.DataFrame:
    cols = [f["name"] for f in standard.schema(name)["fields"]]
    return pd.DataFrame([{c: r.get(c, "") for c in cols} for r in rows], columns=cols, dtype=str)


@check("QDA_UNREADABLE", "QDA_UNSAFE_ARCHIVE", "QDA_XML_UNSAFE", "QDA_DEVIATION", "QDA_ID_ASSIGNED",
       "QDA_SELECTION_UNREADABLE", "QDA_SOURCE_UNMAPPED")
def import_project(path: str | Path, out: str | Path, *, discussions: str | Path | None = None,
                   reference: str | Path | None = None, force: bool = False) -> Imported:
    """Convert a QDA project into a package at ``out`` and validate it (nothing is written on QDA_* errors)."""
    from ..files.inputs import package_files
    from ..files.outputs import FOLDER, claim
    from .package_io import shipped_package

    path = Path(path)
    report = Report()
    report.meta = {"tool": "pedcomm", "version": __version__, "schema_version": standard.descriptor()["version"],
                   "package": str(out), "source": str(path)}
    protect = [path, *([discussions] if discussions else []), *package_files(reference or shipped_package())]
    with claim(out, kind=FOLDER, command="qda import", force=force, protect=protect) as dest:
        return _import(path, dest, discussions, reference, report)


def _import(path: Path, dest, discussions, reference, report: Report) -> Imported:
    from ..refusals import input_refused
    from ..validate import validate
    from .package_io import merge, text_tables, write_package

    report.ran("QDA_UNREADABLE", SOURCE, None, 1)
    report.ran("QDA_UNSAFE_ARCHIVE", SOURCE, None, 1)
    report.ran("QDA_XML_UNSAFE", SOURCE, None, 1)
    try:
        mapping = read_map(Path(discussions) if discussions else None)
        project = load(path, report)
    except Unsafe as e:
        report.add(e.code, resource=SOURCE, detail=e.detail)
        return Imported(report)
    except InputRefused as e:
        input_refused(report, e, resource=SOURCE, path=shown(e.path.name, 120))
        return Imported(report)
    root = project.root
    kind = local(root)
    if kind not in ("Project", "CodeBook"):
        report.add("QDA_UNREADABLE", resource=SOURCE, detail=f"its root element is <{shown(kind, 40)}>, not <Project> or <CodeBook>")
        return Imported(report)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if ns != (PROJECT_NS if kind == "Project" else CODEBOOK_NS):
        report.add("QDA_DEVIATION", resource=SOURCE, field=kind,
                   detail=f"the document's namespace is '{shown(ns) if ns else 'none'}' instead of the REFI-QDA one")
    ref = validate(reference) if reference else None
    ref_text = text_tables(ref) if ref is not None else {}
    ref_names = ref_text or shipped_codebook()
    book = child(root, "CodeBook") if kind == "Project" else root
    codes_el = child(book, "Codes") if book is not None else None
    if codes_el is None:
        report.add("QDA_DEVIATION", resource=SOURCE, field="CodeBook", detail="the project has no codebook")
        cb = Codebook()
    else:
        cb = read_codebook(codes_el, report, published_names(ref_names))
    segments = read_segments(project, cb, mapping, report) if kind == "Project" else []
    tables = {"coding_themes": frame("coding_themes", cb.themes), "coding_codes": frame("coding_codes", cb.codes),
              "coding_segments": frame("coding_segments", segments)}
    if report.totals()["error"]:
        return Imported(report, tables=tables)
    all_tables = {**{n: t for n, t in ref_text.items() if n not in TABLES}, **tables}
    from ..sites.declaration import site_of

    validated = write_package(all_tables, dest, name=_name(path), site=site_of(ref),
                              title=f"Coding data imported from the QDA project {path.name}",
                              description="Codebook and coded segments converted from a REFI-QDA project by "
                                          "`pedcomm qda import`" + (" into a copy of the reference package." if ref_text else "."))
    validated.report.meta.update(report.meta)
    return Imported(merge(validated.report, report), validated, tables)


def _name(path: Path) -> str:
    import re

    return re.sub(r"[^a-z0-9._-]", "-", path.stem.lower()) or "qda-import"
