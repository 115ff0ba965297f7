"""Validation speed and memory at scale: pedcomm vs frictionless vs a bare pyarrow parse.

    python benchmarks/bench_validate.py [--sizes 10000 100000 1000000] [--frictionless-max 100000]
                                       [--repeat 1] [--json benchmarks/results/validate.json]

For each size it builds a valid survey package and a dirty copy (about 5% bad cells in the two
largest tables; benchmarks/largegen.py), then measures whole processes (one per measurement):
`pedcomm validate` (descriptor, structure, foreign keys, semantic rules), `frictionless validate`
on the same package, and pyarrow parsing the same CSVs. Prints a table with the ratios the
targets are stated in and writes the figures to JSON.

Targets (issue 9): at 1M relationships pedcomm >= 30x faster than frictionless and <= 3x the
pyarrow parse; peak memory <= 4x the CSV bytes; the dirty copy <= 1.5x the clean one.
frictionless takes minutes per million rows: above --frictionless-max it is not run unless asked,
and the table says so instead of extrapolating silently.
"""

from __future__ import annotations

import argparse
import json
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


def measure(cmd: list[str], repeat: int) -> dict:
    runs = [json.loads(subprocess.run([sys.executable, str(HERE / "measure.py"), "--", *cmd],
                                      capture_output=True, text=True, check=True).stdout) for _ in range(repeat)]
    return {"wall_s": statistics.median(r["wall_s"] for r in runs), "peak_mb": max(r["peak_mb"] for r in runs),
            "exit": runs[0]["exit"]}


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
    a = ap.parse_args()
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
        row["pedcomm_dirty"] = measure([str(BIN / "pedcomm"), "validate", str(dirty), "--format", "json",
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
    a.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nfigures written to {a.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
