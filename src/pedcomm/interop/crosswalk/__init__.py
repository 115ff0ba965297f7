"""Crosswalks: a site's own fields and codes mapped to the standard's, applied before an import.

A site that already holds its data in a REDCap project of its own (its own field names, its own
numeric codes), or in a CSV, SPSS or Stata file, imports it through a crosswalk: a CSV file, in the
format of the standard's ``schemas/crosswalk.json``, that says which site field is which standard
field and which site code is which standard code. ``pedcomm redcap crosswalk`` drafts it from the
site's data dictionary (draft.py); the site reviews it; ``pedcomm redcap import --crosswalk`` and
``pedcomm import --crosswalk`` apply it (plan.py checks it, apply.py rewrites the export into the
standard's columns and codes) and the usual import does the rest, so the package equals the import
of a standard-shaped export of the same data. The crosswalk's SHA-256 goes into the package's
descriptor (``sources``): the record of the harmonization.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...validation.report import Report


def read_through(crosswalk: str | Path, export: Path, reference: dict[str, pd.DataFrame], report: Report,
                 reader, source: str, names: dict[str, str] | None = None):
    """The export read with ``reader`` and rewritten into the standard's columns and codes by the crosswalk,
    or None with the findings that stop it (the crosswalk is read and checked before the export).

    ``reference``: the reference package's text tables (the standard's REDCap project is built from them).
    Records the crosswalk (file name, size, SHA-256) in ``report.meta['crosswalk']``; ``names``, when
    given, is filled with the site's name of each standard field, checkbox column and form
    (site_names), so that findings can name the site's own project.
    """
    from ..redcap import shape as S
    from ..redcap.dictionary import dictionary_rows
    from .apply import harmonize
    from .plan import plan
    from .table import read_crosswalk
    from .targets import targets

    cw = read_crosswalk(crosswalk, report)
    if cw is None:
        return None
    report.meta["crosswalk"] = cw.source()
    report.add_input(cw.name, cw.size, cw.sha256)
    checked = plan(cw, targets(reference), report)
    if checked is None:
        report.meta["refused"] = "the crosswalk cannot be applied as it is (see above); nothing was imported"
        return None
    if names is not None:
        names.update(site_names(checked))
    parsed = reader(export, report, S.dictionary_labels(dictionary_rows(reference)), record=checked.record)
    if parsed is None:
        return None
    harmonized = harmonize(checked, *parsed, report, source=source)
    if harmonized is None:
        report.meta["refused"] = "the crosswalk does not fit the export (see above); nothing was imported"
    return harmonized


def site_names(checked) -> dict[str, str]:
    """The site's name of each standard export column and form the crosswalk maps (standard -> site):
    fields, checkbox columns (``std___code`` -> ``site___sitecode``) and forms (from their
    ``{form}_complete`` columns; several site forms feeding one are named together)."""
    from .apply import _suffix
    from .targets import CHECKBOX, COMPLETE

    out: dict[str, str] = {}
    forms: dict[str, list[str]] = {}
    for m in checked.fields.values():
        t = m.target
        if t.kind == COMPLETE:
            forms.setdefault(t.name.removesuffix("_complete"), []).append(m.site.removesuffix("_complete"))
            continue
        out.setdefault(t.name, m.site)
        if t.kind == CHECKBOX:
            for site_code, std in m.codes.items():
                if std:
                    out.setdefault(_suffix(t.name, std), _suffix(m.site, site_code))
    for std, site in forms.items():
        out.setdefault(std, " or ".join(sorted(set(site))))
    return out


def write_draft(dictionary: str | Path, out: str | Path, *, reference: str | Path | None = None,
                force: bool = False) -> tuple[Report, list[dict] | None]:
    """Draft the crosswalk from the site's data dictionary (or SPSS/Stata file) into ``out`` (CSV).

    Returns the report (a CROSSWALK_DICTIONARY_UNREADABLE finding or an input refusal when the
    dictionary cannot be read; nothing is written then) and the rows written.
    """
    from ... import standard
    from ...files.inputs import package_files
    from ...files.outputs import FILE, claim
    from ...validation.run import validate
    from ..package_io import shipped_package, text_tables
    from ..redcap.forms import REFERENCE_TABLES
    from .draft import draft
    from .sitefields import site_fields
    from .table import to_csv
    from .targets import targets

    report = Report()
    report.meta = {**standard.provenance(), "source": str(dictionary)}
    reference = reference or shipped_package()
    with claim(out, kind=FILE, command="redcap crosswalk", force=force,
               protect=[dictionary, *package_files(reference)]) as dest:
        ref = text_tables(validate(reference))
        lacking = [n for n in REFERENCE_TABLES if n not in ref]
        if lacking:
            raise FileNotFoundError(f"the reference package {reference} has no readable {', '.join(lacking)} "
                                    "(the instruments and sites the standard's REDCap project is built from)")
        described = site_fields(dictionary, report)
        if described is None:
            return report, None
        sites = dict(zip(ref["survey_sites"]["site_id"], ref["survey_sites"]["site_name"]))
        standard_fields = targets(ref)
        rows = draft(described, standard_fields, sites)
        required = {t.name for t in standard_fields.values() if t.required}
        field_rows = [r for r in rows if r["standard_field"] in required and not r["site_code"]]
        report.meta["described_by"] = described.kind
        report.meta["draft"] = {"rows": len(rows), "fields": len(required),
                                "found": sum(1 for r in field_rows if r["site_field"]),
                                "constant": sum(1 for r in field_rows if not r["site_field"] and r["standard_code"]),
                                "review": sum(1 for r in rows if r["review"] == "true")}
        dest.write_text(to_csv(rows))
    return report, rows
