"""A site's side of a federated fit: its package in, sums out.

The site reads its own package (validated first, with its site.yaml), builds each survey model's
design matrix with the study's own model code (pedcomm.studies.survey: the analysis frame, the
model's complete cases, the site indicators of the one-stage fit), checks its disclosure guards
(pedcomm.federated.guards) and answers each request with the sums of pedcomm.federated.aggregates.
Every reply is checked (no array but the model's sums) and written to the audit file before it is
returned to the transport. In review mode the site answers round 0 and round 1 and then stops,
so a privacy officer can read what a round sends before the site takes part for real.

Each request may come in a new process (Flower starts one per message): the design matrices are
kept between requests in the site's own work folder (``cache.npz``, never sent), keyed by the
package files' digests and the run's settings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..analysis import sandwich
from . import aggregates, audit
from .guards import Disclosive, Guards, check_model, outgoing
from .protocol import Reply, Request

#: What a site is called before its package says
UNNAMED = "(unnamed site)"
INVALID = "FEDERATED_SITE_INVALID"


@dataclass
class ModelRows:
    """One model's rows at the site: design matrix, outcome, cluster codes (never sent)."""

    terms: list[str]
    X: np.ndarray
    y: np.ndarray
    working: np.ndarray  # codes of the GEE's working clusters (the first clustering dimension)
    groupings: list[np.ndarray]  # codes of each clustering dimension (and their intersection)
    parents: int
    clinicians: int
    sites: list[str]


@dataclass(eq=False)
class Site:
    package: Path
    guards: Guards
    config: object | None = None  # pedcomm.validation.config.SiteConfig
    audit_path: Path | None = None
    work: Path | None = None
    review: bool = False
    name: str = UNNAMED
    _rows: dict[str, ModelRows] = field(default_factory=dict)

    # -- reading the package -----------------------------------------------------------------
    def _frame(self, findings: list[tuple[str, str]]):
        """The analysis frame of the validated package, or None with FEDERATED_SITE_INVALID."""
        from ..standard.declaration import read
        from ..studies.survey.analysis.design import analysis_frame
        from ..validation.run import validate

        validated = validate(self.package, config=self.config)
        declared = read(validated.opened().descriptor).site if validated.opened() is not None else None
        self.name = declared or self.name
        if validated.report.status != "valid":
            errors = sorted({f.code for f in validated.report.findings if f.severity == "error"})
            findings.append((INVALID, f"its package has errors ({', '.join(errors) or 'see pedcomm validate'})"))
            return None
        if declared is None:
            findings.append((INVALID, "its package declares no single site (\"pedcomm\": {\"site\": ...} in datapackage.json)"))
            return None
        needed = ("survey_relationships", "survey_parents", "survey_clinicians")
        if not all(n in validated.tables for n in needed):
            findings.append((INVALID, "its package does not hold the survey study's tables"))
            return None
        return analysis_frame(validated.tables)

    def _fingerprint(self, setup: dict) -> str:
        from ..files.inputs import package_files
        from ..files.markers import sha256_file

        h = hashlib.sha256(json.dumps(setup, sort_keys=True).encode())
        for p in package_files(self.package):
            if p.is_file():
                h.update(str(p).encode() + sha256_file(p).encode())
        return h.hexdigest()

    def _build(self, frame, setup: dict) -> dict[str, ModelRows]:
        from ..studies.survey.analysis.design import config, design
        from ..studies.survey.analysis.models import ModelSettings
        from ..studies.survey.onestage import site_indicators

        settings = ModelSettings.from_config(setup["method"], setup["cluster"], setup["correction"])
        out = {}
        for name in config()["models"]:
            X, y, groups = design(frame, name)
            if setup["site_effects"] == "fixed" and setup.get("sites"):
                dummies = site_indicators(groups["site_id"], levels=setup["sites"])
                X = X.join(dummies.set_index(X.index))
            dims = [groups[d].to_numpy() for d in settings.dimensions]
            groupings = [sandwich.codes(d) for d in dims]
            if len(dims) == 2:
                groupings.append(sandwich.intersection(*dims))
            out[name] = ModelRows(list(X.columns), X.to_numpy(dtype="float64"), y.to_numpy(dtype="float64"),
                                  groupings[0], groupings, int(groups["parent_id"].nunique()),
                                  int(groups["clinician_id"].nunique()), sorted(groups["site_id"].astype(str).unique()))
        return out

    def _load(self, setup: dict, findings: list[tuple[str, str]]) -> dict[str, ModelRows] | None:
        key = self._fingerprint(setup)
        cache = self.work / "cache.npz" if self.work is not None else None
        if cache is not None and cache.is_file():
            with np.load(cache, allow_pickle=False) as z:
                if str(z["key"]) == key:
                    meta = json.loads(str(z["meta"]))
                    self.name = meta["site"]
                    return {m: ModelRows(d["terms"], z[f"{m}.X"], z[f"{m}.y"], z[f"{m}.g0"],
                                         [z[f"{m}.g{i}"] for i in range(d["groupings"])], d["parents"],
                                         d["clinicians"], d["sites"]) for m, d in meta["models"].items()}
        frame = self._frame(findings)
        if frame is None:
            return None
        rows = self._build(frame, setup)
        if cache is not None:
            arrays = {}
            meta = {"site": self.name, "models": {}}
            for m, r in rows.items():
                arrays.update({f"{m}.X": r.X, f"{m}.y": r.y, **{f"{m}.g{i}": g for i, g in enumerate(r.groupings)}})
                meta["models"][m] = {"terms": r.terms, "groupings": len(r.groupings), "parents": r.parents,
                                     "clinicians": r.clinicians, "sites": r.sites}
            tmp = cache.with_name("cache.tmp.npz")
            np.savez(tmp, **{"key": np.array(key), "meta": np.array(json.dumps(meta)), **arrays})  # type: ignore[arg-type]
            tmp.replace(cache)
        return rows

    # -- answering ---------------------------------------------------------------------------
    def answer(self, request: Request) -> Reply:
        """The reply to one request, audited before it is returned."""
        findings: list[tuple[str, str]] = []
        reply = self._answer(request, findings)
        reply.findings += [{"code": code, "detail": detail} for code, detail in findings]
        if reply.findings and reply.status == "ok":  # a refusing site sends its findings only: no count, no sum
            reply.status = "refused"
            reply.arrays, reply.info = {}, {}
        if self.audit_path is not None:
            audit.write(self.audit_path, request, reply)
        return reply

    def _answer(self, request: Request, findings: list[tuple[str, str]]) -> Reply:
        setup = request.setup
        if request.finish:
            return Reply(self.name, "finished")
        if self.review and request.round > 1:
            return Reply(self.name, "stopped", info={"detail": "stopped after round 1 (review mode)"})
        rows = self._load({**{k: setup.get(k) for k in ("method", "cluster", "correction", "site_effects")},
                           "sites": setup.get("sites")}, findings)
        if rows is None:
            return Reply(self.name)
        if request.round == 0:
            return self._describe(rows, setup, findings)
        out: dict[str, dict[str, np.ndarray]] = {}
        for model, (kind, arrays) in request.tasks.items():
            r = rows[model]
            out[model] = self._task(r, kind, arrays, setup)
        try:
            outgoing(out, {m: rows[m].X.shape[1] for m in out})
        except Disclosive as e:
            return Reply(self.name, "failed", info={"detail": str(e)})
        return Reply(self.name, arrays=out)

    def _describe(self, rows: dict[str, ModelRows], setup: dict, findings: list[tuple[str, str]]) -> Reply:
        info: dict = {"sites": sorted({s for r in rows.values() for s in r.sites}), "models": {}}
        extra = max(int(setup.get("n_sites", 1)) - 1, 0) if setup.get("site_effects") == "fixed" else 0
        for model, r in rows.items():
            terms = r.terms + [f"site indicator {i + 1}" for i in range(extra)]
            X = np.hstack([r.X, np.zeros((len(r.y), extra))])
            findings += check_model(model, X, r.y, terms, self.guards)
            info["models"][model] = {"terms": r.terms, "relationships": int(len(r.y)), "events": int(r.y.sum()),
                                     "parents": r.parents, "clinicians": r.clinicians}
        return Reply(self.name, info=info)

    @staticmethod
    def _task(r: ModelRows, kind: str, arrays: dict[str, np.ndarray], setup: dict) -> dict[str, np.ndarray]:
        beta = arrays.get("beta")
        alpha = float(arrays["alpha"][0]) if "alpha" in arrays else 0.0
        if kind == "irls":
            return aggregates.irls(r.X, r.y, beta)
        if beta is None:
            raise ValueError(f"a {kind} request without coefficients")
        if kind == "gee":
            return aggregates.gee_step(r.X, r.y, r.working, beta, alpha)
        if kind == "moments":
            return aggregates.moments(r.X, r.y, r.working, beta)
        if kind == "meats":
            return aggregates.meats(r.X, r.y, r.working, r.groupings, beta, alpha, arrays["bread_inv"],
                                    setup["correction"] == "bias_reduced")
        raise ValueError(f"unknown request kind {kind!r}")
