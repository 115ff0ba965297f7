"""A site's configuration (site.yaml): reclassify or ignore findings, each with a written justification.

Like the BIDS validator's configuration, it changes severities, never the checks. A code marked
``blocking`` in the registry (an error that would break the analyses) or ``fatal`` cannot be
changed. Every override is listed in the report, with how many findings it changed::

    site: DFCI                       # optional: refuse the file for another site's package
    overrides:
      - code: COLUMN_UNKNOWN
        severity: ignore             # error | warning | info | ignore
        resource: survey_parents     # optional: only this resource (and field)
        field: local_notes
        justification: Local audit column, removed by our export script before data leave the site.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import standard
from .masking import bounded, neutralise
from .registry import check, specs
from .report import Report

SEVERITIES = ("error", "warning", "info", "ignore")
KEYS = {"site", "overrides", "federated"}  # federated: a site's disclosure guards (pedcomm.federated.guards)
OVERRIDE_KEYS = {"code", "severity", "justification", "resource", "field"}
MIN_JUSTIFICATION = 20  # characters: a sentence, not "ok"


class ConfigError(Exception):
    """The configuration cannot be used (reported as SITE_CONFIG_INVALID)."""


@dataclass(frozen=True)
class Override:
    code: str
    severity: str
    justification: str
    resource: str | None = None
    field: str | None = None

    def matches(self, code: str, resource: str | None, field: str | None) -> bool:
        return (code == self.code and (self.resource is None or resource == self.resource)
                and (self.field is None or field == self.field))

    def scope(self) -> str:
        if self.resource is None:
            return "everywhere"
        return self.resource + (f".{self.field}" if self.field else "")


@dataclass(frozen=True)
class SiteConfig:
    path: str
    site: str | None
    overrides: tuple[Override, ...]
    federated: dict | None = None  # the guards of federated fits, checked by pedcomm.federated.guards


def parse(data, path: str = "site.yaml") -> SiteConfig:
    """A configuration from its parsed YAML; raises ConfigError saying what is wrong."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must be a YAML mapping with 'overrides' (and optionally 'site')")
    unknown = sorted(set(map(str, data)) - KEYS)
    if unknown:
        raise ConfigError(f"{path} has unknown keys: {', '.join(unknown)} (allowed: {', '.join(sorted(KEYS))})")
    site = data.get("site")
    if site is not None and not isinstance(site, str):
        raise ConfigError(f"{path}: 'site' must be a site id")
    raw = data.get("overrides") or []
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: 'overrides' must be a list")
    known, resources = specs(), set(standard.resource_names())
    out = []
    for i, o in enumerate(raw, start=1):
        where = f"{path}, override {i}"
        if not isinstance(o, dict):
            raise ConfigError(f"{where} is not a mapping with code, severity and justification")
        extra = sorted(set(map(str, o)) - OVERRIDE_KEYS)
        if extra:
            raise ConfigError(f"{where} has unknown keys: {', '.join(extra)}")
        code, severity, why = o.get("code"), o.get("severity"), o.get("justification")
        for key in ("code", "severity", "resource", "field"):  # a list or a mapping where a name belongs
            if o.get(key) is not None and not isinstance(o.get(key), (str, int, float, bool)):
                kind = "list" if isinstance(o[key], list) else "mapping"
                raise ConfigError(f"{where}: '{key}' must be a single value, not a {kind}")
        if not isinstance(code, str) or code not in known:
            raise ConfigError(f"{where}: {code!r} is not a pedcomm check code")
        s = known[code]
        if s.blocking or s.fatal:
            raise ConfigError(f"{where}: {code} cannot be overridden: it is an error that would break the analyses")
        if not isinstance(severity, str) or severity not in SEVERITIES:
            raise ConfigError(f"{where}: severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
        if not isinstance(why, str) or len(" ".join(why.split())) < MIN_JUSTIFICATION:
            raise ConfigError(f"{where} ({code}): a written justification of at least {MIN_JUSTIFICATION} "
                              "characters is required")
        resource, fld = o.get("resource"), o.get("field")
        if resource is not None and (not isinstance(resource, str) or resource not in resources):
            raise ConfigError(f"{where}: {resource!r} is not a standard resource")
        if fld is not None and resource is None:
            raise ConfigError(f"{where}: a 'field' needs its 'resource'")
        out.append(Override(code, severity, " ".join(why.split()), resource, None if fld is None else str(fld)))
    federated = data.get("federated")
    if federated is not None and not isinstance(federated, dict):
        raise ConfigError(f"{path}: 'federated' must be a mapping (min_relationships, max_parameter_share, min_cell)")
    return SiteConfig(path, site, tuple(out), federated)


def load(path: str | Path) -> SiteConfig:
    """Read a configuration within bounds (pedcomm.files): a regular file of at most 1 MiB, YAML
    without anchors or aliases. Raises ConfigError, or InputRefused (pedcomm.files.inputs) for a
    path that is not a regular file or is too large."""
    from ..files.inputs import read
    from ..files.yamlsafe import YAMLRefused, loads

    p = Path(path)
    name = neutralise(bounded(p.name, 80))
    try:
        text = read(p, "config").decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{name} cannot be read ({getattr(e, 'strerror', None) or type(e).__name__})") from None
    try:
        data = loads(text)
    except YAMLRefused as e:
        raise ConfigError(f"{name} cannot be used: {e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{name} is not valid YAML{where}") from None
    return parse(data, name)


@check("SITE_CONFIG_INVALID")
def refuse(report: Report, error: ConfigError) -> Report:
    """Record a configuration that cannot be used (fatal: nothing is validated)."""
    report.ran("SITE_CONFIG_INVALID", None, None, 1)
    report.add("SITE_CONFIG_INVALID", detail=str(error))
    return report


def check_site(cfg: SiteConfig, declared_site) -> None:
    """Refuse a configuration written for another site than the package declares."""
    if cfg.site is not None and declared_site is not None and cfg.site != declared_site:
        raise ConfigError(f"{cfg.path} is the configuration of site {cfg.site}, but the package declares site {declared_site}")


def apply(report: Report, cfg: SiteConfig) -> Report:
    """Change the severities of matching findings (the first matching override wins); list every override."""
    listed: list[dict[str, Any]] = []
    for o in cfg.overrides:
        listed.append({"code": o.code, "scope": o.scope(), "from": specs()[o.code].severity, "to": o.severity,
                       "findings": 0, "justification": o.justification, "config": cfg.path})
    for key in list(report.runs):
        code, resource, field = key
        i = next((k for k, o in enumerate(cfg.overrides) if o.matches(code, resource, field)), None)
        if i is None:
            continue
        o, n = cfg.overrides[i], report.counts.get(key, 0)
        listed[i]["findings"] += n
        run = report.runs[key]
        if o.severity == "ignore":
            report.counts.pop(key, None)
            report.findings = [f for f in report.findings if (f.code, f.resource, f.field) != key]
            if run.status == "failed":
                run.status, run.reason = "ignored", f"site configuration: {o.justification}"
            continue
        report.severities[key] = o.severity
        for f in report.findings:
            if (f.code, f.resource, f.field) == key:
                f.severity = o.severity
    report.meta["overrides"] = report.meta.get("overrides", []) + listed
    return report
