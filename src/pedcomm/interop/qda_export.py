"""`pedcomm qda export-codebook` and `pedcomm qda export`: a validated package as REFI-QDA files."""

from __future__ import annotations

from pathlib import Path

from .. import standard

NEEDS = {"codebook": ("coding_themes", "coding_codes"),
         "project": ("coding_themes", "coding_codes", "coding_segments")}


class NotExportable(Exception):
    """The package lacks readable tables the export needs."""


def _tables(path, what: str):
    from ..validate import validate
    from .package_io import text_tables

    validated = validate(path)
    if validated.report.exit_code != 0:
        return validated, None
    tables = text_tables(validated)
    missing = [n for n in NEEDS[what] if n not in tables]
    if missing:
        raise NotExportable(f"the package has no {', '.join(missing)}")
    return validated, tables


def export_codebook(path: str | Path, out: str | Path):
    """Write the codebook as a .qdc; returns (validated, written path or None when the package has errors)."""
    from ..atomic import write_bytes
    from .qda_codebook import codebook_qdc

    validated, tables = _tables(path, "codebook")
    if tables is None:
        return validated, None
    write_bytes(out, codebook_qdc(tables["coding_themes"], tables["coding_codes"], origin=standard.signature()))
    return validated, Path(out)


def export_project(path: str | Path, out: str | Path):
    """Write the codebook, coded segments and their transcripts as a .qdpx."""
    from ..atomic import write_bytes
    from .qda_project import project_qdpx

    validated, tables = _tables(path, "project")
    if tables is None:
        return validated, None
    name = validated.package.descriptor.get("name") or "pedcomm"
    write_bytes(out, project_qdpx(tables, name=str(name), origin=standard.signature()))
    return validated, Path(out)
