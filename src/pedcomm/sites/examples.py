"""Run the minimal invalid examples of the multi-site codes (validation/conformance/files/sites/).

Each example is a small YAML file: ``command`` (validate, pool or meta) and its inputs:

- ``package`` (validate) and ``sites`` (pool): packages made like conformance cases, a ``base``
  package of the suite with ``edits`` (pedcomm.validation.conformance.apply);
- ``config`` (validate): the site configuration, written to site.yaml;
- ``summaries`` (meta): site summaries, each merged onto a minimal valid summary (TEMPLATE);
  ``files``: JSON documents written as they are.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import yaml

from ..validation.conformance import materialize
from ..validation.report import Report

#: A minimal valid site summary (what `pedcomm summarize` writes, with one small model and one
#: small table; it follows validation/site-summary.schema.json).
TEMPLATE = {
    "format": "pedcomm-site-summary", "formatVersion": "1.1", "site": "A", "schemaVersion": "0.1.0",
    "modelSpecification": "sha256:" + "0" * 64,
    "tool": {"name": "pedcomm", "version": "0.1.0", "standard": "0.1.0"},
    "package": {"name": "example-site-a", "version": "0.1.0", "descriptorSha256": "0" * 64},
    "study": "survey",
    "settings": {"method": "gee", "cluster": "clinician_id", "correlation": "exchangeable", "correction": "bias_reduced",
                 "scale": "log odds ratio"},
    "disclosure": {"threshold": 11, "zeros_suppressed": False, "rule": "every count from 1 to 10 is suppressed (null)",
                   "overrides": []},
    "models": [{"name": "parent", "title": "Parent-reported challenging relationship", "outcome": "parent_challenging",
                "terms": ["const", "anxiety"], "status": "shared", "coef": [-1.2, 0.7],
                "cov": [[0.04, -0.01], [-0.01, 0.05]], "n_relationships": 120, "events": 30, "n_clusters": 25,
                "warnings": []}],
    "tables": [{"name": "parents_sex", "title": "Parents by sex", "unit": "parents", "rows": ["female", "male", "missing"],
                "columns": ["parents"], "cells": [[80], [40], [0]], "column_totals": [120],
                "suppressed": {"primary": 0, "complementary": 0}}],
}


def run(path: str | Path, workdir: str | Path) -> Report:
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    command = spec["command"]
    if command == "validate":
        from ..validation.config import ConfigError, parse, refuse
        from ..validation.run import validate

        pkg = materialize(spec.get("package", {}), work / "package")
        try:
            cfg = parse(spec.get("config"), "site.yaml")
        except ConfigError as e:
            return refuse(Report(), e)
        return validate(pkg, config=cfg).report
    if command == "pool":
        from .pool import pool

        sites = [materialize(s, work / f"site{i}") for i, s in enumerate(spec["sites"], start=1)]
        outcome = pool(sites, work / "pooled")
        return outcome.report
    if command == "meta":
        from .meta import meta

        files = []
        for i, s in enumerate(spec.get("summaries", []), start=1):
            files.append((f"summary{i}.json", {**copy.deepcopy(TEMPLATE), **s}))
        for i, doc in enumerate(spec.get("files", []), start=1):
            files.append((f"file{i}.json", doc))
        paths = []
        for name, doc in files:
            (work / name).write_text(json.dumps(doc), encoding="utf-8")
            paths.append(work / name)
        return meta(paths, work / "meta").report
    if command == "dashboard":
        from .dashboard import NothingToShow, dashboard

        paths = []
        for i, doc in enumerate(spec.get("files", []), start=1):
            (work / f"file{i}.json").write_text(json.dumps(doc), encoding="utf-8")
            paths.append(work / f"file{i}.json")
        try:
            return dashboard(paths, work / "dashboard.html").report
        except NothingToShow as e:  # no file was usable: the page is refused, the findings stand
            return e.report
    raise ValueError(f"unknown example command {command!r}")
