"""`pedcomm qda maps PROJECT --out FOLDER`: drafts of the three maps a QDA import needs, to fill in.

A project names its sources, speakers and users the way the site's team wrote them ('Interview
with the Jones family', 'Dr. Smith', 'Jane Doe'); pedcomm needs discussion ids, roles and coder ids.
Rather than have a data manager copy every label out of the transcripts by hand, this reads the
project exactly as `pedcomm qda import` does (same archive guards, same transcript reader, same
position counting) and writes, into a new folder:

- ``discussions.csv`` (``source,discussion_id,coded_selections``): every coded source;
- ``speakers.csv`` (``label,role,coded_selections``): every speaker label the coded selections start
  in, most used first, and a row with an empty label when some selections lie in unlabelled text;
- ``coders.csv`` (``user,coder_id,name,codings``): every user who made a coding, by GUID, with the
  name the project gives them, and a row with an empty user when some codings name none.

The second column is filled in where pedcomm can tell (a source named by a discussion id of the
package, a label that is a role's name, a user whose name is a coder id of the package), and blank
elsewhere: a blank row is ignored by the import (what it names stays unmapped and is reported), so a
draft can be used while it is still being completed. The extra columns are ignored by the import.
The drafts hold the names of the project in clear: they stay at the site, with the project.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ... import standard
from ...validation.report import Report
from .codebook import ID, norm_guid
from .people import NO_USER, Users, speaker_roles

FILES = ("discussions.csv", "speakers.csv", "coders.csv")


@dataclass
class Drafts:
    report: Report
    files: dict[str, str] = field(default_factory=dict)  # file name -> CSV text
    counts: dict[str, int] = field(default_factory=dict)  # 'sources' / 'labels' / 'users' -> rows to fill

    @property
    def exit_code(self) -> int:
        return self.report.exit_code


def _csv(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return "\ufeff" + buf.getvalue()  # a byte-order mark: spreadsheet programs then open it as UTF-8


def read(path: Path, reference: Path | None, report: Report, *, line_breaks: str = "auto",
         char_units: str = "auto") -> Drafts | None:
    """The drafts of a project (None when it cannot be read: the report says why)."""
    from ...files.inputs import InputRefused
    from ...validation.run import validate
    from ..package_io import text_tables
    from .importer import _refused, load
    from .safety import Unsafe
    from .selections import Selections

    try:
        project = load(path, report)
    except (Unsafe, InputRefused) as e:
        _refused(report, e)
        return None
    ref_text = text_tables(validate(reference)) if reference is not None else {}
    discussions = set(ref_text["coding_discussions"]["discussion_id"]) if "coding_discussions" in ref_text else None
    coders = set(ref_text["coding_coders"]["coder_id"]) if "coding_coders" in ref_text else None
    sources: dict[str, list] = {}  # the key each coded source is read under -> [name, guid, selections]

    def discussion_of(src, n: int) -> str:
        key = norm_guid(src.get("guid")) or f"source {len(sources) + 1}"
        sources[key] = [(src.get("name") or "").strip(), norm_guid(src.get("guid")), n]
        return key

    found = Selections(project.root, project.texts, report, discussion_of=discussion_of, excerpts=False, reveal=False,
                       line_breaks=line_breaks, units=char_units).read()
    names = [v[0] for v in sources.values()]
    rows = []
    for name, guid, n in sources.values():
        ident = name if (ID.fullmatch(name) and (discussions is None or name in discussions)) else ""
        rows.append([name if name and names.count(name) == 1 else guid, ident, n])
    out = Drafts(report)
    out.files["discussions.csv"] = _csv(["source", "discussion_id", "coded_selections"], rows)

    roles = speaker_roles(None)
    labels: dict[str, list] = {}  # casefolded -> [spelling, selections]
    unlabelled = 0
    for c in found.coded:
        if c.speaker is None:
            unlabelled += 1
            continue
        label = " ".join(c.speaker.split())
        labels.setdefault(label.casefold(), [label, 0])[1] += 1
    speaker_rows = [[label, roles.get(key, ""), n] for key, (label, n) in
                    sorted(labels.items(), key=lambda kv: (-kv[1][1], kv[1][0]))]
    if unlabelled:
        speaker_rows.append(["", "", unlabelled])
    out.files["speakers.csv"] = _csv(["label", "role", "coded_selections"], speaker_rows)

    users = Users(project.root, None, coders)
    made: dict[str, int] = {}
    for c in found.coded:
        g = norm_guid(c.user)
        made[g] = made.get(g, 0) + 1
    coder_rows = []
    for g, n in sorted(made.items(), key=lambda kv: (kv[0] == NO_USER, -kv[1], kv[0])):
        known = users.coder(g) if g else None
        coder_rows.append([g, known or "", users.names.get(g, "") if g else "", n])
    out.files["coders.csv"] = _csv(["user", "coder_id", "name", "codings"], coder_rows)
    out.counts = {"sources": sum(not r[1] for r in rows), "labels": sum(not r[1] for r in speaker_rows),
                  "users": sum(not r[1] for r in coder_rows), "selections": len(found.coded)}
    if not found.coded:  # a codebook, or sources without codings: nothing to map, nothing written
        out.files = {}
    return out


def write_drafts(path: str | Path, out: str | Path, *, reference: str | Path | None = None, force: bool = False,
                 line_breaks: str = "auto", char_units: str = "auto") -> Drafts:
    """Read the project and write the drafts into the new folder ``out`` (nothing when it cannot be read)."""
    from ...files.inputs import package_files
    from ...files.outputs import FOLDER, claim

    path = Path(path)
    report = Report()
    report.meta = {**standard.provenance(), "source": str(path)}
    protect = [path, *(package_files(reference) if reference else [])]
    with claim(out, kind=FOLDER, command="qda maps", force=force, protect=protect) as dest:
        drafts = read(path, Path(reference) if reference else None, report, line_breaks=line_breaks,
                      char_units=char_units)
        if drafts is None or not drafts.files:  # unreadable (the report says why), or nothing to map
            return drafts or Drafts(report)
        with dest.staging() as tmp:
            for name, text in drafts.files.items():
                (tmp / name).write_text(text, encoding="utf-8")
    return drafts
