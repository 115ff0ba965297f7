"""What a run of `pedcomm reproduce` did: the validation, the results of each study, what it wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..analysis.compare import STATUSES, Row
from ..analysis.result import StudyResult
from ..validation.run import Validated


class NothingToReproduce(Exception):
    """The package holds none of the studies' resources."""


@dataclass
class Outcome:
    """What a run did: the validation, and (if it got that far) what it wrote."""

    validated: Validated
    out: Path | None = None
    results: list[StudyResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # studies whose resources are absent
    unimplemented: list[str] = field(default_factory=list)  # studies present without a reproduction
    comparison: list[Row] = field(default_factory=list)
    files: dict[str, dict[str, str]] = field(default_factory=dict)  # table name -> format -> file

    @property
    def status_counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.comparison) for s in STATUSES}
