"""Run the minimal invalid examples of the analysis codes (validation/conformance/files/analysis/).

Each example is a small YAML file with a ``command``:

- ``reproduce``: ``package`` made like a conformance case (a ``base`` package of the suite with
  ``edits``, pedcomm.validation.conformance.materialize) and the reproduce ``options`` (method, cluster,
  correction); returns the validation report, or the refusal's report;
- ``clusters``: ``counts`` ({analysis: {clustering variable: clusters}}) judged by the cluster check.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..validation.report import Report


def run(path: str | Path, workdir: str | Path) -> Report:
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    command = spec["command"]
    if command == "reproduce":
        from ..analysis.clusters import ClusteringRefused
        from ..analysis.result import Options
        from ..validation.conformance import materialize
        from .run import reproduce

        pkg = materialize(spec.get("package", {}), work / "package")
        try:
            return reproduce(pkg, work / "out", options=Options(**spec.get("options", {}))).validated.report
        except ClusteringRefused as e:
            return e.report
    if command == "clusters":
        from ..analysis.clusters import check_clusters

        return check_clusters(spec["counts"])
    raise ValueError(f"unknown example command {command!r}")
