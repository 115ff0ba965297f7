"""The marks by which pedcomm recognises its own outputs.

Every output folder holds ``.pedcomm-output.json``; every single-file output has one beside it,
``.NAME.pedcomm-output.json``. A marker records the command, the tool and standard versions and the
SHA-256 of each file written (no time stamp: the same inputs give byte-identical outputs). An
output counts as pedcomm's, and ``--force`` may replace it, only while it holds exactly the files
its marker lists, unchanged (operating-system clutter such as .DS_Store aside).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

MARKER = ".pedcomm-output.json"
MARKER_FORMAT = 1
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
    doc = {"pedcomm_output": MARKER_FORMAT,
           "about": "Written by pedcomm. `--force` replaces this output only while it holds exactly the files "
                    "listed here (SHA-256), unchanged; anything else in it is never replaced.",
           "command": command, "tool": {"name": t["name"], "version": t["version"]},
           "standard": t["standard"], "files": dict(sorted(files.items()))}
    return (json.dumps(doc, indent=1, ensure_ascii=True) + "\n").encode("ascii")


def read_marker(path: Path) -> dict | str:
    """A marker's content, or why it is not a pedcomm marker."""
    from .inputs import InputRefused, read
    from .jsonsafe import JSONRefused, loads

    try:
        doc = loads(read(path, "marker"))
    except FileNotFoundError:
        return "it has no pedcomm output marker, so pedcomm did not write it"
    except (OSError, InputRefused, JSONRefused):
        return "its pedcomm output marker cannot be read"
    if not isinstance(doc, dict) or doc.get("pedcomm_output") != MARKER_FORMAT or not isinstance(doc.get("files"), dict):
        return "its pedcomm output marker is not one pedcomm writes"
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
    extra, changed = [], []
    for root, dirs, files in os.walk(path):
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
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode) or rel not in listed:
                extra.append(rel)
            elif sha256_file(full) != listed[rel]:
                changed.append(rel)
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
    if not isinstance(hashes, list) or sha256_file(path) not in hashes:
        return "it changed since pedcomm wrote it"
    return None


def hash_tree(root: Path) -> dict[str, str]:
    out = {}
    for base, _, files in os.walk(root):
        for f in files:
            full = Path(base) / f
            if full.is_file() and not full.is_symlink():
                out[full.relative_to(root).as_posix()] = sha256_file(full)
    return out
