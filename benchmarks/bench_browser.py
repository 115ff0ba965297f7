"""The browser validator at scale: the "Validate in your browser" page in headless Chromium against `pedcomm validate`.

    python benchmarks/bench_browser.py [--site site] [--sizes 100000] [--json benchmarks/results/browser.json]

For each size it builds a valid package of both studies (benchmarks/largegen.py), then opens the built site's page
(`make docs` writes site/) from a local server in Debian's headless Chromium with every other address unreachable,
chooses the package folder in the page's folder picker and waits for the report (pedcomm.docsgen.webcheck): the
time is from choosing the folder to the report shown, DuckDB-WASM's start included. The same package is validated by
`pedcomm validate` as a whole process (benchmarks/measure.py) at the same time of day, and the two reports must agree
(status and counts), or the figure is not written. The docs page "Validation at scale" shows the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def csv_bytes(pkg: Path) -> int:
    return sum(p.stat().st_size for p in (pkg / "data").glob("*.csv"))


def rows(pkg: Path) -> int:
    total = 0
    for p in (pkg / "data").glob("*.csv"):
        with open(p, "rb") as f:
            total += sum(1 for _ in f) - 1
    return total


def one(site: Path, pkg: Path, n: int) -> dict:
    from pedcomm.docsgen import webcheck

    load = os.getloadavg()[0]
    page = webcheck.run(site, pkg, timeout=3600)
    load = round((load + os.getloadavg()[0]) / 2, 2)
    if page.errors or page.report is None:
        raise SystemExit(f"the page did not validate {pkg}: {page.errors} {page.status}")
    cli = json.loads(subprocess.run([sys.executable, str(HERE / "measure.py"), "--", str(BIN / "pedcomm"), "validate",
                                     str(pkg)], capture_output=True, text=True, check=True).stdout)
    report = json.loads(subprocess.run([str(BIN / "pedcomm"), "validate", str(pkg), "--format", "json"],
                                       capture_output=True, text=True).stdout)
    keys = ("status", "errors", "warnings", "infos", "findings_listed", "findings_not_listed")
    got = {k: page.report.get(k) for k in keys}
    want = {k: report.get(k) for k in keys}
    if got != want:
        raise SystemExit(f"the page and the command line disagree on {pkg}: {got} != {want}")
    return {"relationships": n, "rows": rows(pkg), "csv_mb": round(csv_bytes(pkg) / 2**20, 1),
            "browser_s": round(page.seconds, 2), "browser_load": load, "cli_s": round(cli["wall_s"], 2),
            "cli_peak_mb": round(cli["peak_mb"]), "status": got["status"], "warnings": got["warnings"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--site", type=Path, default=HERE.parent / "site", help="the built docs site (make docs)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--json", type=Path, default=HERE / "results" / "browser.json")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    if not (args.site / "validate" / "app" / "worker.js").is_file():
        print(f"{args.site} has no browser validator page: run `make docs` first", file=sys.stderr)
        return 2
    sys.path.insert(0, str(HERE))
    from largegen import make

    manifest = json.loads((args.site / "validate" / "app" / "manifest.json").read_text(encoding="utf-8"))
    chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip()
    out = []
    with tempfile.TemporaryDirectory(prefix="pedcomm-bench-browser-", dir=args.workdir) as tmp:
        for n in args.sizes:
            pkg = Path(tmp) / f"both-{n}"
            make(n, pkg)
            row = one(args.site, pkg, n)
            out.append(row)
            print(f"{n:>9,} relationships, {row['rows']:,} rows, {row['csv_mb']} MB: page {row['browser_s']:.1f} s "
                  f"(load {row['browser_load']}), pedcomm validate {row['cli_s']:.1f} s; {row['status']}, "
                  f"{row['warnings']:,} warnings in both")
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    meta = {"command": "python benchmarks/bench_browser.py " + " ".join(sys.argv[1:]),
            "date": time.strftime("%Y-%m-%d", time.gmtime()), "cpus": os.cpu_count(), "uptime": uptime,
            "machine": platform.machine(), "chromium": chromium, "duckdb_wasm": manifest["duckdb_wasm"]}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "rows": out}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
