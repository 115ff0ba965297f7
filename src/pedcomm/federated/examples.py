"""Run the minimal invalid examples of the federated codes (validation/conformance/files/federated/).

Each example is a small YAML file: the sites, made as conformance packages (``packages``: a ``base``
package of the suite with ``edits``) and/or synthetic survey sites (``synth``: ``sites`` and
``seed`` of `pedcomm synth survey --sites`); per site (by declared id) the ``guards`` of its site.yaml;
``lose``: {site: round} makes a site stop answering in that round; ``max_abs_log_odds`` tightens
FEDERATED_MODEL_REFUSED's bound; ``flower: missing`` shows the refusal without Flower. The fit runs
in one process (pedcomm.federated.local) with the same site and centre code the Flower apps run.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..validation.conformance import materialize
from ..validation.report import Report


def run(path: str | Path, workdir: str | Path) -> Report:
    from . import centre
    from .guards import Guards
    from .local import LocalTransport
    from .run import unavailable
    from .site import Site

    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    if spec.get("flower") == "missing":
        return unavailable(Report(), "flwr cannot be imported (No module named 'flwr')")
    packages = [materialize(p, work / f"package{i}") for i, p in enumerate(spec.get("packages", []), start=1)]
    if "synth" in spec:
        from ..standard import SHIPPED_SEED
        from ..synth.sites import write_sites

        packages += write_sites("survey", int(spec["synth"]["sites"]), seed=int(spec["synth"].get("seed", SHIPPED_SEED)),
                                out=work / "synth")
    guards = spec.get("guards") or {}
    sites = []
    for i, package in enumerate(packages, start=1):
        from .run import _site_id

        name = _site_id(Path(package), f"site{i}")
        sites.append(Site(Path(package), Guards.from_config(guards.get(name)), work=_work(work, i), name=name))
    outcome = centre.run(LocalTransport(spec.get("lose")), sites, {"site_effects": spec.get("site_effects", "none")},
                         bound=spec.get("max_abs_log_odds"))
    return outcome.report


def _work(work: Path, i: int) -> Path:
    folder = work / f"work{i}"
    folder.mkdir(exist_ok=True)
    return folder
