"""The centre's run of a federated fit, over any transport that carries requests to the sites.

Round 0 asks every site to describe itself; the sites that pass their guards (with the model terms
the centre expects) take part, the others are named with their reasons. With at least
FEDERATED_SITES_TOO_FEW's minimum of sites, both survey models are then fitted in lockstep (one
message to each site per round holds every model's next request; pedcomm.federated.iterate), and
each site's answers are summed. A site that stops answering stops the fit (FEDERATED_SITE_LOST);
a model without events, or whose coefficients diverge, is refused (FEDERATED_MODEL_REFUSED).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..validation.registry import check, parameter
from ..validation.report import Report
from .guards import relay
from .iterate import Estimate, NotEstimable, Plan, fit_model
from .iterate import Request as Task
from .protocol import Reply, Request


class SiteLost(Exception):
    """A site did not answer a request (its process ended, the connection dropped, time ran out)."""

    def __init__(self, site: str, detail: str):
        super().__init__(f"{site} {detail}")
        self.site, self.detail = site, detail


class Transport(Protocol):
    def exchange(self, request: Request, nodes: list) -> dict:
        """Send ``request`` to every node and return {node: Reply}; raise SiteLost."""
        ...


@dataclass
class Outcome:
    report: Report
    setup: dict
    sites: list[dict] = field(default_factory=list)  # {"site", "status", "codes"} for every site asked
    fitted: list = field(default_factory=list)  # pedcomm.studies.survey.analysis.models.FittedModel
    rounds: int = 0


@check("FEDERATED_SITES_TOO_FEW")
def too_few(report: Report, taking_part: int, asked: int) -> None:
    report.add("FEDERATED_SITES_TOO_FEW", detail=f"{taking_part} of {asked} sites can take part, fewer than the "
                                                 f"minimum of {parameter('FEDERATED_SITES_TOO_FEW', 'min_sites')}")


@check("FEDERATED_SITE_LOST")
def lost(report: Report, site: str, detail: str) -> None:
    report.add("FEDERATED_SITE_LOST", value=site, detail=detail)


@check("FEDERATED_MODEL_REFUSED")
def refused(report: Report, model: str, detail: str) -> None:
    report.add("FEDERATED_MODEL_REFUSED", value=model, detail=detail)


def expected_terms() -> dict[str, list[str]]:
    from ..studies.survey.analysis.design import config

    return {name: ["const", *m["covariates"]] for name, m in config()["models"].items()}


def run(transport: Transport, nodes: list, setup: dict, progress: Callable[[str], None] | None = None,
        bound: float | None = None) -> Outcome:
    """A whole federated fit; ``setup``: method, cluster, correction, site_effects (None: defaults);
    ``bound``: FEDERATED_MODEL_REFUSED's max_abs_log_odds unless given."""
    from ..studies.survey.analysis.models import ModelSettings

    settings = ModelSettings.from_config(setup.get("method"), setup.get("cluster"), setup.get("correction"))
    setup = {"method": settings.method, "cluster": settings.cluster, "correction": settings.correction,
             "site_effects": setup.get("site_effects") or "none", "n_sites": len(nodes)}
    outcome = Outcome(Report(), setup)
    say = progress or (lambda _m: None)
    say(f"round 0: asking {len(nodes)} sites to describe themselves")
    try:
        replies = transport.exchange(Request(0, setup), nodes)
    except SiteLost as e:
        lost(outcome.report, e.site, e.detail)
        return outcome
    expected = expected_terms()
    taking: dict = {}
    for node in nodes:
        reply: Reply = replies[node]
        codes = [f["code"] for f in reply.findings]
        for f in reply.findings:
            relay(outcome.report, f["code"], reply.site, f["detail"])
        if reply.status == "ok":
            wrong = [m for m, e in expected.items() if reply.info.get("models", {}).get(m, {}).get("terms") != e]
            if wrong:
                relay(outcome.report, "FEDERATED_SITE_INVALID", reply.site,
                      f"its {' and '.join(wrong)} model terms differ from the centre's (another pedcomm or survey.yaml)")
                codes.append("FEDERATED_SITE_INVALID")
            else:
                taking[node] = reply
        outcome.sites.append({"site": reply.site, "status": "taking part" if node in taking else "not taking part",
                              "codes": codes})
    outcome.sites.sort(key=lambda s: s["site"])
    if len(taking) < int(parameter("FEDERATED_SITES_TOO_FEW", "min_sites")):
        too_few(outcome.report, len(taking), len(nodes))
        return outcome
    names = {node: reply.site for node, reply in taking.items()}
    sites = sorted({s for reply in taking.values() for s in reply.info["sites"]})
    setup = {**setup, "sites": sites}
    outcome.setup = setup
    dummies = [f"site_{s}" for s in sites[1:]] if setup["site_effects"] == "fixed" else []
    plan = Plan(settings.method, settings.correlation, settings.correction, len(settings.dimensions))
    bound = float(parameter("FEDERATED_MODEL_REFUSED", "max_abs_log_odds") if bound is None else bound)
    counts = {m: {key: sum(r.info["models"][m][key] for r in taking.values())
                  for key in ("relationships", "events", "parents", "clinicians")} for m in expected}
    fits: dict[str, Generator[Task, dict, Estimate]] = {}
    pending: dict[str, Task] = {}
    for m in expected:
        n, events = counts[m]["relationships"], counts[m]["events"]
        if events == 0 or events == n:
            refused(outcome.report, m, f"its outcome has {'no events' if events == 0 else 'no non-events'} in the "
                                       f"{n} relationships of the taking-part sites")
            continue
        fits[m] = fit_model(plan, n, len(expected[m]) + len(dummies), bound)
        pending[m] = next(fits[m])
    estimates: dict[str, Estimate] = {}
    rnd = 0
    while pending:
        rnd += 1
        say(f"round {rnd}: " + ", ".join(f"{m} {kind}" for m, (kind, _) in pending.items()))
        try:
            got = transport.exchange(Request(rnd, setup, dict(pending)), list(taking))
        except SiteLost as e:
            lost(outcome.report, e.site, e.detail)
            outcome.rounds = rnd
            _finish(transport, rnd + 1, setup, [n for n in taking if names[n] != e.site])
            return outcome
        stopped = [node for node in taking if got[node].status != "ok"]
        for node in stopped:
            reply = got[node]
            why = reply.info.get("detail") or "; ".join(f["detail"] for f in reply.findings) or reply.status
            lost(outcome.report, names[node], f"answered round {rnd} with '{reply.status}' ({why})")
        if stopped:
            outcome.rounds = rnd
            _finish(transport, rnd + 1, setup, [n for n in taking if n not in stopped])
            return outcome
        for m in list(pending):
            summed = {name: sum(got[node].arrays[m][name] for node in taking) for name in got[next(iter(taking))].arrays[m]}
            try:
                pending[m] = fits[m].send(summed)
            except StopIteration as done:
                estimates[m] = done.value
                del pending[m]
            except NotEstimable as e:
                refused(outcome.report, m, str(e))
                del pending[m]
    outcome.rounds = rnd
    _finish(transport, rnd + 1, setup, list(taking))
    outcome.fitted = [_fitted(m, expected[m] + dummies, estimates[m], counts[m], settings) for m in expected
                      if m in estimates]
    return outcome


def _finish(transport: Transport, rnd: int, setup: dict, nodes: list) -> None:
    """Tell the sites still there that the run is over (so a site's command can stop); a site that
    does not hear it stops when its operator stops it."""
    if nodes:
        try:
            transport.exchange(Request(rnd, setup, finish=True), nodes)
        except SiteLost:
            pass


def _fitted(name: str, terms: list[str], est: Estimate, counts: dict, settings):
    from scipy import stats

    from ..analysis.guarded import WALD
    from ..studies.survey.analysis.design import config
    from ..studies.survey.analysis.models import FittedModel

    coef = np.asarray(est.coef, dtype=float)
    se = np.sqrt(np.clip(np.diag(est.cov), 0.0, None))
    z = float(stats.norm.ppf(0.5 + settings.level / 2))  # Wald intervals and p-values, as reproduce's ordinary fits
    p = 2 * stats.norm.sf(np.abs(coef / np.where(se > 0, se, np.nan)))
    return FittedModel(name=name, title=config()["models"][name]["title"], terms=terms, coef=coef, se=se,
                       n_relationships=counts["relationships"], n_parents=counts["parents"],
                       n_clinicians=counts["clinicians"], n_clusters=dict(zip(settings.dimensions, est.clusters)),
                       events=counts["events"], dependence=est.dependence, warnings=est.notes,
                       lower=coef - z * se, upper=coef + z * se, p=p, intervals=[WALD] * len(terms),
                       cov=np.asarray(est.cov), kept=list(terms))
