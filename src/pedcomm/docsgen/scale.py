"""The "Validation at scale" page: speed and memory of `pedcomm validate` against its targets, generated
from the benchmark's results files (benchmarks/results/validate.json and validate_both_studies.json,
written by benchmarks/bench_validate.py), never typed.
"""

from __future__ import annotations

import json
from pathlib import Path

from .md import BANNER, table

RESULTS = Path(__file__).resolve().parents[3] / "benchmarks" / "results"
FILES = (("validate.json", "The survey study"), ("validate_both_studies.json", "Both studies"))


def load(path: Path) -> dict | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) and "rows" in data else None  # older files had no meta


def _ratio(a: float | None, b: float | None, digits: int = 1) -> str:
    return f"{a / b:.{digits}f}" if a and b else "-"


def rows(result: dict) -> list[list[str]]:
    out = []
    for r in result["rows"]:
        fr = r.get("frictionless")
        parse, ours, dirty = r["pyarrow"]["wall_s"], r["pedcomm"]["wall_s"], r["pedcomm_dirty"]["wall_s"]
        out.append([f"{r['relationships']:,}", f"{r['rows']:,}", f"{r['csv_mb']:.0f}", f"{parse:.2f}", f"{ours:.2f}",
                    _ratio(ours, parse), f"{fr['wall_s']:.1f}" if fr else "not run",
                    _ratio(fr["wall_s"], ours) if fr else "-", f"{r['pedcomm']['peak_mb']:.0f}",
                    _ratio(r["pedcomm"]["peak_mb"], r["csv_mb"]), f"{dirty:.2f}", _ratio(dirty, ours, 2),
                    f"{r['dirty_errors_counted']:,}", ", ".join(f"{x:g}" for x in r["pedcomm"].get("load", []))])
    return out


HEADER = ["relationships", "rows", "CSV MB", "pyarrow parse s", "pedcomm s", "x parse", "frictionless s",
          "frictionless / pedcomm", "peak MB", "peak / CSV", "5% dirty s", "dirty / clean", "errors counted",
          "load average"]


def page() -> str:
    out = [BANNER.format(source="benchmarks/results/validate*.json (benchmarks/bench_validate.py)").rstrip(), "",
           "# Validation at scale", "",
           "How fast `pedcomm validate` is, and how much memory it takes, on large synthetic packages "
           "(`benchmarks/largegen.py`), against a bare pyarrow parse of the same CSV files and against "
           "`frictionless validate`. Every figure is a whole process, measured by `benchmarks/bench_validate.py` "
           "in one run, so the ratios compare runs made under the same load; the load average of the machine "
           "is recorded beside each figure. The targets (issue 23): within 4x the parse for the survey study "
           "at 1M relationships (5x for both studies), at least 50x faster than frictionless at 100k, peak "
           "memory at most 3x the CSV bytes at 1M, a 5% dirty package at most 1.3x the clean one.", ""]
    found = False
    for name, title in FILES:
        result = load(RESULTS / name)
        if result is None:
            continue
        found = True
        meta = result["meta"]
        out += [f"## {title}", "", f"`{meta['command']}`, {meta['date']}, {meta['cpus']} CPUs "
                f"(`uptime`: {meta.get('uptime', '?')}).", ""]
        out += [table(HEADER, rows(result)), ""]
    if not found:
        out += ["No results yet: run `benchmarks/bench_validate.py`.", ""]
    out += browser_section(load(RESULTS / "browser.json"))
    out += ["The CI guard (`python benchmarks/bench_validate.py --guard`, run by `make test`) measures once at "
            "100k survey relationships and fails only beyond three times a target ratio.", ""]
    return "\n".join(out)


BROWSER_HEADER = ["relationships", "rows", "CSV MB", "page s (headless Chromium)", "pedcomm validate s", "page / CLI",
                  "status (both)", "load average"]


def browser_section(result: dict | None) -> list[str]:
    """The "Validate in your browser" page at scale (benchmarks/bench_browser.py writes results/browser.json)."""
    out = ["## In the browser", "",
           "The same packages (both studies) validated by the page \"Validate in your browser\" in Debian's headless "
           "Chromium, from choosing the folder to the report shown (DuckDB-WASM's start included), beside "
           "`pedcomm validate` as a whole process; the benchmark writes a figure only when the two reports agree.", ""]
    if result is None:
        return [*out, "No results yet: run `benchmarks/bench_browser.py` after `make docs`.", ""]
    meta = result["meta"]
    out += [f"`{meta['command']}`, {meta['date']}, {meta['cpus']} CPUs, {meta['chromium']}, DuckDB-WASM "
            f"{meta['duckdb_wasm']} (`uptime`: {meta.get('uptime', '?')}).", ""]
    body = [[f"{r['relationships']:,}", f"{r['rows']:,}", f"{r['csv_mb']:.0f}", f"{r['browser_s']:.1f}", f"{r['cli_s']:.1f}",
             _ratio(r["browser_s"], r["cli_s"]), r["status"], f"{r['browser_load']:g}"] for r in result["rows"]]
    return [*out, table(BROWSER_HEADER, body), ""]
