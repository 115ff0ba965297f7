"""Whole-process times of everyday commands against the import floor of the libraries they need.

    python benchmarks/bench_startup.py [--repeat 5] [--json benchmarks/results/startup.json]

Targets: `pedcomm --help` under 0.3 s; `validate` on the shipped package at most 1.3x its import
floor (issue 23: it imports duckdb, not pandas or pyarrow), `reproduce` at most 1.5x its own (the
time just to import what each needs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent


def wall(cmd, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", type=Path, default=HERE / "results" / "startup.json")
    a = ap.parse_args()
    out = Path(tempfile.mkdtemp()) / "out"
    py = sys.executable
    rows = [
        ("pedcomm --help", [str(BIN / "pedcomm"), "--help"], [py, "-c", "import typer"], 0.3, None),
        ("pedcomm validate (shipped)", [str(BIN / "pedcomm"), "validate", "datapackage.json"],
         [py, "-c", "import duckdb, yaml, typer, rich"], None, 1.3),
        ("pedcomm reproduce (shipped)", [str(BIN / "pedcomm"), "reproduce", "--out", str(out), "--force"],
         [py, "-c", "import pandas, pyarrow.csv, yaml, typer, rich, statsmodels.api, matplotlib.pyplot, great_tables"],
         None, 1.5),
    ]
    results = []
    print("command | seconds | import floor s | ratio | target")
    print("--- | --- | --- | --- | ---")
    for name, cmd, floor_cmd, absolute, factor in rows:
        t, f = wall(cmd, a.repeat), wall(floor_cmd, a.repeat)
        target = f"< {absolute} s" if absolute else f"<= {factor}x floor"
        ok = (t < absolute) if absolute else (t <= factor * f)
        results.append({"command": name, "seconds": t, "floor_seconds": f, "ratio": t / f, "target": target, "met": ok})
        print(f"{name} | {t:.2f} | {f:.2f} | {t / f:.2f} | {target} {'met' if ok else 'NOT met'}")
    a.json.parent.mkdir(parents=True, exist_ok=True)
    a.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
