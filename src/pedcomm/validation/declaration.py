"""The site declaration of a package checked against the validator's standard (SITE_DECLARATION,
SCHEMA_VERSION_INCOMPATIBLE, SCHEMA_VERSION_DIFFERS). What a declaration is: pedcomm.standard.declaration."""

from __future__ import annotations

from ..standard.declaration import PROPERTY, Declaration, compatibility, parse_version, read, standard_version
from .registry import check
from .report import Report


def check_declaration(descriptor: dict, report: Report, holds_site_data: bool = True) -> Declaration:
    """Check a package's site declaration and its standard version against the validator's.

    The site part is not applicable to a package without rows of site data (only the instrument
    or codebook definitions every site shares).
    """
    d = read(descriptor)
    report.meta["site"] = d.site if d.site else (d.sites or None)
    report.meta["package_schema_version"] = d.schema_version
    if not holds_site_data:
        report.not_applicable("SITE_DECLARATION", None, "the package holds no site data, only shared definitions")
    else:
        report.ran("SITE_DECLARATION", None, PROPERTY, 1)
        if d.problems:
            report.add("SITE_DECLARATION", field=PROPERTY, detail="; ".join(d.problems))
    if d.schema_version is None:
        report.not_applicable("SCHEMA_VERSION_INCOMPATIBLE", None, "the package declares no schemaVersion")
        report.not_applicable("SCHEMA_VERSION_DIFFERS", None, "the package declares no schemaVersion")
        return d
    mine = standard_version()
    who = f"The package (site {d.site})" if d.site else "The package"
    report.ran("SCHEMA_VERSION_INCOMPATIBLE", None, PROPERTY, 1)
    report.ran("SCHEMA_VERSION_DIFFERS", None, PROPERTY, 1)
    how = compatibility(d.schema_version, mine)
    if how == "major":
        report.add("SCHEMA_VERSION_INCOMPATIBLE", field=PROPERTY, value=d.schema_version, who=who,
                   detail=d.schema_version, expected=mine)
    elif how == "minor" and (parse_version(d.schema_version) or ())[:2] > (parse_version(mine) or ())[:2]:
        # an older minor version is fine: valid packages stay valid within a major version
        report.add("SCHEMA_VERSION_DIFFERS", field=PROPERTY, value=d.schema_version, who=who, detail=d.schema_version,
                   expected=f"{mine} (this pedcomm release's standard, older than the package's)")
    return d


@check("SITE_DECLARATION", "SCHEMA_VERSION_INCOMPATIBLE", "SCHEMA_VERSION_DIFFERS", stage="declaration")
def declaration_step(v) -> None:
    """Declaration stage: the site part applies only to a package holding rows of site data (not
    only the definitions every site shares)."""
    from ..standard.studies import definitions

    shared = definitions()
    site_rows = sum(n for name, n in v.rows.items() if name not in shared)
    check_declaration(v.package.descriptor, v.report, holds_site_data=site_rows > 0)
