"""Validation speed and memory at scale: pedcomm vs frictionless vs a bare pyarrow parse.

    python benchmarks/bench_validate.py [--sizes 10000 100000 1000000] [--frictionless-max 100000]
                                       [--repeat 1] [--json benchmarks/results/validate.json]

For each size it builds a valid survey package and a dirty copy (about 5% bad cells in the two
largest tables; benchmarks/largegen.py), then measures whole processes (one per measurement):
`pedcomm validate` (descriptor, structure, foreign keys, semantic rules), `frictionless validate`
on the same package, and pyarrow parsing the same CSVs. Prints a table with the ratios the
targets are stated in and writes the figures to JSON.

Targets (issue 23), as ratios measured in one run: at 1M survey relationships within 4x a bare
pyarrow parse of the same CSVs (both studies within 5x); at least 50x faster than frictionless at
100k; peak memory at most 3x the CSV bytes at 1M; the dirty copy at most 1.3x the clean one.
frictionless takes minutes per million rows: above --frictionless-max it is not run unless asked,
and the table says so instead of extrapolating silently. Every measurement records the machine's
load average beside it (a shared machine's figures are ratios of runs made at the same time).

    python benchmarks/bench_validate.py --guard

is the CI guard: one run at 100k survey relationships, failing only beyond three times a target
ratio (slower than 50/3 = 16.7x faster than frictionless, or beyond 3 x 4 = 12x the parse), so
noise cannot fail it but a regression like the one issue 23 found (30x) does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PARSE = """
import glob, sys, pyarrow.csv as c
for f in sorted(glob.glob(sys.argv[1] + '/data/*.csv')):
    c.read_csv(f)
"""


#: Targets (issue 23) and the guard's factor.
TARGETS = {"frictionless_over_pedcomm": 50.0, "pedcomm_over_parse": 4.0, "pedcomm_over_parse_both": 5.0,
           "peak_over_csv": 3.0, "dirty_over_clean": 1.3}
GUARD_FACTOR = 3.0


def measure(cmd: list[str], repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        load = os.getloadavg()[0]
        runs.append(json.loads(subprocess.run([sys.executable, str(HERE / "measure.py"), "--", *cmd],
                                              capture_output=True, text=True, check=True).stdout))
        runs[-1]["load"] = round((load + os.getloadavg()[0]) / 2, 2)
    return {"wall_s": statistics.median(r["wall_s"] for r in runs), "peak_mb": max(r["peak_mb"] for r in runs),
            "exit": runs[0]["exit"], "load": [r["load"] for r in runs], "runs": [round(r["wall_s"], 3) for r in runs]}


def guard(work: Path) -> int:
    """The CI guard: 100k survey relationships, pedcomm against frictionless and the parse, once."""
    sys.path.insert(0, str(HERE))
    from largegen import make

    pkg = work / "guard-100000"
    if not pkg.exists():
        make(100_000, pkg, coding=False)
    parse = measure([sys.executable, "-c", PARSE, str(pkg)], 1)
    ours = measure([str(BIN / "pedcomm"), "validate", str(pkg)], 1)
    fr = measure([str(BIN / "frictionless"), "validate", str(pkg / "datapackage.json")], 1)
    speedup, over_parse = fr["wall_s"] / ours["wall_s"], ours["wall_s"] / parse["wall_s"]
    need_speedup = TARGETS["frictionless_over_pedcomm"] / GUARD_FACTOR
    need_parse = TARGETS["pedcomm_over_parse"] * GUARD_FACTOR
    print(f"guard at 100k survey relationships (load {ours['load'][0]}): pedcomm {ours['wall_s']:.2f} s, exit {ours['exit']}; "
          f"{speedup:.1f}x faster than frictionless ({fr['wall_s']:.1f} s; guard >= {need_speedup:.1f}x, target "
          f"{TARGETS['frictionless_over_pedcomm']:g}x); {over_parse:.1f}x the pyarrow parse ({parse['wall_s']:.2f} s; "
          f"guard <= {need_parse:g}x, target {TARGETS['pedcomm_over_parse']:g}x)")
    ok = ours["exit"] == 0 and speedup >= need_speedup and over_parse <= need_parse
    if not ok:
        print("GUARD FAILED: validation is more than three times slower than its targets", file=sys.stderr)
    return 0 if ok else 1


def csv_bytes(pkg: Path) -> int:
    return sum(p.stat().st_size for p in (pkg / "data").glob("*.csv"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--frictionless-max", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", type=Path, default=HERE / "results" / "validate.json")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--survey-only", action="store_true", help="packages without the coding study")
    ap.add_argument("--guard", action="store_true", help="the CI guard (see the module docstring)")
    a = ap.parse_args()
    if a.guard:
        import tempfile as _t

        raise SystemExit(guard(a.workdir or Path(_t.mkdtemp(prefix="pedcomm-guard-"))))
    sys.path.insert(0, str(HERE))
    from largegen import make

    work = a.workdir or Path(tempfile.mkdtemp(prefix="pedcomm-bench-"))
    results = []
    for n in a.sizes:
        clean, dirty = work / f"clean-{n}", work / f"dirty-{n}"
        if not clean.exists():
            make(n, clean, coding=not a.survey_only)
        if not dirty.exists():
            make(n, dirty, dirty=0.05, coding=not a.survey_only)
        row = {"relationships": n, "csv_mb": csv_bytes(clean) / 2**20,
               "rows": sum(sum(1 for _ in open(p)) - 1 for p in (clean / "data").glob("*.csv"))}
        row["pyarrow"] = measure([sys.executable, "-c", PARSE, str(clean)], a.repeat)
        row["pedcomm"] = measure([str(BIN / "pedcomm"), "validate", str(clean)], a.repeat)
        row["pedcomm_dirty"] = measure([str(BIN / "pedcomm"), "validate", str(dirty), "--format", "json", "--force",
                                        "-o", str(work / f"dirty-{n}.json")], a.repeat)
        report = json.loads((work / f"dirty-{n}.json").read_text())
        row["dirty_errors_counted"] = report["errors"]
        if n <= a.frictionless_max:
            row["frictionless"] = measure([str(BIN / "frictionless"), "validate", str(clean / "datapackage.json")], 1)
        results.append(row)
        print(f"measured {n:,} relationships", file=sys.stderr)
    header = ("relationships", "rows", "CSV MB", "pyarrow s", "pedcomm s", "x pyarrow", "frictionless s",
              "frictionless/pedcomm", "peak MB", "peak/CSV", "dirty s", "dirty/clean", "dirty errors")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for r in results:
        fr = r.get("frictionless")
        print(" | ".join(str(x) for x in (
            f"{r['relationships']:,}", f"{r['rows']:,}", f"{r['csv_mb']:.0f}", f"{r['pyarrow']['wall_s']:.2f}",
            f"{r['pedcomm']['wall_s']:.2f}", f"{r['pedcomm']['wall_s'] / r['pyarrow']['wall_s']:.1f}",
            f"{fr['wall_s']:.1f}" if fr else "not run", f"{fr['wall_s'] / r['pedcomm']['wall_s']:.1f}" if fr else "-",
            f"{r['pedcomm']['peak_mb']:.0f}", f"{r['pedcomm']['peak_mb'] / r['csv_mb']:.1f}",
            f"{r['pedcomm_dirty']['wall_s']:.2f}", f"{r['pedcomm_dirty']['wall_s'] / r['pedcomm']['wall_s']:.2f}",
            f"{r['dirty_errors_counted']:,}")))
    a.json.parent.mkdir(parents=True, exist_ok=True)
    import datetime
    import platform

    meta = {"command": " ".join(["python benchmarks/bench_validate.py", *sys.argv[1:]]),
            "date": datetime.date.today().isoformat(), "cpus": os.cpu_count(), "machine": platform.machine(),
            "survey_only": a.survey_only, "targets": TARGETS, "uptime": _uptime()}
    a.json.write_text(json.dumps({"meta": meta, "rows": results}, indent=2) + "\n")
    print(f"\nfigures written to {a.json}", file=sys.stderr)


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


if __name__ == "__main__":
    main()
