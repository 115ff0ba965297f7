"""Run the minimal invalid examples of the analysis codes (validation/conformance/files/analysis/).

Each example is a small YAML file with a ``command``:

- ``reproduce``: ``package`` made like a conformance case (a ``base`` package of the suite with
  ``edits``, pedcomm.validation.conformance.materialize) and the reproduce ``options`` (method, cluster,
  correction); returns the validation report, or the refusal's report;
- ``clusters``: ``counts`` ({analysis: {clustering variable: clusters}}) judged by the cluster check;
- ``model``: one logistic model fitted the way every command fits it (analysis.guarded.fit_guarded):
  ``rows`` of ``[count, outcome, *covariates]`` expanded into relationships, ``terms`` naming the
  covariates, spread over ``clusters`` clinicians in turn (or ``cluster_sizes``: relationships per
  clinician, in row order), and the ``options`` (method, correction) of the command;
- ``agreement``: 2x2 agreement ``tables`` ({name: [both, first only, second only, neither]}) judged
  for degeneracy (analysis.agreement_checks).
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
    if command == "model":
        return _model(spec)
    if command == "agreement":
        from ..analysis.agreement_checks import degenerate_tables

        report = Report()
        degenerate_tables("intercoder agreement", [(k, tuple(v)) for k, v in spec["tables"].items()], report)
        return report
    raise ValueError(f"unknown example command {command!r}")


def _model(spec: dict) -> Report:
    import numpy as np
    import pandas as pd

    from ..analysis.guarded import fit_guarded

    rows = [r for count, *r in spec["rows"] for _ in range(int(count))]
    data = pd.DataFrame(rows, columns=["outcome", *spec["terms"]], dtype="float64")
    n = len(data)
    sizes = spec.get("cluster_sizes")
    if sizes:
        ids = np.repeat([f"c{i}" for i in range(len(sizes))], sizes)[:n]
    else:
        ids = np.array([f"c{i % int(spec.get('clusters', 30))}" for i in range(n)])
    X = data[spec["terms"]]
    X.insert(0, "const", 1.0)
    options = spec.get("options", {})
    fit = fit_guarded(X, data["outcome"], pd.Series(ids, name="clinician_id"), model=spec.get("model", "parent"),
                      method=options.get("method", "gee"), correction=options.get("correction", "bias_reduced"))
    return fit.report or Report()
