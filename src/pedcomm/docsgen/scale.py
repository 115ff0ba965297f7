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
    out += targets()
    out += ["The speed guard (`python benchmarks/bench_validate.py --guard`, `make bench-guard`) measures once at 100k survey "
            "relationships and fails beyond three times a target ratio; see `benchmarks/README.md` for what "
            "`make test` enforces of it.", ""]
    return "\n".join(out)


def _row(result: dict | None, n: int) -> dict | None:
    return next((r for r in result["rows"] if r["relationships"] == n), None) if result else None


def _by_hand(path: Path) -> dict | None:
    """A single measurement written by hand (validate_10m.json: pedcomm and the parse, one run each)."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) and "pedcomm" in data and "pyarrow" in data else None


def _ten(ours: dict, parse: dict) -> str:
    return (f"{ours['wall_s']:.0f} s ({ours['wall_s'] / parse['wall_s']:.1f}x the parse), "
            f"peak {ours['peak_mb']:.0f} MB, exit {ours['exit']}")


def targets() -> list[str]:
    """Each target of issue 23 against the figures above: met, not met, or not measured."""
    survey, both = load(RESULTS / FILES[0][0]), load(RESULTS / FILES[1][0])
    t = (survey or {}).get("meta", {}).get("targets", {})
    lines: list[list[str]] = []

    def verdict(label: str, target: str, value: float | None, ok: bool | None, shown: str = "") -> None:
        lines.append([label, target, shown or ("-" if value is None else f"{value:.2f}"),
                      "not measured" if ok is None else ("met" if ok else "NOT met")])

    m1 = _row(survey, 1_000_000)
    k100 = _row(survey, 100_000)
    r = m1["pedcomm"]["wall_s"] / m1["pyarrow"]["wall_s"] if m1 else None
    verdict("survey study at 1M: x the parse", f"<= {t.get('pedcomm_over_parse', 4):g}", r,
            None if r is None else r <= t.get("pedcomm_over_parse", 4))
    b1 = _row(both, 1_000_000)
    r = b1["pedcomm"]["wall_s"] / b1["pyarrow"]["wall_s"] if b1 else None
    verdict("both studies at 1M: x the parse", f"<= {t.get('pedcomm_over_parse_both', 5):g}", r,
            None if r is None else r <= t.get("pedcomm_over_parse_both", 5))
    k100 = k100 or {}
    fr = k100.get("frictionless")
    r = fr["wall_s"] / k100["pedcomm"]["wall_s"] if fr else None
    verdict("100k: frictionless / pedcomm", f">= {t.get('frictionless_over_pedcomm', 50):g}", r,
            None if r is None else r >= t.get("frictionless_over_pedcomm", 50))
    if fr:  # the most any validator reading the CSVs could reach: frictionless over the bare parse
        lines.append(["100k: frictionless / the parse (the ceiling of the ratio above)", "-",
                      f"{fr['wall_s'] / k100['pyarrow']['wall_s']:.1f}", "(arithmetic)"])
    r = m1["pedcomm"]["peak_mb"] / m1["csv_mb"] if m1 else None
    verdict("survey study at 1M: peak memory / CSV bytes", f"<= {t.get('peak_over_csv', 3):g}", r,
            None if r is None else r <= t.get("peak_over_csv", 3))
    for row in (survey or {}).get("rows", []):
        r = row["pedcomm_dirty"]["wall_s"] / row["pedcomm"]["wall_s"]
        verdict(f"{row['relationships']:,}: 5% dirty / clean", f"<= {t.get('dirty_over_clean', 1.3):g}", r,
                r <= t.get("dirty_over_clean", 1.3))
    m10 = _row(survey, 10_000_000) or _by_hand(RESULTS / "validate_10m.json")
    verdict("10M relationships validate (2 cores, 24 GiB)", "exit 0 or 1", None,
            None if m10 is None else m10["pedcomm"]["exit"] in (0, 1),
            "not run" if m10 is None else _ten(m10["pedcomm"], m10["pyarrow"]))
    startup = RESULTS / "startup.json"
    shipped = None
    if startup.is_file():
        shipped = next((x for x in json.loads(startup.read_text(encoding="utf-8"))
                        if x.get("command") == "pedcomm validate (shipped)"), None)
    verdict("shipped package: x its import floor (benchmarks/bench_startup.py)", "<= 1.3",
            shipped["ratio"] if shipped else None, None if shipped is None else shipped["ratio"] <= 1.3)
    return ["## Targets", "", "Each target of issue 23 against the figures above (the 100k frictionless ratio "
            "cannot exceed frictionless over the bare parse, shown beside it).", "",
            table(["target", "required", "measured", "verdict"], lines), ""]


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
