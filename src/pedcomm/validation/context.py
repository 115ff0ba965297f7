"""What one validation run knows as it goes: the one argument of every check the validator dispatches.

``pedcomm.validation.run.validate`` fills it stage by stage and calls every check through the
registry with it (and, in the resource stage, the resource's name); a check reads what earlier
stages produced and records its own results here and its findings in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .package import Package
    from .report import Report


@dataclass
class Validation:
    report: Report
    package: Package
    schemas: dict[str, dict] = field(default_factory=dict)  # resource -> the standard's Table Schema
    data: dict[str, bytes] = field(default_factory=dict)  # resource -> the file's bytes (until parsed)
    raw: dict[str, pd.DataFrame] = field(default_factory=dict)  # resource -> cells as text, by file row
    present: dict[str, list[str]] = field(default_factory=dict)  # resource -> the schema's fields in the file
    rows: dict[str, int] = field(default_factory=dict)  # resource -> rows read
    typed: dict[str, pd.DataFrame] = field(default_factory=dict)  # complete tables, typed
    unkeyed: set[str] = field(default_factory=set)  # tables whose rows cannot be told apart
    extra: dict[str, Any] = field(default_factory=dict)
