"""Run the minimal invalid input files that registry codes name as their ``example``.

A code about a REDCap export or a QDA project cannot be shown by editing a data package, so its
example is a file under validation/conformance/files/<kind>/; this runs it the way the command
would and returns the report (tests/test_registry.py expects the code among its findings).
A QDA project is imported into validation/conformance/valid_coding/ with the maps found beside it
(``<name>.discussions.csv``, ``.speakers.csv``, ``.coders.csv``) and the options of
``<name>.options.json`` (``{"package": null}`` imports without a package). A crosswalk case is a
site's export imported into the valid package with the crosswalk beside it (``<name>.crosswalk.csv``),
or a site's data dictionary (``<name>.dictionary.csv``) drafted into a crosswalk; an imports case
is a file given to `pedcomm import`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..validation.conformance import SUITE
from ..validation.report import Report

if TYPE_CHECKING:
    from .conformance import CommandRun


def run_example(path: str | Path, workdir: str | Path) -> Report | CommandRun:
    """The report of the example (for files/commands/ cases: the command's run, whose ``codes()``
    are the codes its output names)."""
    path, workdir = Path(path), Path(workdir)
    kind = path.relative_to(SUITE / "files").parts[0]
    if kind == "redcap":
        from ..interop.redcap.importer import import_export

        return import_export(path, workdir / "out", reference=SUITE / "valid").report
    if kind == "crosswalk":
        if path.name.endswith(".dictionary.csv"):
            from ..interop.crosswalk import write_draft

            return write_draft(path, workdir / "draft.csv", reference=SUITE / "valid")[0]
        from ..interop.redcap.importer import import_export

        return import_export(path, workdir / "out", reference=SUITE / "valid",
                             crosswalk=path.with_name(path.name.removesuffix(".csv") + ".crosswalk.csv")).report
    if kind == "imports":
        from ..interop.redcap.importer import import_export
        from ..interop.tabular import kind as kind_of
        from ..interop.tabular import reader_of

        return import_export(path, workdir / "out", reference=SUITE / "valid", reader=reader_of(path),
                             kind=kind_of(path)).report
    if kind == "qda":
        import json

        from ..interop.qda.importer import import_project

        side = {k: path.with_suffix(f".{k}.csv") for k in ("discussions", "speakers", "coders")}
        options = path.with_suffix(".options.json")
        opts = json.loads(options.read_text()) if options.is_file() else {}
        package = opts.pop("package", "valid_coding")
        return import_project(path, workdir / "out", reference=SUITE / package if package else None,
                              **{k: v for k, v in side.items() if v.is_file()}, **opts).report
    if kind == "sites":
        from ..sites.examples import run as run_sites

        return run_sites(path, workdir)
    if kind == "analysis":
        from ..reproduce.examples import run as run_analysis

        return run_analysis(path, workdir)
    if kind == "federated":
        from ..federated.examples import run as run_federated

        return run_federated(path, workdir)
    if kind == "commands":
        from .conformance import run as run_commands

        return run_commands(path, workdir)
    raise ValueError(f"no runner for examples under files/{kind}/")
