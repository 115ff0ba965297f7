"""What one validation run knows as it goes: the one argument of every check the validator dispatches.

``pedcomm.validation.run.validate`` fills it stage by stage and calls every Python check through
the registry with it (and, in the resource stage, the resource's name); the data checks are SQL
run by the check engine (``engine``, pedcomm.validation.engine.runner.Engine) on the tables the
resource stage loaded into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine.runner import Engine
    from .package import Package
    from .report import Report


@dataclass
class Validation:
    report: Report
    package: Package
    engine: Engine
    schemas: dict[str, dict] = field(default_factory=dict)  # resource -> the standard's Table Schema
    data: dict[str, bytes] = field(default_factory=dict)  # resource -> the file's first bytes (its header line)
    sizes: dict[str, int] = field(default_factory=dict)  # resource -> the file's size in bytes
    header: dict[str, list[str]] = field(default_factory=dict)  # resource -> the columns of its header line
    present: dict[str, list[str]] = field(default_factory=dict)  # resource -> the schema's fields in the file
    rows: dict[str, int] = field(default_factory=dict)  # resource -> rows read
    extra: dict[str, Any] = field(default_factory=dict)
