"""The Flower apps of the federated fit (Flower's Deployment Engine: a SuperLink at the centre, a
SuperNode at each site; `flwr run` starts them from federated/app/pyproject.toml).

- ``server_app`` runs at the centre, next to the SuperLink: it waits for the expected number of
  sites to connect, then runs pedcomm.federated.centre over ``FlowerTransport`` and writes the
  outcome (JSON) to the run configuration's ``result`` path, where the pedcomm command that started
  the run reads it.
- ``client_app`` runs at each site, one process per message (Flower starts it from the site's
  SuperNode): it answers the request with pedcomm.federated.site for the package named in the
  SuperNode's node configuration (``package``, and ``config``, ``audit``, ``work``, ``review``).

Messages are ``query`` messages holding a ConfigRecord ``header`` (the JSON of
pedcomm.federated.protocol) and an ArrayRecord ``arrays`` (the float64 arrays, ``model.name``).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
from flwr.app import Array, ArrayRecord, ConfigRecord, Context, Message, RecordDict
from flwr.clientapp import ClientApp
from flwr.serverapp import Grid, ServerApp

from .centre import SiteLost
from .protocol import Reply, Request, flat_arrays, header, reply_from, request_arrays, request_from

server_app = ServerApp()
client_app = ClientApp()

MESSAGE_TYPE = "query"
POLL = 0.1  # seconds between two looks for replies


def _content(head: str, arrays: dict[str, np.ndarray]) -> RecordDict:
    return RecordDict({"header": ConfigRecord({"json": head}),
                       "arrays": ArrayRecord({k: Array(v) for k, v in arrays.items()})})


def _parts(content: RecordDict) -> tuple[str, dict[str, np.ndarray]]:
    head = str(content.config_records["header"]["json"])
    arrays = {k: a.numpy() for k, a in content.array_records["arrays"].items()}
    return head, arrays


class FlowerTransport:
    """Requests to SuperNodes through the Grid; a node that does not answer within ``timeout``
    seconds, answers with an error or leaves the federation is lost (SiteLost)."""

    def __init__(self, grid: Grid, timeout: float):
        self.grid, self.timeout = grid, timeout
        self.names: dict[int, str] = {}

    def _name(self, node: int) -> str:
        return self.names.get(node, f"(node {node})")

    def _pull(self, waiting: dict, out: dict, rnd: int) -> None:
        for msg in self.grid.pull_messages(list(waiting)):
            node = waiting.pop(msg.metadata.reply_to_message_id, None)
            if node is None:
                continue
            if msg.has_error():
                raise SiteLost(self._name(node), f"failed in round {rnd} ({msg.error.reason})")
            reply: Reply = reply_from(*_parts(msg.content))
            self.names[node] = reply.site
            out[node] = reply

    def exchange(self, request: Request, nodes: list) -> dict:
        content = _content(header(request), flat_arrays(request_arrays(request)))
        messages = [Message(content, dst_node_id=node, message_type=MESSAGE_TYPE) for node in nodes]
        ids = list(self.grid.push_messages(messages))
        if len(ids) != len(nodes) or any(i is None or i == "" for i in ids):
            raise SiteLost(self._name(nodes[0]), f"could not be sent round {request.round}")
        waiting = dict(zip(ids, nodes))
        out: dict = {}
        end = time.monotonic() + self.timeout
        while waiting:
            self._pull(waiting, out, request.round)
            if not waiting:
                break
            online = set(self.grid.get_node_ids())
            if any(n not in online for n in waiting.values()):
                self._pull(waiting, out, request.round)  # a site may leave right after its last reply
                gone = [n for n in waiting.values() if n not in online]
                if gone:
                    raise SiteLost(self._name(gone[0]), f"left the federation during round {request.round}")
            if time.monotonic() > end:
                node = next(iter(waiting.values()))
                raise SiteLost(self._name(node), f"did not answer round {request.round} within {self.timeout:g} seconds")
            time.sleep(POLL)
        return out


def outcome_json(outcome) -> dict:
    return {"setup": outcome.setup, "rounds": outcome.rounds, "sites": outcome.sites,
            "findings": [{"code": f.code, "value": f.value, "message": f.message, "action": f.action,
                          "severity": f.severity} for f in outcome.report.sorted_findings()],
            "fitted": [{"name": m.name, "title": m.title, "terms": m.terms, "coef": [float(x) for x in m.coef],
                        "se": [float(x) for x in m.se], "n_relationships": m.n_relationships, "n_parents": m.n_parents,
                        "n_clinicians": m.n_clinicians, "n_clusters": m.n_clusters, "events": m.events,
                        "dependence": m.dependence, "warnings": m.warnings, "lower": [float(x) for x in m.lower],
                        "upper": [float(x) for x in m.upper], "p": [float(x) for x in m.p], "intervals": m.intervals,
                        "kept": m.kept} for m in outcome.fitted]}


def _write(path: str, doc: dict) -> None:
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    os.replace(tmp, path)


@server_app.main()
def main(grid: Grid, context: Context) -> None:
    from . import centre

    cfg = context.run_config
    result = str(cfg["result"])
    expected, wait = int(cfg["sites"]), float(cfg["wait"])
    end = time.monotonic() + wait
    while len(list(grid.get_node_ids())) < expected and time.monotonic() < end:
        time.sleep(POLL)
    nodes = sorted(grid.get_node_ids())
    setup = {"method": str(cfg["method"]) or None, "cluster": str(cfg["cluster"]) or None,
             "correction": str(cfg["correction"]) or None, "site_effects": str(cfg["site-effects"])}
    outcome = centre.run(FlowerTransport(grid, float(cfg["round-timeout"])), nodes, setup,
                         progress=lambda m: print(f"pedcomm: {m}", flush=True))
    doc = outcome_json(outcome)
    doc["connected"] = len(nodes)
    _write(result, doc)


@client_app.query()
def answer(msg: Message, context: Context) -> Message:
    from .guards import Guards
    from .site import Site

    node = context.node_config
    config = None
    settings = None
    if str(node.get("config", "")):
        from ..validation.config import load

        config = load(str(node["config"]))
        settings = getattr(config, "federated", None)
    site = Site(Path(str(node["package"])), Guards.from_config(settings), config,
                Path(str(node["audit"])) if str(node.get("audit", "")) else None,
                Path(str(node["work"])) if str(node.get("work", "")) else None,
                str(node.get("review", "false")).lower() == "true")
    reply = site.answer(request_from(*_parts(msg.content)))
    return Message(_content(header(reply), flat_arrays(reply.arrays)), reply_to=msg)
