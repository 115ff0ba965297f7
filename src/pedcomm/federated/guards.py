"""A site's disclosure guards for federated fits, and their settings in site.yaml.

The defaults are the registry's (validation/checks.yaml: FEDERATED_SITE_TOO_SMALL,
FEDERATED_SITE_PARAMETERS, FEDERATED_SITE_SMALL_CELL with SUMMARY_DISCLOSURE's minimum threshold);
a site may make them stricter in its site.yaml, never looser::

    federated:
      min_relationships: 50        # at least the default
      max_parameter_share: 0.2     # at most the default
      min_cell: 11                 # at least the default

A guard that fails makes the site answer the centre's first request with the finding and send
nothing else (pedcomm.federated.site). Every array a site sends is checked by ``outgoing`` before
it is written to the audit file and sent: no array may have a dimension other than the model's
number of terms, 1, or the handful of fixed sizes of its kind, so no per-row vector can leave.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation.config import ConfigError
from ..validation.registry import check, parameter
from ..validation.report import Report

KEYS = ("min_relationships", "max_parameter_share", "min_cell")


@dataclass(frozen=True)
class Guards:
    min_relationships: int
    max_parameter_share: float
    min_cell: int

    @classmethod
    def defaults(cls) -> Guards:
        return cls(int(parameter("FEDERATED_SITE_TOO_SMALL", "min_relationships")),
                   float(parameter("FEDERATED_SITE_PARAMETERS", "max_parameter_share")),
                   int(parameter("SUMMARY_DISCLOSURE", "minimum_threshold")))

    @classmethod
    def from_config(cls, settings: dict | None, where: str = "site.yaml") -> Guards:
        """The guards of a site.yaml's ``federated`` mapping; ConfigError for an unknown key, a
        value of the wrong type, or a guard looser than the default."""
        d = cls.defaults()
        settings = settings or {}
        if not isinstance(settings, dict):
            raise ConfigError(f"{where}: 'federated' must be a mapping of {', '.join(KEYS)}")
        unknown = sorted(set(map(str, settings)) - set(KEYS))
        if unknown:
            raise ConfigError(f"{where}: federated has unknown keys: {', '.join(unknown)} (allowed: {', '.join(KEYS)})")
        values = {}
        for key in KEYS:
            default = getattr(d, key)
            value = settings.get(key, default)
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or not np.isfinite(value) or (isinstance(default, int) and value != int(value)):  # int(nan) raises
                raise ConfigError(f"{where}: federated.{key} must be a {'whole ' if isinstance(default, int) else ''}number")
            looser = value > default if key == "max_parameter_share" else value < default
            if looser or value <= 0:
                bound = "at most" if key == "max_parameter_share" else "at least"
                raise ConfigError(f"{where}: federated.{key} is {value}; it must be {bound} {default} (pedcomm's default, "
                                  "which a site may make stricter, never looser)")
            values[key] = type(default)(value)
        return cls(**values)


def _cells(X: np.ndarray, y: np.ndarray, terms: list[str]) -> list[tuple[str, int]]:
    """The counts the first sums reveal: each binary term's levels and its levels by outcome, and
    the events and non-events."""
    out = [("events", int(y.sum())), ("non-events", int(len(y) - y.sum()))]
    for j, term in enumerate(terms):
        x = X[:, j]
        if term == "const" or not np.isin(x, (0.0, 1.0)).all():
            continue
        for level in (1.0, 0.0):
            at = x == level
            name = f"{term} = {int(level)}"
            out += [(name, int(at.sum())), (f"{name} with the outcome", int(y[at].sum())),
                    (f"{name} without the outcome", int(at.sum() - y[at].sum()))]
    return out


def check_model(model: str, X: np.ndarray, y: np.ndarray, terms: list[str], guards: Guards) -> list[tuple[str, str]]:
    """The guards one model fails at the site: (code, detail) pairs."""
    n, k = X.shape
    # the details leave the site with the refusal: they name the guard and the cells, never a count
    if n < guards.min_relationships:
        return [("FEDERATED_SITE_TOO_SMALL", f"the {model} model has fewer relationships than the minimum of "
                                             f"{guards.min_relationships}")]
    out = []
    if k > guards.max_parameter_share * n:
        out.append(("FEDERATED_SITE_PARAMETERS", f"the {model} model's {k} terms are more than "
                                                 f"{guards.max_parameter_share:g} of its relationships"))
    small = [name for name, count in _cells(X, y, terms) if 0 < count < guards.min_cell]
    if small:
        out.append(("FEDERATED_SITE_SMALL_CELL", f"in the {model} model, {len(small)} counts are above 0 and below the "
                                                 f"small-cell threshold of {guards.min_cell}: " + "; ".join(small[:5])
                    + ("; ..." if len(small) > 5 else "")))
    return out


def relay(report: Report, code: str, site: str, detail: str) -> None:
    """Add a site's finding (one of the site codes) to ``report``: at the site, and again at the centre."""
    SITE_FINDINGS[code](report, site, detail)


@check("FEDERATED_SITE_TOO_SMALL")
def too_small(report: Report, site: str, detail: str) -> None:
    report.add("FEDERATED_SITE_TOO_SMALL", value=site, detail=detail)


@check("FEDERATED_SITE_PARAMETERS")
def too_many(report: Report, site: str, detail: str) -> None:
    report.add("FEDERATED_SITE_PARAMETERS", value=site, detail=detail)


@check("FEDERATED_SITE_SMALL_CELL")
def small_cell(report: Report, site: str, detail: str) -> None:
    report.add("FEDERATED_SITE_SMALL_CELL", value=site, detail=detail)


@check("FEDERATED_SITE_INVALID")
def invalid(report: Report, site: str, detail: str) -> None:
    report.add("FEDERATED_SITE_INVALID", value=site, detail=detail)


class Disclosive(Exception):
    """An array about to leave a site is not a sum of the model's size."""


#: The fixed sizes of the arrays a site sends besides the model's k (see aggregates)
FIXED_SIZES = {"deviance": (1,), "moments": (4,), "clusters": (1, 3)}


def outgoing(arrays: dict[str, dict[str, np.ndarray]], terms: dict[str, int]) -> None:
    """Refuse (Disclosive) any array whose shape is not k, k x k or a fixed small size for its model."""
    for model, named in arrays.items():
        k = terms[model]
        for name, a in named.items():
            shape = tuple(np.shape(a))
            allowed = shape in ((k,), (k, k)) or shape in [(s,) for s in FIXED_SIZES.get(name, ())]
            if not allowed or not np.all(np.isfinite(a)):
                raise Disclosive(f"the {model} model's {name} array of shape {shape} is not a finite sum of the "
                                 f"model's size ({k} terms); it was not sent")


SITE_FINDINGS = {"FEDERATED_SITE_TOO_SMALL": too_small, "FEDERATED_SITE_PARAMETERS": too_many,
                 "FEDERATED_SITE_SMALL_CELL": small_cell, "FEDERATED_SITE_INVALID": invalid}
