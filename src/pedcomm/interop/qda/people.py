"""Who coded and who spoke: tool users to coder ids (``--coders``), speaker labels to roles (``--speakers``).

Both maps are small CSV files a site writes once per project:

- ``--coders MAP.csv`` with the columns ``user,coder_id``: ``user`` is a REFI-QDA user's GUID
  (with or without braces, any case) or name (compared case-insensitively); a row with an empty
  ``user`` gives the coder of codings that name no user. Without a map, a user whose ``id`` or
  ``name`` already is a coder id of the package's ``coding_coders`` maps to it.
- ``--speakers MAP.csv`` with the columns ``label,role``: ``label`` is a speaker label as written
  in the transcripts (``Dr. Smith``, ``ONC``, ``I``; compared case-insensitively), ``role`` a code
  of ``coding_segments.speaker_role``; a row with an empty ``label`` gives the role of text
  without a label (a transcript of one speaker, audio coded directly). Without a map, labels that
  are a role's code or label (``primary_oncologist``, ``Primary oncologist``) map to it.

Users and labels left unmapped are reported together, once (QDA_CODER_UNMAPPED,
QDA_SPEAKER_UNMAPPED); names and labels are masked in the report unless ``--show-values``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ... import standard
from ..display import plain as shown
from ..display import private
from .codebook import ID, child, children, norm_guid
from .safety import Unsafe

NO_USER = ""  # the map key of codings that name no user / text without a speaker label


def read_map(path: Path | None, columns: tuple[str, str], what: str, norm=None) -> dict[str, str] | None:
    """A two-column CSV map (first column compared case-insensitively, and as ``norm`` makes it), or
    None without a path. A key given two different values (a label two roles, a user two coders, a
    source two discussions) is refused: which row wins must not be left to the order of the rows.

    The map may have been edited in a spreadsheet program and saved the way it saves CSV
    (pedcomm.interop.spreadsheet: semicolons, Windows-1252, a byte-order mark); other columns (the
    counts and names `pedcomm qda maps` writes beside them) are ignored, and so are rows whose second
    cell is still blank (a draft's row not filled in yet: what it names stays unmapped).
    """
    if path is None:
        return None
    from ...files.inputs import read
    from .. import spreadsheet

    path = Path(path)
    key, value = columns
    try:
        decoded = spreadsheet.decode(read(path, "map"))  # a regular file within a map's size, or InputRefused
        if decoded is None:
            raise Unsafe("QDA_UNREADABLE", f"the {what} map {shown(path.name)} is not text")
        sep = spreadsheet.separator(spreadsheet.first_line(decoded.text), columns)
        if sep is None:
            raise Unsafe("QDA_UNREADABLE", f"the {what} map {shown(path.name)} needs the columns {key} and {value}")
        table = spreadsheet.rows(decoded.text, sep)
    except (OSError, csv.Error) as e:
        raise Unsafe("QDA_UNREADABLE", f"the {what} map {shown(path.name)} cannot be read ({type(e).__name__})") from None
    while table and not any(c.strip() for c in table[0]):
        table.pop(0)
    header = [c.strip().casefold() for c in table[0]]
    k, v = header.index(key), header.index(value)
    out: dict[str, str] = {}
    for r in table[1:]:
        cells = [*r, "", ""]
        if not cells[v].strip():
            continue
        name, val = cells[k].strip().casefold(), cells[v].strip()
        name = norm(name) if norm else name
        if name in out and out[name] != val:
            raise Unsafe("QDA_UNREADABLE", f"the {what} map {shown(path.name)} gives the {key} "
                                           f"'{private(name) if name else '(blank)'}' two values of {value} "
                                           f"('{shown(out[name], 40)}' and '{shown(val, 40)}'); give each {key} one row")
        out[name] = val
    return out


def speaker_roles(path: Path | None) -> dict[str, str]:
    """label (casefolded) -> role: the roles' own codes and labels, then the map's rows."""
    fd = standard.field("coding_segments", "speaker_role")
    roles = fd["constraints"]["enum"]
    out = {}
    for code in roles:
        out[code.casefold()] = code
        out[code.replace("_", " ").casefold()] = code
        out[fd.get("enumLabels", {}).get(code, code).casefold()] = code
    given = read_map(path, ("label", "role"), "speakers", norm=lambda label: " ".join(label.split()))
    for label, role in (given or {}).items():
        if role not in roles:
            raise Unsafe("QDA_UNREADABLE", f"the speakers map gives the role '{shown(role, 40)}', which is not one of "
                                           f"{', '.join(roles)}")
        out[label] = role
    return out


def coder_map(path: Path | None, known: set[str] | None) -> dict[str, str] | None:
    given = read_map(path, ("user", "coder_id"), "coders", norm=lambda user: norm_guid(user) if user.strip("{}") else NO_USER)
    if given is None:
        return None
    out = {}
    for user, coder in given.items():
        if not ID.fullmatch(coder):
            raise Unsafe("QDA_UNREADABLE", f"the coders map gives the coder id '{shown(coder, 40)}', which is not an "
                                           "identifier (letters, digits, '_', '.', '-')")
        out[user] = coder
    return out


class Users:
    """The project's users and how each resolves to a coder id."""

    def __init__(self, root, mapping: dict[str, str] | None, known: set[str] | None):
        self.names: dict[str, str] = {}  # guid -> name
        self.ids: dict[str, str] = {}  # guid -> the User's id attribute
        users = child(root, "Users")
        for u in children(users, "User") if users is not None else []:
            g = norm_guid(u.get("guid"))
            self.names[g] = (u.get("name") or "").strip()
            self.ids[g] = (u.get("id") or "").strip()
        self.mapping, self.known = mapping, known
        for g, name in self.names.items():  # one user named twice in the map (by GUID and by name), two coders
            by_guid, by_name = (mapping or {}).get(g), (mapping or {}).get(name.casefold()) if name else None
            if by_guid is not None and by_name is not None and by_guid != by_name:
                raise Unsafe("QDA_UNREADABLE", f"the coders map gives the user '{private(name)}' two coders, by GUID "
                                               f"('{shown(by_guid, 40)}') and by name ('{shown(by_name, 40)}'); "
                                               "give each user one row")
        self.unmapped: dict[str, int] = {}  # guid ('' for none) -> codings
        self.unknown_ids: dict[str, int] = {}  # mapped coder ids the package does not list

    def coder(self, guid: str | None) -> str | None:
        """The coder id of a user GUID (None when unmapped; recorded for the one finding)."""
        g = norm_guid(guid)
        got = None
        if self.mapping is not None:
            got = self.mapping.get(g) if g else self.mapping.get(NO_USER)
            if got is None and g and self.names.get(g):
                got = self.mapping.get(self.names[g].casefold())
        elif g:
            for cand in (self.ids.get(g, ""), self.names.get(g, "")):
                if cand and ID.fullmatch(cand) and (self.known is None or cand in self.known):
                    got = cand
                    break
        if got is None:
            self.unmapped[g] = self.unmapped.get(g, 0) + 1
            return None
        if self.known is not None and got not in self.known:
            self.unknown_ids[got] = self.unknown_ids.get(got, 0) + 1
            return None
        return got
