"""Fuzz pedcomm's readers of outside files for a while (`make fuzz`: an hour), and report.

    python benchmarks/fuzz.py [--minutes 60] [--targets descriptor,qdpx,...] [--batch 25]

The harness is tests/fuzzing.py (the same targets, mutations and promises that tests/test_fuzz.py
checks for a few inputs in `make test`): every target in turn, batches of ``--batch`` inputs drawn
by hypothesis from a fresh random seed, until the time is up. Prints, per target, the inputs tried,
the failures and the exits seen, then each failure with the mutations that caused it (replay one
with tests/fuzzing.check); writes the same to results/fuzz.json. Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PEDCOMM_STATE_DIR", tempfile.mkdtemp(prefix="pedcomm-fuzz-state-"))  # the marker key, kept apart

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from tests import fuzzing  # noqa: E402


def run_batch(name: str, seeds: Path, n: int, tried: Counter, exits: Counter, failures: list) -> None:
    target = fuzzing.TARGETS[name]

    @seed(random.getrandbits(64))
    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate], report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck))
    @given(ops=fuzzing.mutations)
    def one(ops):
        tried[name] += 1
        with tempfile.TemporaryDirectory(prefix="pedcomm-fuzz-") as d:
            try:
                exits[(name, fuzzing.check(target, ops, seeds, Path(d) / "work"))] += 1
            except BaseException as e:  # noqa: BLE001 - every failure is recorded (once: hypothesis replays it), then the batch stops
                failure = {"target": name, "ops": repr(ops), "error": f"{type(e).__name__}: {str(e)[:2000]}"}
                if failure not in failures:
                    failures.append(failure)
                    print(f"FAILURE {name}: {failure['error'][:300]}\n  mutations: {failure['ops'][:300]}", flush=True)
                raise

    try:
        one()
    except BaseException:  # noqa: BLE001 - recorded above; the next batch goes on
        pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--targets", default=",".join(fuzzing.TARGETS))
    ap.add_argument("--batch", type=int, default=25)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "fuzz.json")
    args = ap.parse_args(argv)
    names = [n for n in args.targets.split(",") if n]
    unknown = sorted(set(names) - set(fuzzing.TARGETS))
    if unknown:
        ap.error(f"unknown targets {unknown}; known: {', '.join(fuzzing.TARGETS)}")
    work = Path(tempfile.mkdtemp(prefix="pedcomm-fuzz-seeds-"))
    seeds = fuzzing.make_seeds(work / "seeds", site_files=True)
    for name in names:  # unmutated, every seed is a valid input (the targets `make test` leaves out are checked here)
        status = fuzzing.check(fuzzing.TARGETS[name], [], seeds, work / f"seed-{name}")
        if status != 0:
            print(f"the seed of {name} is not a valid input (exit {status}): fix tests/fuzzing.py first", flush=True)
            return 1
    tried: Counter = Counter()
    exits: Counter = Counter()
    failures: list[dict] = []
    started = time.monotonic()
    deadline = started + args.minutes * 60
    i = 0
    while time.monotonic() < deadline:
        name = names[i % len(names)]
        run_batch(name, seeds, args.batch, tried, exits, failures)
        i += 1
        done = time.monotonic() - started
        print(f"[{done / 60:5.1f} min] {sum(tried.values())} inputs, {len(failures)} failures (last batch: {name})",
              flush=True)
    minutes = (time.monotonic() - started) / 60
    print(f"\n{sum(tried.values())} inputs in {minutes:.1f} minutes, {len(failures)} failures\n")
    print(f"{'target':16} {'inputs':>7} {'failures':>8}  exits (0 valid, 1 findings, 2 refused)")
    for name in names:
        seen = {code: exits[(name, code)] for code in (0, 1, 2) if exits[(name, code)]}
        print(f"{name:16} {tried[name]:>7} {sum(f['target'] == name for f in failures):>8}  {seen}")
    for f in failures:
        print(f"\nFAILURE {f['target']}: {f['error'][:600]}\n  mutations: {f['ops'][:600]}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"minutes": round(minutes, 1), "inputs": dict(tried), "failures": failures,
                                    "exits": {f"{n}:{c}": k for (n, c), k in sorted(exits.items())}}, indent=1) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
