"""`pedcomm qda export-codebook` and `pedcomm qda export`: a validated package as REFI-QDA files."""

from __future__ import annotations

from pathlib import Path

from ... import standard

NEEDS = {"codebook": ("coding_themes", "coding_codes"),
         "project": ("coding_themes", "coding_codes", "coding_segments")}


class NotExportable(Exception):
    """The package lacks readable tables the export needs."""


def _tables(path, what: str):
    from ...validation.run import validate
    from ..package_io import text_tables

    validated = validate(path)
    if validated.report.exit_code != 0:
        return validated, None
    tables = text_tables(validated)
    missing = [n for n in NEEDS[what] if n not in tables]
    if missing:
        raise NotExportable(f"the package has no {', '.join(missing)}")
    return validated, tables


def _claim(path, out, force: bool, command: str):
    from ...files.inputs import package_files
    from ...files.outputs import FILE, claim

    return claim(out, kind=FILE, command=command, force=force, protect=package_files(path))


def export_codebook(path: str | Path, out: str | Path, *, force: bool = False):
    """Write the codebook as a .qdc; returns (validated, written path or None when the package has errors)."""
    from .codebook import codebook_qdc

    with _claim(path, out, force, "qda export-codebook") as dest:
        validated, tables = _tables(path, "codebook")
        if tables is None:
            return validated, None
        dest.write_bytes(codebook_qdc(tables["coding_themes"], tables["coding_codes"], origin=standard.signature()))
    return validated, Path(out)


def export_project(path: str | Path, out: str | Path, *, force: bool = False):
    """Write the codebook, coded segments and their transcripts as a .qdpx."""
    from .project import project_qdpx

    with _claim(path, out, force, "qda export") as dest:
        validated, tables = _tables(path, "project")
        if tables is None:
            return validated, None
        name = validated.package.descriptor.get("name") or "pedcomm"
        dest.write_bytes(project_qdpx(tables, name=str(name), origin=standard.signature()))
    return validated, Path(out)
