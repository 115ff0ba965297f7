"""The shape of a study's summary definition: what a site of that study may share instead of rows.

`pedcomm summarize` (pedcomm.sites.summarize) writes one summary per site and study: the parts every
study has (the site, the tool, the package, the disclosure settings and the count tables, each with
small cells suppressed by pedcomm.analysis.suppress) and the parts the study's definition adds (the
survey study's model estimates, the coding study's agreement statistics). `pedcomm meta` pools the
count tables of any study the same way and asks the definition to pool its own parts. A study's
record names its definition (``summary``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import standard
from .suppress import CountTable


@dataclass
class StudySummary:
    """What a study's definition builds from a site's validated tables (before suppression)."""

    tables: list[CountTable]
    #: study-specific parts of the summary document, in order (e.g. ``models``, ``agreement``)
    parts: dict[str, Any] = field(default_factory=dict)
    #: the analysis settings used (written into the summary; every site must use the same)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SummaryDefinition:
    #: resources a package must hold to be summarized for this study
    needs: tuple[str, ...]
    #: (tables, threshold, zeros, options) -> StudySummary; options: the command's --method/--cluster/--correction
    build: Callable[[dict[str, pd.DataFrame], int, bool, dict], StudySummary]
    #: SHA-256 of what defines the study's analysis (from its configuration and the site's validated
    #: tables, e.g. its codebook): sites whose summaries differ here are not combined
    specification: Callable[[dict[str, pd.DataFrame]], str]
    #: the sharing rule in words, beyond the count tables' (threshold) -> sentence
    rule: Callable[[int], str]
    #: the command's options the study uses (--method, --cluster, --correction) and the check of
    #: their values (raises ValueError before anything is read)
    options: tuple[str, ...] = ()
    check_options: Callable[[dict], None] = lambda options: None
    #: the study-specific keys of a summary, in document order (``models``, ``agreement``)
    parts: tuple[str, ...] = ()
    #: labels of model terms, for pooled tables and forest plots (studies with ``models``)
    labels: Callable[[], dict[str, str]] = dict
    #: the one-stage fit on a pooled package (`pedcomm meta --one-stage`): (validated tables, settings) -> estimates
    one_stage: Callable[[dict[str, pd.DataFrame], dict], pd.DataFrame] | None = None
    #: pooled study-specific parts for `pedcomm meta` beyond models and tables: (summaries) -> [Table]
    pool: Callable[[list[dict]], list] | None = None
    #: what its count tables count (the summary schema's ``unit``)
    units: tuple[str, ...] = ()
    #: JSON Schemas of its summaries' study-specific keys: {"settings": schema, "<part>": schema}
    #: (pedcomm.sites.summary_schema puts them into validation/site-summary.schema.json)
    schema: Callable[[], dict] = dict


def counts(series: pd.Series, codes: list[str]) -> tuple[list[str], list[int]]:
    """Each code's count in ``series``, then the missing values'."""
    s = series.astype("object")
    rows, n = list(codes), [int((s == c).sum()) for c in codes]
    rows.append("missing")
    n.append(int(s.isna().sum()))
    return rows, n


def distribution(name: str, title: str, unit: str, resource: str, column: str, series: pd.Series) -> CountTable:
    """A one-column count table of a categorical field, in its schema's order, with the missing values."""
    rows, n = counts(series, standard.enum(resource, column))
    return CountTable(name, title, unit, rows, [unit], np.array(n)[:, None], column_totals=True)
