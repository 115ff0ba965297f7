"""Compare two pedcomm checkouts' validation reports on the same packages (the engine's harness).

    python benchmarks/compare_engines.py --old /path/to/old/checkout [--cases] [--package DIR ...]

Runs `validate` of each checkout (its own src/ first on PYTHONPATH, in its own process) on every
conformance case (materialized once) and on the packages given, and prints, per package, how the
findings differ: the set of (code, resource, field, row, record, severity, value) and, separately,
messages and the checks' counts. Exit 1 when a finding set differs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUN = r"""
import json, sys, time
from pedcomm.validation import validate
from pedcomm.validation.report.render import as_dict
out = {}
for name, pkg in json.loads(sys.argv[1]).items():
    t = time.perf_counter()
    rep = validate(pkg, max_listed=int(sys.argv[3])).report
    d = as_dict(rep)
    d["seconds"] = time.perf_counter() - t
    out[name] = d
open(sys.argv[2], "w").write(json.dumps(out))
"""
KEY = ("code", "resource", "field", "row", "record", "severity", "value")


def reports(src: Path, packages: dict[str, str], max_listed: int, work: Path, tag: str) -> dict:
    dest = work / f"{tag}.json"
    env = {**os.environ, "PYTHONPATH": str(src / "src")}
    subprocess.run([sys.executable, "-c", RUN, json.dumps(packages), str(dest), str(max_listed)], env=env, check=True,
                   cwd=src)
    return json.loads(dest.read_text())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", type=Path, required=True)
    ap.add_argument("--new", type=Path, default=HERE.parent)
    ap.add_argument("--cases", action="store_true")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--package", nargs="*", default=[])
    ap.add_argument("--max-listed", type=int, default=100)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--old-json", type=Path, default=None, help="the old checkout's reports of an earlier run (reused)")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pedcomm-compare-"))
    packages = {}
    if a.cases:
        sys.path.insert(0, str(a.new / "src"))
        from pedcomm.validation.conformance import cases, materialize

        for i, case in enumerate(cases()):
            if a.only and case["id"] not in a.only:
                continue
            packages[case["id"]] = str(materialize(case, work / f"case{i}"))
    for p in a.package:
        packages[p] = p
    old = json.loads(a.old_json.read_text()) if a.old_json else reports(a.old, packages, a.max_listed, work, "old")
    new = reports(a.new, packages, a.max_listed, work, "new")
    bad = 0
    for name in packages:
        o, n = old[name], new[name]
        fo = {tuple(f[k] for k in KEY) for f in o["findings"]}
        fn = {tuple(f[k] for k in KEY) for f in n["findings"]}
        mo = {tuple(f[k] for k in KEY) + (f["message"],) for f in o["findings"]}
        mn = {tuple(f[k] for k in KEY) + (f["message"],) for f in n["findings"]}
        co = {(c["code"], c["resource"], c["field"]): (c["status"], c["checked"], c["failed"], c["reason"]) for c in o["checks"]}
        cn = {(c["code"], c["resource"], c["field"]): (c["status"], c["checked"], c["failed"], c["reason"]) for c in n["checks"]}
        totals = [(o[k], n[k]) for k in ("status", "errors", "warnings", "infos")]
        same = fo == fn
        bad += not same
        line = f"{'ok  ' if same else 'DIFF'} {name}: {len(fo)} findings, old {o['seconds']:.2f}s new {n['seconds']:.2f}s"
        print(line)
        if not same or a.verbose:
            for f in sorted(fo - fn, key=str)[:10]:
                print("   only old:", f)
            for f in sorted(fn - fo, key=str)[:10]:
                print("   only new:", f)
        if same and mo != mn:
            for f in sorted(mo - mn, key=str)[:3]:
                print("   message old:", f[-1])
            for f in sorted(mn - mo, key=str)[:3]:
                print("   message new:", f[-1])
        if any(x != y for x, y in totals):
            print("   totals", totals)
        if co != cn:
            for k in sorted(set(co) | set(cn), key=str):
                if co.get(k) != cn.get(k):
                    print("   check", k, "old", co.get(k), "new", cn.get(k))
        if o.get("skipped") != n.get("skipped"):
            print("   skipped old", o.get("skipped"), "\n   skipped new", n.get("skipped"))
        if o.get("hints") != n.get("hints"):
            print("   hints old", [h["summary"] for h in o.get("hints", [])], "new", [h["summary"] for h in n.get("hints", [])])
        if o.get("tables") != n.get("tables"):
            print("   tables old", o.get("tables"), "new", n.get("tables"))
    print(f"{len(packages) - bad} of {len(packages)} packages give the same findings")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
