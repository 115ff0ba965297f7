"""The sites in the centre's own process: the transport of the registry's examples and of the tests
of the arithmetic. Every request and reply goes through the same encoding as a Flower message (a
JSON header and a flat set of float64 arrays), so what a site computes reaches the centre only as
it would over the network.
"""

from __future__ import annotations

from .centre import SiteLost
from .protocol import flat_arrays, header, reply_from, request_arrays, request_from
from .site import Site


class LocalTransport:
    """``nodes`` are Site objects; ``lose``: {site name: round} makes that site stop answering then
    (what a killed site looks like to the centre)."""

    def __init__(self, lose: dict[str, int] | None = None):
        self.lose = lose or {}
        self.messages = 0

    def exchange(self, request, nodes: list[Site]) -> dict:
        out = {}
        for site in nodes:
            if self.lose.get(site.name, -1) == request.round:
                raise SiteLost(site.name, f"did not answer round {request.round} (its process ended)")
            received = request_from(header(request), flat_arrays(request_arrays(request)))
            reply = site.answer(received)
            self.messages += 1
            out[site] = reply_from(header(reply), flat_arrays(reply.arrays))
        return out
