"""The marks by which pedcomm recognises its own outputs.

Every output folder holds ``.pedcomm-output.json``; every single-file output has one beside it,
``.NAME.pedcomm-output.json``. A marker records the command, the tool and standard versions and the
SHA-256 of each file written (no time stamp: the same inputs give byte-identical outputs), and a
seal binding that list to this user's pedcomm (pedcomm.files.seal): a marker written by hand,
copied from elsewhere or edited is not pedcomm's. An output counts as pedcomm's, and ``--force``
may replace it, only while its marker is a regular file with a valid seal and the output holds
exactly the files the marker lists, unchanged (operating-system clutter such as .DS_Store aside).
Everything under the output is looked at: a folder that cannot be read counts as foreign.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from . import seal

MARKER = ".pedcomm-output.json"
#: Format 2 added the seal; markers of format 1 (unsealed) are no longer trusted.
MARKER_FORMAT = 2
#: Files an operating system or a file browser drops into folders; never a reason to refuse.
CLUTTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tool() -> dict:
    """The tool and standard versions recorded in every marker (read when the marker is written)."""
    try:
        from .. import _base, standard

        return {"name": "pedcomm", "version": _base.__version__, "standard": standard.descriptor()["version"]}
    except Exception:  # noqa: BLE001 - a marker is still written without the versions
        return {"name": "pedcomm", "version": "unknown", "standard": "unknown"}


def marker(command: str, files: dict[str, str] | dict[str, list[str]]) -> bytes:
    t = tool()
    doc: dict = {"pedcomm_output": MARKER_FORMAT,
                 "about": "Written by pedcomm. `--force` replaces this output only while it holds exactly the files "
                          "listed here (SHA-256), unchanged, and this marker is unedited (the seal is checked); "
                          "anything else in it is never replaced.",
                 "command": command, "tool": {"name": t["name"], "version": t["version"]},
                 "standard": t["standard"], "files": dict(sorted(files.items()))}
    doc["seal"] = seal.seal(doc)
    return (json.dumps(doc, indent=1, ensure_ascii=True) + "\n").encode("ascii")


def read_marker(path: Path) -> dict | str:
    """A marker's content, or why it is not a marker this user's pedcomm wrote."""
    from .inputs import InputRefused, read
    from .jsonsafe import JSONRefused, loads

    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "it has no pedcomm output marker, so pedcomm did not write it"
    except OSError:
        return "its pedcomm output marker cannot be read"
    if not stat.S_ISREG(st.st_mode):
        return "its pedcomm output marker is not a regular file (a link or a folder), so pedcomm did not write it"
    try:
        doc = loads(read(path, "marker"))
    except (OSError, InputRefused, JSONRefused):
        return "its pedcomm output marker cannot be read"
    if not isinstance(doc, dict) or doc.get("pedcomm_output") != MARKER_FORMAT or not isinstance(doc.get("files"), dict):
        return "its pedcomm output marker is not one this version of pedcomm writes"
    if not seal.sealed(doc):
        return ("its pedcomm output marker lacks the seal of this user's pedcomm (it was written elsewhere, by hand or "
                "edited), so pedcomm cannot tell that it wrote it")
    return doc


def _names(items: list[str], n: int = 3) -> str:
    shown = ", ".join(items[:n])
    return shown + (f" and {len(items) - n} more" if len(items) > n else "")


def foreign_folder(path: Path) -> str | None:
    """Why the folder ``path`` is not an unchanged pedcomm output (None when it is)."""
    doc = read_marker(path / MARKER)
    if isinstance(doc, str):
        return doc
    listed = doc["files"]
    extra, changed, unreadable = [], [], []
    for root, dirs, files in os.walk(path, onerror=lambda e: unreadable.append(e)):
        base = Path(root)
        for d in list(dirs):
            if (base / d).is_symlink():
                extra.append((base / d).relative_to(path).as_posix())
                dirs.remove(d)
        for f in files:
            full = base / f
            rel = full.relative_to(path).as_posix()
            if rel == MARKER or f in CLUTTER:
                continue
            try:
                st = os.lstat(full)
                if not stat.S_ISREG(st.st_mode) or rel not in listed:
                    extra.append(rel)
                elif sha256_file(full) != listed[rel]:
                    changed.append(rel)
            except OSError as e:
                unreadable.append(e)
    if unreadable:
        return "a part of it cannot be read, so pedcomm cannot tell what it holds"
    if extra:
        return f"it holds files pedcomm did not write ({_names(sorted(extra))})"
    if changed:
        return f"files in it changed since pedcomm wrote them ({_names(sorted(changed))})"
    return None


def sidecar(path: Path) -> Path:
    """The marker of a single-file output: ``.NAME.pedcomm-output.json`` beside it."""
    return path.parent / f".{path.name}.pedcomm-output.json"


def foreign_file(path: Path) -> str | None:
    doc = read_marker(sidecar(path))
    if isinstance(doc, str):
        return doc
    hashes = doc["files"].get(path.name)
    try:
        digest = sha256_file(path)
    except OSError:
        return "it cannot be read, so pedcomm cannot tell whether it wrote it"
    if not isinstance(hashes, list) or digest not in hashes:
        return "it changed since pedcomm wrote it"
    return None


def own_marker(path: Path) -> str | None:
    """Why the file ``path`` (a marker's place) holds something pedcomm must not replace: anything
    there but a marker this user's pedcomm wrote (None when nothing is there or it is one)."""
    if not os.path.lexists(path):
        return None
    doc = read_marker(path)
    return doc if isinstance(doc, str) else None


def hash_tree(root: Path) -> dict[str, str]:
    out = {}
    for base, _, files in os.walk(root):
        for f in files:
            full = Path(base) / f
            if full.is_file() and not full.is_symlink():
                out[full.relative_to(root).as_posix()] = sha256_file(full)
    return out
