"""Property-based robustness: random mutations of a valid package never crash the validator,
always give a report with a consistent exit code, and never change the input."""

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pedcomm.validation.conformance import SUITE
from pedcomm.validation.registry import specs
from pedcomm.validation.run import validate

from .conftest import snapshot

VALID = SUITE / "valid"
FILES = sorted(str(p.relative_to(VALID)) for p in VALID.rglob("*") if p.is_file() and not p.name.endswith(".json")) + ["datapackage.json"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutation(draw):
    target = draw(st.sampled_from(FILES))
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "drop_line", "dup_line", "swap_lines", "cell", "json",
                                 "special", "deep"]))  # issue 16: special files and deep nesting
    return target, kind, draw(st.integers(0, 10**6)), draw(st.binary(min_size=1, max_size=40)), \
        draw(st.text(max_size=30)), draw(json_values)


def mutate(pkg: Path, m) -> None:
    target, kind, pos, blob, text, value = m
    p = pkg / target
    if kind == "special":  # the file replaced by a pipe, a folder or a socket: never opened, never a hang
        from pedcomm.validation.conformance import _special

        _special(p, ["fifo", "folder", "socket", "link-to-fifo"][pos % 4])
        return
    data = p.read_bytes()
    if kind == "deep":  # nesting at a random depth, in the descriptor or a schema
        depth = 1 + pos % 3000
        data = b'{"x": ' + b"[" * depth + b"]" * depth + b"}" if target.endswith(".json") else data
    i = pos % (len(data) + 1)
    if kind == "flip" and data:
        j = i % len(data)
        data = data[:j] + bytes([data[j] ^ blob[0]]) + data[j + 1:]
    elif kind == "truncate":
        data = data[:i]
    elif kind == "insert":
        data = data[:i] + blob + data[i:]
    elif kind in ("drop_line", "dup_line", "swap_lines", "cell"):
        lines = data.split(b"\n")
        k = i % len(lines)
        if kind == "drop_line":
            del lines[k]
        elif kind == "dup_line":
            lines.insert(k, lines[k])
        elif kind == "swap_lines":
            lines[k], lines[-1] = lines[-1], lines[k]
        else:
            cells = lines[k].split(b",")
            cells[pos % len(cells)] = text.encode("utf-8", "surrogatepass")
            lines[k] = b",".join(cells)
        data = b"\n".join(lines)
    elif kind == "json" and target == "datapackage.json":
        d = json.loads(data)
        keys = ["name", "resources", "version"] + [f"#{n}" for n in range(len(d["resources"]))]
        key = keys[pos % len(keys)]
        if key.startswith("#"):
            r = d["resources"][int(key[1:])]
            r[["path", "schema", "name"][pos % 3]] = value
        else:
            d[key] = value
        data = json.dumps(d).encode()
    p.write_bytes(data)


# 50 mutated packages in make test (about a second each); make fuzz runs an hour of such inputs (benchmarks/fuzz.py)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutation())
def test_mutated_package_gives_a_report_never_an_exception(m):
    with tempfile.TemporaryDirectory() as d:
        pkg = Path(d) / "pkg"
        shutil.copytree(VALID, pkg)
        mutate(pkg, m)
        before = snapshot(pkg)
        report = validate(pkg).report
        assert report.status in ("valid", "invalid", "unreadable")
        assert report.exit_code == {"valid": 0, "invalid": 1, "unreadable": 2}[report.status]
        assert all(f.code in specs() for f in report.findings)
        if report.status != "valid":
            assert report.findings, "a failing report lists at least one finding"
        assert snapshot(pkg) == before
