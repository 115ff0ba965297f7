"""Read a REFI-QDA project (NVivo, ATLAS.ti, MAXQDA, QualCoder) into themes, codes and segments.

Strict about safety (safety.py: nothing is extracted, hostile archives and XML are refused
before anything is written), lenient about the ways real exports deviate from the standard, with
a QDA_DEVIATION warning for each: the inner document named ``<project>.qde``, GUIDs regenerated
on export, zero-length selections, no ``Sources/`` folder, a missing or foreign namespace.

The steps, each in its own module: the coded selections and what their sources say about time and
speaker (selections.py, with transcripts.py and positions.py), the people behind them
(people.py: ``--coders`` and ``--speakers``), and the merge into the site's package, which
replaces only the discussions the project codes (merge.py). Sources map to discussions by
``--discussions MAP.csv`` (columns ``source,discussion_id``; ``source`` is a source's name or
GUID), or by their names when those are discussion ids (as in the projects ``pedcomm qda export``
writes). Coded segments need the package (``reference``); a codebook on its own becomes a package
of themes and codes. Excerpts are copied only with ``excerpts`` (and then screened by the
validator's identifier screen); values shown in messages go through display.py.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ... import standard
from ...files import inputs as files_in
from ...files.inputs import InputRefused
from ...validation.registry import check
from ...validation.report import Report
from ...validation.words import plural
from ..display import plain, private
from ..labels import shown
from . import transcripts as T
from .codebook import CODEBOOK_NS, ID, PROJECT_NS, SOURCE, Codebook, child, children, local, norm_guid, read_codebook
from .merge import assign_ids, merge
from .people import NO_USER, Users, coder_map, speaker_roles
from .people import read_map as read_two_columns
from .project import NO_EXCERPT
from .safety import MAX_XML, Unsafe, check_archive, parse_xml, read_entry
from .selections import Selections

TABLES = ("coding_themes", "coding_codes", "coding_segments")
#: The declared missing value of a time the coded source does not give (schemas/coding_segments.json).
NOT_DERIVABLE = next(code for code, label in standard.missing_codes("coding_segments").items()
                     if label.startswith("not derivable"))


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
    return read_two_columns(path, ("source", "discussion_id"), "discussions", norm=lambda k: k.strip("{}"))


class Project:
    """The parsed document and a way to read its source texts."""

    def __init__(self, root, texts: dict[str, bytes] | None, report: Report):
        self.root, self.texts, self.report = root, texts, report


def load(path: Path, report: Report) -> Project:
    """Open a .qdpx archive (or a bare .qde/.qdc document); raises Unsafe, or InputRefused for a
    path that is not a regular file or is too large (pedcomm.files.inputs)."""
    from ...files.markers import sha256_file

    try:
        size = files_in.check(path, "qda").st_size
        report.add_input(path.name, size, sha256_file(path))  # the report names the file it read
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
            named = {ref.replace("\\", "/").rsplit("/", 1)[-1].lower()
                     for el in root.iter() if (ref := el.get("plainTextPath"))}  # text files without .txt
            texts = {i.filename: read_entry(zf, i) for i in infos if not i.is_dir()
                     and (i.filename.lower().endswith(".txt") or i.filename.rsplit("/", 1)[-1].lower() in named)}
        except (zipfile.BadZipFile, OSError, EOFError) as e:  # damaged data, CRC errors
            raise Unsafe("QDA_UNREADABLE", f"{shown(path.name)} is a damaged zip archive ({e})") from None
    return Project(root, texts, report)


def count_coded(root) -> int:
    """How many coded selections (of any kind) the project holds."""
    sources = child(root, "Sources")
    if sources is None:
        return 0
    kinds = ("PlainTextSelection", "AudioSelection", "VideoSelection", "TranscriptSelection")
    return sum(1 for el in sources.iter() if local(el) in kinds and children(el, "Coding"))


def _discussion_finder(mapping: dict[str, str] | None, report: Report, reveal: bool):
    def discussion_of(src, n_selections: int) -> str | None:
        name = (src.get("name") or "").strip()
        keys = [name.casefold(), norm_guid(src.get("guid"))]
        if mapping is not None:
            found = next((mapping[k] for k in keys if k in mapping), None)
        else:
            found = name if ID.fullmatch(name) else None
        if found is None:
            report.add("QDA_SOURCE_UNMAPPED", resource=SOURCE, field=local(src),
                       value=norm_guid(src.get("guid")), hint=f"named {private(name, reveal)}",
                       detail=plural(n_selections, "coded selection"))
        return found
    return discussion_of


def build_segments(found, cb: Codebook, users: Users, roles: dict[str, str], report: Report,
                   reveal: bool) -> list[dict]:
    """Segment rows (text values) of the coded selections; problems are reported once per kind."""
    rows = []
    unknown_labels: dict[str, int] = {}
    spelled: dict[str, str] = {}  # a label casefolded -> its first spelling
    unlabelled: dict[str, int] = {}
    for c in found.coded:
        code_id = cb.code_of_guid.get(c.code_guid)
        if code_id is None:
            why = "it is coded with a theme, not a code" if c.code_guid in cb.theme_guids else \
                "it is coded with a code that is not in the codebook"
            report.add("QDA_SELECTION_UNREADABLE", resource=SOURCE, field="Coding", value=plain(c.selection or "(no GUID)"),
                       detail=f"discussion {plain(c.discussion)}", hint=why)
            continue
        coder = users.coder(c.user)
        if c.speaker is None:
            role = roles.get(NO_USER)
            if role is None:
                unlabelled[c.kind] = unlabelled.get(c.kind, 0) + 1
        else:
            label = " ".join(c.speaker.split())
            role = roles.get(label.casefold())
            if role is None:  # one entry per label as the map compares them (case and spaces aside)
                label = spelled.setdefault(label.casefold(), label)
                unknown_labels[label] = unknown_labels.get(label, 0) + 1
        rows.append({"segment_id": c.segment_id, "discussion_id": c.discussion, "code_id": code_id,
                     "coder_id": coder or "", "speaker_role": role or "",
                     "start_seconds": T.time_text(c.start) or NOT_DERIVABLE,
                     "end_seconds": T.time_text(c.end) or NOT_DERIVABLE,
                     "excerpt": "" if c.excerpt == NO_EXCERPT else c.excerpt})
    report_unmapped(report, found, unknown_labels, unlabelled, users, reveal)
    return rows


#: What selections without a speaker label are, by kind of selection.
UNLABELLED = {"text": ("coded selection lies", "coded selections lie", "in transcript text without a speaker label"),
              "audio": ("audio selection has", "audio selections have", "no transcript to read a speaker from"),
              "video": ("video selection has", "video selections have", "no transcript to read a speaker from"),
              "transcript": ("transcript selection lies", "transcript selections lie", "in text without a speaker label")}


def report_unmapped(report: Report, found, labels: dict[str, int], unlabelled: dict[str, int], users: Users,
                    reveal: bool) -> None:
    """One finding per speaker label and per user that is not mapped, with how many selections or codings
    each stands for: every one is listed (its name masked unless --show-values), so the maps can be
    completed in one go (`pedcomm qda maps` writes them as drafts)."""
    report.ran("QDA_SPEAKER_UNMAPPED", SOURCE, None, len(found.coded))
    report.ran("QDA_CODER_UNMAPPED", SOURCE, None, len(found.coded))
    if reveal:  # asked to see them: every label and user, not the first hundred
        report.max_listed = max(report.max_listed, len(labels) + len(unlabelled), len(users.unmapped))
    for label in sorted(labels, key=lambda k: (-labels[k], k)):
        report.add("QDA_SPEAKER_UNMAPPED", resource=SOURCE, field="speaker_role", value=label, sensitive=True,
                   detail=f"the label '{private(label, reveal)}' of {plural(labels[label], 'coded selection')} is "
                          "not mapped to a role")
    for kind, n in sorted(unlabelled.items()):
        one, many, what = UNLABELLED[kind]
        report.add("QDA_SPEAKER_UNMAPPED", resource=SOURCE, field="speaker_role",
                   detail=f"{n} {one if n == 1 else many} {what}, and the speakers map has no row with an empty label")
    for g in sorted((g for g in users.unmapped if g), key=lambda g: (-users.unmapped[g], g)):
        report.add("QDA_CODER_UNMAPPED", resource=SOURCE, field="coder_id", value=g,
                   detail=f"the user {g} ({private(users.names.get(g) or 'not in Users', reveal)}) made "
                          f"{plural(users.unmapped[g], 'coding')} and is not mapped to a coder id")
    if "" in users.unmapped:
        report.add("QDA_CODER_UNMAPPED", resource=SOURCE, field="coder_id",
                   detail=f"{plural(users.unmapped[''], 'coding')} {'names' if users.unmapped[''] == 1 else 'name'} no user, "
                          "and the coders map has no row with an empty user")
    for coder in sorted(users.unknown_ids):
        report.add("QDA_CODER_UNMAPPED", resource=SOURCE, field="coder_id", value=coder,
                   detail=f"the coder id '{plain(coder)}' of {plural(users.unknown_ids[coder], 'coding')} is not in the "
                          "package's coding_coders")


def _summaries(found, rows: list[dict], report: Report) -> None:
    """One finding per deviation, how positions were counted, and how times were read."""
    for (one, many), n in found.counts.items():
        if n:
            report.add("QDA_DEVIATION", resource=SOURCE, field="Sources", detail=f"{n} {one if n == 1 else many}")
    if found.spanning:
        report.add("QDA_DEVIATION", resource=SOURCE, field="Sources",
                   detail=f"{found.spanning} text selections cover the turns of several speakers; each segment has the "
                          "speaker of the turn it starts in")
    choice = found.choice
    if choice is not None and choice.how != "irrelevant":
        how = {"option": "as given by --line-breaks/--char-units",
               "detected": f"detected from the {choice.total} selections in such texts: under it {choice.valid} are "
                           "spans of their text and most fall on word boundaries"
                           + (f" ({choice.runner_up} are spans the other way)" if choice.runner_up is not None else ""),
               "tool default": "the way the tool that wrote the project counts: its selections fit either way"}[choice.how]
        report.ran("QDA_POSITION_COUNTING", SOURCE, None, choice.total)
        report.add("QDA_POSITION_COUNTING", resource=SOURCE, field="startPosition",
                   detail=f"counting {choice.describe()}, {how}")
        if choice.misaligned:
            report.add("QDA_DEVIATION", resource=SOURCE, field="startPosition",
                       detail=f"only {choice.aligned} of the {2 * choice.total} ends of selections in texts with Windows line "
                              "breaks or characters outside the BMP fall between words, so their positions may be counted "
                              "differently from what was assumed: check the segments' times and speakers, and give "
                              "--line-breaks and --char-units")
    if rows:
        untimed = sum(r["start_seconds"] == NOT_DERIVABLE or r["end_seconds"] == NOT_DERIVABLE for r in rows)
        formats = ", ".join(sorted(found.formats)) or "none"
        report.ran("QDA_TIMES_READ", SOURCE, None, len(rows))
        report.add("QDA_TIMES_READ", resource=SOURCE, field="start_seconds",
                   detail=(f"{len(rows) - untimed} of {len(rows)} segments have both times ({untimed} lack one: written "
                           f"as {NOT_DERIVABLE}, not derivable); transcript formats: {formats}; {structure_note(found)}"))

def structure_note(found) -> str:
    """Why times were (or were not) read from the texts' stamps (pedcomm.interop.qda.transcripts.read)."""
    timed = found.timed_texts
    note = (f"stamps are the structure (most lines or speaker turns) of {timed} {'text' if timed == 1 else 'texts'}"
            if timed else "no text is structured by stamps")
    if found.set_aside:
        where, why = found.set_aside[0]
        more = len(found.set_aside) - 1
        note += f"; not read as times in {where} ({why})" + (f" and {more} more" if more else "")
    return note


def published_names(reference_text: dict[str, pd.DataFrame]) -> set[str]:
    out = set()
    for name in ("coding_themes", "coding_codes"):
        t = reference_text.get(name)
        if t is not None:
            out |= {n.casefold() for n in t.loc[t["name_source"] == "published", "name"]}
    return out


def shipped_codebook() -> dict[str, pd.DataFrame]:
    """The shipped codebook tables (to recognise published names), or nothing."""
    from ..package_io import read_text, shipped_package

    out = {}
    for name in ("coding_themes", "coding_codes"):
        p = shipped_package() / "data" / f"{name}.csv"
        if p.is_file():
            out[name] = read_text(p)
    return out


def frame(name: str, rows: list[dict]) -> pd.DataFrame:
    cols = [f["name"] for f in standard.schema(name)["fields"]]
    return pd.DataFrame([{c: r.get(c, "") for c in cols} for r in rows], columns=cols, dtype=str)


def _refused(report: Report, e: Unsafe | InputRefused) -> Imported:
    """The import stops at an unsafe or refused input: its finding, and nothing imported."""
    from ...validation.refusals import input_refused

    if isinstance(e, InputRefused):
        input_refused(report, e, resource=SOURCE, path=shown(e.path.name, 120))
    else:
        report.add(e.code, resource=SOURCE, detail=e.detail)
    return Imported(report)


@check("QDA_UNREADABLE", "QDA_UNSAFE_ARCHIVE", "QDA_XML_UNSAFE", "QDA_DEVIATION", "QDA_ID_ASSIGNED",
       "QDA_SELECTION_UNREADABLE", "QDA_SOURCE_UNMAPPED", "QDA_PACKAGE_NEEDED", "QDA_NO_SELECTIONS",
       "QDA_SPEAKER_UNMAPPED", "QDA_CODER_UNMAPPED", "QDA_POSITION_COUNTING", "QDA_TIMES_READ",
       "QDA_MERGE_REFUSED", "QDA_SEGMENTS_MERGED", "QDA_SEGMENTS_REDUCED")
def import_project(path: str | Path, out: str | Path, *, discussions: str | Path | None = None,
                   reference: str | Path | None = None, force: bool = False, speakers: str | Path | None = None,
                   coders: str | Path | None = None, excerpts: bool = False, reveal: bool = False,
                   line_breaks: str = "auto", char_units: str = "auto") -> Imported:
    """Convert a QDA project into a package at ``out`` and validate it (nothing is written on QDA_* errors).

    Coded selections become segments of ``reference`` (a package with the study's discussions and
    coders): the discussions the project codes are replaced, the others kept (merge.py). A
    codebook alone (no coded selections, no ``reference``) becomes a package of themes and codes.
    """
    from ...files.inputs import package_files
    from ...files.outputs import FOLDER, claim

    path = Path(path)
    report = Report(reveal_values=reveal)
    report.meta = {**standard.provenance(), "package": str(out), "source": str(path)}
    maps = [Path(m) for m in (discussions, speakers, coders) if m]
    protect = [path, *maps, *(package_files(reference) if reference else [])]
    with claim(out, kind=FOLDER, command="qda import", force=force, protect=protect) as dest:
        return _import(path, dest, report, discussions=discussions, reference=reference, speakers=speakers,
                       coders=coders, excerpts=excerpts, reveal=reveal, line_breaks=line_breaks, char_units=char_units)


def _import(path: Path, dest, report: Report, *, discussions, reference, speakers, coders, excerpts, reveal,
            line_breaks, char_units) -> Imported:
    from ...validation.run import validate
    from ..package_io import merge as merge_reports
    from ..package_io import text_tables, write_package

    report.ran("QDA_UNREADABLE", SOURCE, None, 1)
    report.ran("QDA_UNSAFE_ARCHIVE", SOURCE, None, 1)
    report.ran("QDA_XML_UNSAFE", SOURCE, None, 1)
    try:
        mapping = read_map(Path(discussions) if discussions else None)
        roles = speaker_roles(Path(speakers) if speakers else None)
        project = load(path, report)
    except (Unsafe, InputRefused) as e:
        return _refused(report, e)
    root = project.root
    kind = local(root)
    if kind not in ("Project", "CodeBook"):
        report.add("QDA_UNREADABLE", resource=SOURCE,
                   detail=f"its root element is <{shown(kind, 40)}>, not <Project> or <CodeBook>")
        return Imported(report)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if ns != (PROJECT_NS if kind == "Project" else CODEBOOK_NS):
        report.add("QDA_DEVIATION", resource=SOURCE, field=kind,
                   detail=f"the document's namespace is '{shown(ns) if ns else 'none'}' instead of the REFI-QDA one")
    coded = count_coded(root) if kind == "Project" else 0
    report.ran("QDA_PACKAGE_NEEDED", SOURCE, None, 1)
    report.ran("QDA_NO_SELECTIONS", SOURCE, None, 1)
    if coded and reference is None:
        report.add("QDA_PACKAGE_NEEDED", resource=SOURCE, detail=plural(coded, "coded selection"))
        return Imported(report)
    if reference is not None and not coded:
        report.add("QDA_NO_SELECTIONS", resource=SOURCE,
                   detail="it is a codebook" if kind == "CodeBook" else "its sources carry no coded selection")
        return Imported(report)
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
    rows = []
    if coded:
        known_coders = set(ref_text["coding_coders"]["coder_id"]) if "coding_coders" in ref_text else None
        try:
            users = Users(root, coder_map(Path(coders) if coders else None, known_coders), known_coders)
        except (Unsafe, InputRefused) as e:
            return _refused(report, e)
        found = Selections(root, project.texts, report, discussion_of=_discussion_finder(mapping, report, reveal),
                           excerpts=excerpts, reveal=reveal, line_breaks=line_breaks, units=char_units).read()
        rows = build_segments(found, cb, users, roles, report, reveal)
        _summaries(found, rows, report)
    elif kind == "Project" and child(root, "Sources") is None:
        report.add("QDA_DEVIATION", resource=SOURCE, field="Sources",
                   detail="the project has no sources (no Sources/ folder): only the codebook was imported")
    tables = {"coding_themes": frame("coding_themes", cb.themes), "coding_codes": frame("coding_codes", cb.codes)}
    if report.totals()["error"]:
        tables["coding_segments"] = frame("coding_segments", rows)
        return Imported(report, tables=tables)
    if not coded:  # a codebook on its own: the study's package, its codebook filled and every other table empty
        for name in standard.resource_names(standard.study_of("coding_codes")):
            tables.setdefault(name, frame(name, []))
    else:
        old = ref_text.get("coding_segments")
        kept_ids = set(old["segment_id"]) if old is not None else set()
        coded_discussions = list(dict.fromkeys(r["discussion_id"] for r in rows))
        kept_ids -= set(old.loc[old["discussion_id"].isin(coded_discussions), "segment_id"]) if old is not None else set()
        assigned = assign_ids(rows, kept_ids)
        if assigned:
            report.add("QDA_ID_ASSIGNED", resource=SOURCE, field="segment_id", detail=plural(assigned, "segment"))
        known = set(ref_text["coding_discussions"]["discussion_id"]) if "coding_discussions" in ref_text else None
        merged = merge(old, frame("coding_segments", rows), coded_discussions, known, set(tables["coding_codes"]["code_id"]),
                       report)
        if merged is None:
            return Imported(report, tables=tables)
        tables["coding_segments"] = merged
    all_tables = {**{n: t for n, t in ref_text.items() if n not in tables}, **tables}
    from ...standard.declaration import site_of

    validated = write_package(all_tables, dest, name=_name(path), site=site_of(ref),
                              title=f"Coding data imported from the QDA project {path.name}",
                              description="Codebook and coded segments converted from a REFI-QDA project by "
                                          "`pedcomm qda import`"
                                          + (" into a copy of the reference package." if ref_text else "."))
    validated.report.meta.update(report.meta)
    return Imported(merge_reports(validated.report, report), validated, all_tables)

def _name(path: Path) -> str:
    import re

    return re.sub(r"[^a-z0-9._-]", "-", path.stem.lower()) or "qda-import"
