"""What the centre and a site say to each other, whatever carries it (Flower, or a function call in
the tests and the registry's examples).

A request holds the run's settings (``setup``: the estimator, clustering and correction, the site
effects and, once known, every taking-part site's id) and, per model, one task: a kind and its
arrays (pedcomm.federated.iterate). The first request of a run (round 0, kind ``describe``) asks a
site which site it is, how many relationships, events, parents and clinicians each model has, and
whether it passes its disclosure guards. A reply holds the site's status (``ok``, ``refused`` by a
guard, ``stopped`` in review mode, ``failed``), its findings (code and detail), the description in
round 0 and, per model, the arrays of its answer: sums whose sizes depend only on the number of
terms, never on the number of rows (pedcomm.federated.audit checks every array before it leaves).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

#: The settings of a run a site needs (ModelSettings' names, plus the site effects)
SETUP_KEYS = ("method", "cluster", "correction", "site_effects")
SITE_EFFECTS = ("none", "fixed")


@dataclass
class Request:
    round: int
    setup: dict  # method, cluster, correction, site_effects; "sites": every taking-part site (from round 1)
    tasks: dict[str, tuple[str, dict[str, np.ndarray]]] = field(default_factory=dict)  # model -> (kind, arrays)
    finish: bool = False  # the last message of a run: the site sends nothing and may stop

    @property
    def kind(self) -> str:
        return "finish" if self.finish else "describe" if self.round == 0 else "fit"


@dataclass
class Reply:
    site: str
    status: str = "ok"  # ok | refused | stopped | failed | finished
    findings: list[dict] = field(default_factory=list)  # {"code": ..., "detail": ...}
    info: dict = field(default_factory=dict)  # round 0: {"sites": [...], "models": {name: counts and terms}}
    arrays: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # model -> name -> array


def header(obj: Request | Reply) -> str:
    """The JSON part of a message (everything but the arrays)."""
    if isinstance(obj, Request):
        return json.dumps({"round": obj.round, "setup": obj.setup, "finish": obj.finish,
                           "tasks": {m: kind for m, (kind, _) in obj.tasks.items()}}, sort_keys=True)
    return json.dumps({"site": obj.site, "status": obj.status, "findings": obj.findings, "info": obj.info},
                      sort_keys=True)


def flat_arrays(arrays: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """``model.name`` -> array (one level, as a Flower ArrayRecord holds them)."""
    return {f"{m}.{n}": np.ascontiguousarray(a, dtype="<f8") for m, d in arrays.items() for n, a in d.items()}


def nested_arrays(flat: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, a in flat.items():
        model, _, name = key.partition(".")
        out.setdefault(model, {})[name] = np.asarray(a, dtype="float64")
    return out


def request_from(head: str, flat: dict[str, np.ndarray]) -> Request:
    h = json.loads(head)
    arrays = nested_arrays(flat)
    return Request(int(h["round"]), h["setup"], {m: (kind, arrays.get(m, {})) for m, kind in h["tasks"].items()},
                   bool(h.get("finish")))


def reply_from(head: str, flat: dict[str, np.ndarray]) -> Reply:
    h = json.loads(head)
    return Reply(str(h["site"]), h["status"], list(h["findings"]), dict(h["info"]), nested_arrays(flat))


def request_arrays(request: Request) -> dict[str, dict[str, np.ndarray]]:
    return {m: arrays for m, (_, arrays) in request.tasks.items() if arrays}
