"""Which package a command works on: a --package that names none, and the default when none is given.

- ``missing``: a ``--package my-stie`` (a typo, a folder not made yet) is refused before anything
  is read, with OPTION_INVALID and the folders of the same place whose names are close
  ("did you mean my-site?"), rather than an error deep in the import.
- ``default``: commands whose package argument is optional (reproduce, export) take the package of
  the working folder when there is one (a ``datapackage.json`` in it), and the shipped SYNTHETIC
  example otherwise; the sentence they print says which, so nobody reproduces the example believing
  it is their data.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from .. import standard
from ..files.inputs import descriptor_path


def missing(path: Path) -> str | None:
    """Why ``path`` holds no package, in words (for OPTION_INVALID), or None when it does."""
    desc = descriptor_path(path)
    if desc.is_file():
        return None
    where = f"is '{path}': "
    if not path.exists():
        where += "no such file or folder"
    elif path.is_dir():
        where += "the folder holds no datapackage.json"
    else:
        where += "it is not a datapackage.json or a folder holding one"
    parent = path.parent if str(path.parent) else Path(".")
    try:
        near = [p.name for p in parent.iterdir() if (p / "datapackage.json").is_file()] if parent.is_dir() else []
    except OSError:
        near = []
    close = difflib.get_close_matches(path.name, near, n=3, cutoff=0.6)
    if close:
        where += " (did you mean " + " or ".join(str(parent / c) if str(parent) != "." else c for c in close) + "?)"
    return where


def default(path: Path | None) -> tuple[Path, str | None]:
    """The package to use and, when none was given, a sentence saying which one was taken."""
    if path is not None:
        return path, None
    here = Path("datapackage.json")
    if here.is_file():
        return here, "No package given: using the package in this folder (datapackage.json)."
    return standard.DESCRIPTOR, ("No package given and none in this folder: using the shipped SYNTHETIC example "
                                 "package (give your package's folder to use yours).")
