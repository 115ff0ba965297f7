"""The check engine as data, for another host (the browser validator): the plan, the registry, the
versions and the host's facts (validation/hostfacts.py), as one deterministic JSON document.

    python -m pedcomm.validation.engine.export OUT.json

Keys are sorted, text is UTF-8 (``ensure_ascii=False``), no floats other than the registry's own
parameters; the same sources give the same bytes.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path


def document() -> dict:
    from ... import standard
    from ..hostfacts import facts
    from ..registry import specs
    from .load import MAX_LINE, NULL_SENTINEL, WHOLE_LINE
    from .plan import GUARDS, plan

    p = plan()
    return {"provenance": standard.provenance(), "plan": p.as_dict(), "guards": GUARDS,
            "load": {"null_sentinel": NULL_SENTINEL, "max_line": MAX_LINE, "whole_line": WHOLE_LINE},
            "registry": {code: asdict(s) for code, s in sorted(specs().items())},
            "host": facts()}  # what another host needs beyond the plan (validation/hostfacts.py)


def dumps() -> str:
    return json.dumps(document(), ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    usage = "usage: python -m pedcomm.validation.engine.export OUT.json"
    if args in (["-h"], ["--help"]):
        print(usage + "\n\nWrite the check engine (plan, registry, versions) as one JSON document to OUT.json.")
        return 0
    if len(args) != 1 or args[0].startswith("-"):  # an option is never taken for a file name
        print(usage, file=sys.stderr)
        return 2
    from ...files.outputs import FILE, claim

    text = dumps()
    with claim(Path(args[0]), kind=FILE, command="export the check engine", force=True) as dest:
        dest.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
