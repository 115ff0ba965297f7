"""YAML from elsewhere (a site configuration), parsed within bounds.

``yaml.safe_load`` builds no Python objects from tags, but it follows anchors and aliases: a
'billion laughs' document of a few hundred bytes describes a structure of billions of nodes that
anything walking it (printing it, comparing its keys) expands. A site configuration needs neither
anchors nor aliases, so they are refused outright; nesting depth and the number of parser events
are bounded too, and a key given twice in one mapping is refused (the YAML loader would keep the
last silently). The parser's events are read first, so nothing is built from a refused document.
"""

from __future__ import annotations

import yaml

#: A site configuration is a mapping holding a list of small mappings: 3 levels deep.
MAX_DEPTH = 32
#: Parser events (scalars, starts and ends of collections): about 20 per override.
MAX_EVENTS = 200_000


class YAMLRefused(ValueError):
    """The text is not YAML pedcomm will use; ``str(e)`` says why."""


def _loader():
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def loads(text: str, *, max_depth: int = MAX_DEPTH, max_events: int = MAX_EVENTS):
    """Parse YAML text; raises YAMLRefused (bounds) or yaml.YAMLError (syntax)."""
    # one entry per open collection: the keys seen so far and whether a key comes next (mappings), or None (lists)
    open_: list[list | None] = []

    def node_done() -> None:  # a key or a value of the enclosing mapping is complete
        if open_ and open_[-1] is not None:
            open_[-1][1] = not open_[-1][1]

    try:
        for n, event in enumerate(yaml.parse(text, Loader=_loader()), start=1):
            if n > max_events:
                raise YAMLRefused(f"it has more than {max_events} elements")
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise YAMLRefused("it uses YAML anchors or aliases (& and *), which pedcomm does not read")
            if isinstance(event, yaml.ScalarEvent):
                top = open_[-1] if open_ else None
                if top is not None and top[1]:  # a key: given twice, which value counts is left open
                    if event.value in top[0]:
                        line = event.start_mark.line + 1 if event.start_mark else "?"
                        raise YAMLRefused(f"it gives the same key twice in one mapping (line {line})")
                    top[0].add(event.value)
                node_done()
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                open_.append([set(), True] if isinstance(event, yaml.MappingStartEvent) else None)
                if len(open_) > max_depth:
                    raise YAMLRefused(f"it is nested more than {max_depth} levels deep")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                open_.pop()
                node_done()
    except RecursionError:
        raise YAMLRefused(f"it is nested more than {max_depth} levels deep") from None
    return yaml.load(text, Loader=_loader())
