"""`pedcomm summarize`: what a site may share instead of rows, for each registered study.

The parts every study's summary has are written here: the site, the standard and tool versions, the
package's name and descriptor hash, the disclosure settings and the count tables with small cells
suppressed (pedcomm.analysis.suppress). The study's summary definition (its record's ``summary``,
pedcomm.analysis.summary.SummaryDefinition) builds the tables and its own parts: the survey study's
model estimates, the coding study's agreement statistics. No identifier, no row-level value and no
list longer than a model's terms leave the site. Every summary is checked against
validation/site-summary.schema.json by `pedcomm meta`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .._base import __version__
from ..analysis.suppress import DEFAULT_THRESHOLD, MINIMUM_THRESHOLD, as_dict
from ..standard.declaration import read, standard_version
from ..validation.run import Validated, validate

FORMAT = "pedcomm-site-summary"
#: 1.1 adds ``modelSpecification``; 1.2 adds summaries of the coding study (``study``: coding, with
#: ``agreement``); 1.3 marks a survey model shared as a bias-reduced (Firth-type) fit because it is
#: separated (``estimator``, ``separated``). Every summary is checked against validation/site-summary.schema.json.
FORMAT_VERSION = "1.3"


class NotSummarizable(Exception):
    """The package cannot be summarized (no study with a summary, or no single declared site)."""


@dataclass
class Summarized:
    validated: Validated
    summary: dict | None = None  # None when the package has errors


def _text(value, limit: int = 200):
    """A text of the site's own (package name, a justification) as it may leave the site: through
    the one masking path (pedcomm.validation.masking), so nothing the identifier screen flags is shared."""
    from ..validation.masking import shown_one

    return None if value is None else shown_one(str(value), limit=limit)


def summary_studies() -> list:
    """The registered studies that define a summary."""
    from ..studies import registered

    return [s for s in registered() if s.summary is not None]


def definition(study: str):
    from ..studies import get

    s = get(study)
    if s.summary is None:
        raise ValueError(f"the {study} study defines no summary")
    return s.summary()


def _unused(study: str, options: dict) -> list[str]:
    """The options given that the study's summary does not use."""
    uses = definition(study).options
    return [f"--{k}" for k, v in options.items() if v is not None and k not in uses]


def check_options(study: str | None, options: dict) -> None:
    """Raise ValueError for an unknown study, an option the study does not use, or a value its
    summary cannot use (before anything is read). Without --study, the options are checked by
    every study that uses them."""
    names = [s.name for s in summary_studies()]
    if study is not None and study not in names:
        raise ValueError(f"--study is {study!r}; it must be one of {', '.join(names)}")
    for name in [study] if study is not None else names:
        unused = _unused(name, options)
        if unused and study is not None:
            raise ValueError(f"--study is {study}: {', '.join(unused)} do not apply to its summary")
        if not unused:
            definition(name).check_options(options)


def disclosure_rule(threshold: int, zeros: bool, study_rule: str) -> str:
    return (f"every count from {0 if zeros else 1} to {threshold - 1} is suppressed (null), and in every row or column "
            "with exactly one suppressed number the next smallest is suppressed too; " + study_rule)


def summarize(path: str | Path, *, threshold: int = DEFAULT_THRESHOLD, zeros: bool = False, method: str | None = None,
              cluster: str | None = None, config=None, progress=None, correction: str | None = None,
              study: str | None = None) -> Summarized:
    """Validate a site package and build its shareable summary of ``study`` (by default the first
    registered study the package holds); None when the package has errors."""
    if threshold < MINIMUM_THRESHOLD:
        raise ValueError(f"the suppression threshold must be at least {MINIMUM_THRESHOLD} (pedcomm's minimum)")
    options = {"method": method, "cluster": cluster, "correction": correction}
    check_options(study, options)  # ValueError for an unknown choice
    if progress:
        progress("validating")
    validated = validate(path, config=config)
    if validated.report.status != "valid":
        return Summarized(validated)
    d = read(validated.opened().descriptor)
    if d.site is None:
        raise NotSummarizable("the package declares no single site (add \"pedcomm\": {\"site\": ...} to datapackage.json)")
    t = validated.tables
    held = [s.name for s in summary_studies() if all(n in t for n in s.summary().needs)]
    if study is None:
        if not held:
            raise NotSummarizable("the package holds no study with a summary (summaries cover the "
                                  + " and ".join(s.name for s in summary_studies()) + " studies)")
        study = held[0]
    elif study not in held:
        raise NotSummarizable(f"the package does not hold the {study} study's tables")
    unused = _unused(study, options)
    if unused:
        raise NotSummarizable(f"{', '.join(unused)} do not apply to the {study} study's summary")
    spec = definition(study)
    if progress:
        progress(f"summarizing the {study} study")
    built = spec.build(t, threshold, zeros, options)
    desc_bytes = validated.opened().descriptor_path.read_bytes()
    summary = {
        "format": FORMAT, "formatVersion": FORMAT_VERSION,
        "site": d.site, "schemaVersion": d.schema_version or standard_version(),
        "modelSpecification": spec.specification(t),
        "tool": {"name": "pedcomm", "version": __version__, "standard": standard_version()},
        "package": {"name": _text(validated.opened().descriptor.get("name")),
                    "version": _text(validated.opened().descriptor.get("version"), 40),
                    "descriptorSha256": hashlib.sha256(desc_bytes).hexdigest()},
        "study": study,
        "settings": built.settings,
        "disclosure": {"threshold": threshold, "zeros_suppressed": zeros,
                       "rule": disclosure_rule(threshold, zeros, spec.rule(threshold)),
                       "overrides": [{k: _text(o[k], 2000) for k in ("code", "scope", "from", "to", "justification")}
                                     for o in validated.report.meta.get("overrides", [])]},
        **{name: built.parts[name] for name in spec.parts},
        "tables": [as_dict(tab, threshold, zeros) for tab in built.tables],
    }
    return Summarized(validated, summary)


def dumps(summary: dict) -> str:
    import json

    return json.dumps(summary, indent=1, ensure_ascii=False) + "\n"
