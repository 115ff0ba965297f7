"""`pedcomm selftest`: is this installation whole? The checks a site runs once after installing.

Each check yields (passed, what it checked, in words). They use the installed files only: the
standard (descriptor, Table Schemas, check registry, published targets), the SYNTHETIC example
package and the conformance suite, whose every case must give exactly its expected findings.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ..validation.words import plural


def run(progress: Callable[[str], None] | None = None) -> Iterator[tuple[bool, str]]:
    """The checks, one (passed, what) each; ``progress`` hears what is being checked while it runs
    (the conformance suite takes a minute: case by case)."""
    from .. import standard

    say = progress or (lambda _: None)

    yield True, f"{standard.signature()}, standard files in {standard.ROOT}"
    names = standard.resource_names()
    missing = [n for n in names if not standard.schema_path(n).is_file()]
    yield not missing, f"{len(names)} Table Schemas" + (f": missing {', '.join(missing)}" if missing else "")
    say("the check registry")
    yield from _registry()
    yield from _targets()
    say("validating the SYNTHETIC example package")
    yield from _example()
    yield from _conformance(say)


def _registry() -> Iterator[tuple[bool, str]]:
    from ..validation.registry import IMPLEMENTATIONS, specs
    from .registered import load_all

    load_all()
    unimplemented = sorted(c for c in specs() if c not in IMPLEMENTATIONS)
    yield not unimplemented, f"check registry: {len(specs())} codes" + (
        f"; without implementation: {', '.join(unimplemented)}" if unimplemented else "")


def _targets() -> Iterator[tuple[bool, str]]:
    from ..standard.targets import targets

    n = len(targets())
    yield n > 0, f"published targets: {n}"


def _example() -> Iterator[tuple[bool, str]]:
    from .. import standard
    from ..validation.run import validate

    report = validate(standard.example_package()).report
    totals = report.totals()
    yield report.status == "valid", (f"the SYNTHETIC example package is {report.status} "
                                     f"({plural(totals['error'], 'error')}, {plural(totals['warning'], 'warning')})")


def _conformance(say: Callable[[str], None]) -> Iterator[tuple[bool, str]]:
    from ..validation.conformance import cases, check_case

    all_cases = cases()
    failed = []
    with tempfile.TemporaryDirectory(prefix="pedcomm-selftest-") as tmp:
        for i, case in enumerate(all_cases):
            say(f"conformance case {i + 1} of {len(all_cases)} ({case['id']})")
            problems = check_case(case, Path(tmp) / str(i))
            if problems:
                failed.append(f"{case['id']}: {'; '.join(problems)}")
    yield not failed, (f"conformance suite: {len(all_cases) - len(failed)} of {len(all_cases)} cases give their "
                       "expected findings") + (
        "".join(f"\n      {f}" for f in failed[:10]))
