"""Documentation pages generated from the sources: schemas, check registry, conformance cases, CLI, reproduction.

``generate(docs_dir)`` writes the pages below into the MkDocs docs folder (they are git-ignored, so they
cannot drift from their sources); the MkDocs hook (hook.py) calls it before every build, and
``python -m pedcomm.docsgen`` runs it on its own. Any error in a source fails the generation.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from . import changelog, checks, cite, cli_ref, codebook, dictionary, reproduced, scale, simulation
from .md import write_if_changed

#: Generated pages (docs-relative) and the function producing each.
PAGES = {
    "data-dictionary.md": dictionary.page,
    "codebook.md": codebook.page,
    "checks.md": checks.page,
    "cli.md": cli_ref.page,
    "cite.md": cite.page,
    "changelog.md": changelog.page,
    "simulation.md": simulation.page,
    "scale.md": scale.page,
}
#: Generated folders, emptied of stale files on every run.
FOLDERS = ("schemas", reproduced.ASSETS)
#: Everything generated (for .gitignore and the tests).
GENERATED = (*PAGES, "reproduced.md", *(f + "/" for f in FOLDERS))


def generate(docs_dir: str | Path) -> list[Path]:
    """Write every generated page and asset under ``docs_dir``; returns the files that changed."""
    docs_dir = Path(docs_dir)
    files: dict[str, str | bytes] = {name: fn() for name, fn in PAGES.items()}
    files.update(dictionary.schema_files())
    page, assets = reproduced.generate()
    files["reproduced.md"] = page
    files.update({f"{reproduced.ASSETS}/{name}": data for name, data in assets.items()})
    changed = [docs_dir / rel for rel, content in files.items() if write_if_changed(docs_dir / rel, content)]
    for folder in FOLDERS:
        root = docs_dir / folder
        for p in sorted(root.rglob("*"), reverse=True) if root.exists() else []:
            rel = p.relative_to(docs_dir).as_posix()
            if p.is_file() and rel not in files:
                p.unlink()
            elif p.is_dir() and not any(p.iterdir()):
                shutil.rmtree(p)
    return changed
