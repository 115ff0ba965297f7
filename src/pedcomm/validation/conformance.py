"""The conformance suite: a minimal valid package and, per check code, a minimal invalid variant.

Cases are data (validation/conformance/cases*.yaml): a list of edits applied to a copy of the valid
package, and the findings they must produce. Tests run them all; the docs show them as the example
that triggers each code.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import yaml

from ..standard import CONFORMANCE

SUITE = CONFORMANCE


def cases() -> list[dict]:
    out = []
    for p in sorted(SUITE.glob("cases*.yaml")):
        for case in yaml.safe_load(p.read_text(encoding="utf-8")) or []:
            case["file"] = p.name
            out.append(case)
    return out


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _write(path: Path, rows: list[list[str]]):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _resource_path(pkg: Path, resource: str) -> Path:
    desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    for r in desc["resources"]:
        if r["name"] == resource:
            return pkg / r["path"]
    raise KeyError(resource)


def apply(edit: dict, pkg: Path) -> None:
    """Apply one edit to the package folder ``pkg``."""
    (op, arg), = edit.items()
    if op == "set":  # one cell, by file row number (header = 1)
        p = _resource_path(pkg, arg["resource"])
        rows = _rows(p)
        rows[arg["row"] - 1][rows[0].index(arg["field"])] = str(arg["value"])
        _write(p, rows)
    elif op == "append":  # a row; missing fields blank
        p = _resource_path(pkg, arg["resource"])
        rows = _rows(p)
        rows.append([str(arg["values"].get(h, "")) for h in rows[0]])
        _write(p, rows)
    elif op == "append_raw":  # a line of text, exactly
        p = _resource_path(pkg, arg["resource"])
        with open(p, "a", encoding="utf-8", newline="") as fh:
            fh.write(arg["text"])
    elif op == "drop_column":
        p = _resource_path(pkg, arg["resource"])
        rows = _rows(p)
        i = rows[0].index(arg["field"])
        _write(p, [r[:i] + r[i + 1:] for r in rows])
    elif op == "add_column":
        p = _resource_path(pkg, arg["resource"])
        rows = _rows(p)
        _write(p, [rows[0] + [arg["field"]]] + [r + [str(arg.get("value", ""))] for r in rows[1:]])
    elif op == "rename_column":
        p = _resource_path(pkg, arg["resource"])
        rows = _rows(p)
        rows[0][rows[0].index(arg["field"])] = arg["to"]
        _write(p, rows)
    elif op == "text":  # replace the whole file with text
        _resource_path(pkg, arg["resource"]).write_text(arg["text"], encoding="utf-8", newline="")
    elif op == "hex":  # replace the whole file with bytes
        _resource_path(pkg, arg["resource"]).write_bytes(bytes.fromhex(arg["bytes"].replace(" ", "")))
    elif op == "hex_append":  # bytes added at the end of the file
        with open(_resource_path(pkg, arg["resource"]), "ab") as fh:
            fh.write(bytes.fromhex(arg["bytes"].replace(" ", "")))
    elif op == "huge_cell":  # one cell of the given size (MB), written without holding the table twice
        p = _resource_path(pkg, arg["resource"])
        rows = _rows(p)
        rows[arg["row"] - 1][rows[0].index(arg["field"])] = "x" * (arg["megabytes"] << 20)
        _write(p, rows)
    elif op == "write_file":  # any file inside the package
        (pkg / arg["path"]).write_text(arg["text"], encoding="utf-8")
    elif op == "symlink_dir":  # replace a folder of the package with a link
        shutil.rmtree(pkg / arg["path"])
        os.symlink(arg["target"], pkg / arg["path"])
    elif op == "descriptor_hex":
        (pkg / "datapackage.json").write_bytes(bytes.fromhex(arg))
    elif op == "delete":
        _resource_path(pkg, arg["resource"]).unlink()
    elif op == "symlink":  # replace the file with a link to target (relative to the package)
        p = _resource_path(pkg, arg["resource"])
        p.unlink()
        os.symlink(arg["target"], p)
    elif op == "descriptor_text":
        (pkg / "datapackage.json").write_text(arg, encoding="utf-8")
    elif op == "descriptor_set":  # set a property of a resource (or of the package: resource null)
        desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
        target = desc if arg.get("resource") is None else next(r for r in desc["resources"] if r["name"] == arg["resource"])
        target[arg["key"]] = arg["value"]
        (pkg / "datapackage.json").write_text(json.dumps(desc, indent=2), encoding="utf-8")
    elif op == "descriptor_drop":
        desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
        desc["resources"] = [r for r in desc["resources"] if r["name"] != arg["resource"]]
        (pkg / "datapackage.json").write_text(json.dumps(desc, indent=2), encoding="utf-8")
    elif op == "special":  # a file of the package replaced by a pipe, a folder or a socket (or a link to one)
        _special(pkg / arg["path"] if "path" in arg else _resource_path(pkg, arg["resource"]), arg["kind"])
    elif op == "sparse":  # the file grown to a size without writing its bytes (a sparse file)
        os.truncate(_resource_path(pkg, arg["resource"]) if "resource" in arg else pkg / arg["path"], int(arg["bytes"]))
    elif op == "add_columns":  # many extra columns (named x1, x2, ...)
        p = _resource_path(pkg, arg["resource"])
        rows = _rows(p)
        extra = [f"x{i}" for i in range(1, arg["count"] + 1)]
        _write(p, [rows[0] + extra] + [r + [""] * len(extra) for r in rows[1:]])
    elif op == "drop_header":  # the header line removed (as a spreadsheet export without headers)
        p = _resource_path(pkg, arg["resource"])
        _write(p, _rows(p)[1:])
    elif op == "descriptor_nested":  # the descriptor with a property nested this many levels deep
        text = (pkg / "datapackage.json").read_text(encoding="utf-8").lstrip()
        depth = int(arg)
        (pkg / "datapackage.json").write_text('{"nested": ' + "[" * depth + "]" * depth + ", " + text[1:], encoding="utf-8")
    elif op == "descriptor_add":
        desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
        desc["resources"].append(arg)
        (pkg / "datapackage.json").write_text(json.dumps(desc, indent=2), encoding="utf-8")
    else:
        raise ValueError(f"unknown edit {op!r}")


def _special(path: Path, kind: str) -> None:
    """Replace ``path`` by a named pipe, a folder, a socket, or a link to a pipe beside it."""
    import socket

    if path.exists() or path.is_symlink():
        path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "socket":  # bound by a relative name: socket paths are limited to about 100 bytes
        here = os.getcwd()
        os.chdir(path.parent)
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.bind(path.name)
        finally:
            os.chdir(here)
    elif kind == "link-to-fifo":
        os.mkfifo(path.with_name(path.name + ".pipe"))
        os.symlink(path.name + ".pipe", path)
    else:
        raise ValueError(f"unknown special file kind {kind!r}")


def materialize(case: dict, dest: Path) -> Path:
    """Copy the valid package to ``dest/pkg`` and apply the case's edits; returns the package folder."""
    pkg = dest / "pkg"
    shutil.copytree(SUITE / case.get("base", "valid"), pkg)
    for edit in case.get("edits", []):
        apply(edit, pkg)
    return pkg


def _listed(findings: set) -> str:
    return "; ".join(", ".join(str(x) for x in f if x is not None) for f in sorted(findings, key=str))


def check_case(case: dict, workdir: Path) -> list[str]:
    """Run one case on a fresh copy in ``workdir``: how its findings differ from what it expects (empty: it passes).

    The one comparison used by the tests and by `pedcomm selftest`: exactly the expected codes,
    exactly the expected set of findings (code, resource, row, field; a key left out is empty), the
    expected exit code, and the input unchanged.
    """
    from .run import validate

    pkg = materialize(case, workdir)
    before = {p: p.read_bytes() for p in sorted(pkg.rglob("*")) if p.is_file() and not p.is_symlink()}
    report = validate(pkg).report
    got = {(f.code, f.resource, f.row, f.field) for f in report.findings}
    problems = []
    if report.codes() != set(case["expect_codes"]):
        problems.append(f"codes {sorted(report.codes())} instead of {sorted(case['expect_codes'])}")
    want = {(e["code"], e.get("resource"), e.get("row"), e.get("field")) for e in case.get("expect", [])}
    if got - want:
        problems.append(f"findings not expected: {_listed(got - want)}")
    if want - got:
        problems.append(f"no finding {_listed(want - got)}")
    if report.exit_code != case["exit"]:
        problems.append(f"exit code {report.exit_code} instead of {case['exit']}")
    after = {p: p.read_bytes() for p in sorted(pkg.rglob("*")) if p.is_file() and not p.is_symlink()}
    if after != before:
        problems.append("validation changed its input")
    return problems
