"""The fuzz harness of pedcomm's outside-facing readers (issue 27). Not a test module: tests/test_fuzz.py
runs every target for a few inputs in `make test`; benchmarks/fuzz.py runs them for as long as asked
(`make fuzz`, an hour by default) and reports the inputs tried and the failures.

Each target is a command that reads files from elsewhere, a valid seed of those files, and the
mutations hypothesis draws for them: bytes flipped, inserted, cut or swapped; hostile tokens
spliced in (']]>', '\\ud800', NaN, 1e308, 64-bit overflows, NUL, CR, BOM, a DTD with entities, a
name, a phone number, terminal escapes, bidirectional overrides); for JSON and YAML a node replaced
by a value of any type; for CSV a cell replaced, a line dropped or repeated; for a REFI-QDA archive
the XML of its project document mutated and the archive repacked, or the archive's bytes damaged.

The promises checked on every run (``check``):

1. the command ends with exit 0 (a valid result), 1 or 2 and a finding whose code is registered
   in validation/checks.yaml (a coded finding), never with an exception or a traceback;
2. it ends within ``TIMEOUT`` seconds (a hang is a failure);
3. nothing outside its output (``work/out``) is written, changed or left behind (no lock, no
   temporary), and its inputs are byte-identical.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from pedcomm.commands.conformance import LEFTOVER, _summary
from pedcomm.validation.conformance import materialize

#: Seconds one command may take on the small seed inputs before it counts as a hang (generous: a
#: loaded 2-core CI machine; the runs take about a second).
TIMEOUT = 120

TOKENS = [b"]]>", b"<![CDATA[", b'"\\ud800"', b"\\ud800", b"NaN", b"Infinity", b"1e308", b"-1e308", b"1e999",
          b"9223372036854775808", b"-9223372036854775809", b"99999999999999999999999999", b"\x00", b"\r", b"\r\n",
          b'"', b"'", b",", b";", b"\n", b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3\x28", b"{", b"[", b"}", b"]", b"<", b">",
          b"&", b"&amp;", b'<!DOCTYPE x [<!ENTITY a "b">]>', b"&a;", b"Jane Doe", b"555-123-4567", b"95 years",
          b"-7", b"-9", b"true", b"null", b"\t", "\u00e9".encode(), b"\x1b[2J", "\u202e".encode(), b"=cmd|' /C calc'!A0",
          b"../../etc/passwd", b"0", b"-0", b"0.0", b"1.5", b"", b" ", b"NA", b"2021-02-30", b"P0001", b"S1", b"{{x}}"]

json_odd = st.recursive(
    st.none() | st.booleans() | st.sampled_from([0, -1, 2 ** 63, -(2 ** 63) - 1, 10 ** 30, 1e308, -1e308, 5e-324, -0.0, 0.5])
    | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
    | st.sampled_from(["", "Jane Doe", "555-123-4567", "]]>", "\x1b[2J", "\u202e", "a" * 300, "valid", "error"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=5)

#: One mutation: (kind, a position, a blob of bytes, a token, a JSON value). Positions are taken
#: modulo the length of what they mutate, so every draw applies to every seed.
mutation = st.tuples(
    st.sampled_from(["flip", "insert", "token", "cut", "truncate", "dup_chunk", "swap_lines", "drop_line", "dup_line",
                     "cell", "node", "attr"]),
    st.integers(0, 2 ** 32), st.binary(min_size=1, max_size=16), st.sampled_from(TOKENS), json_odd)
mutations = st.lists(mutation, min_size=1, max_size=3)


# -- mutating ------------------------------------------------------------------------------------

def _lines(data: bytes, pos: int, kind: str, token: bytes) -> bytes:
    lines = data.split(b"\n")
    k = pos % len(lines)
    if kind == "drop_line":
        del lines[k]
    elif kind == "dup_line":
        lines.insert(k, lines[k])
    elif kind == "swap_lines":
        j = (pos // 7) % len(lines)
        lines[k], lines[j] = lines[j], lines[k]
    else:  # cell: a cell of a CSV line replaced by a token
        cells = lines[k].split(b",")
        cells[(pos // 11) % len(cells)] = token
        lines[k] = b",".join(cells)
    return b"\n".join(lines)


def _node(data: bytes, pos: int, value) -> bytes:
    """A JSON (or YAML) document with one node, chosen by ``pos``, replaced by ``value``."""
    try:
        doc = json.loads(data)
    except ValueError:
        import yaml

        try:
            doc = yaml.safe_load(data)
        except yaml.YAMLError:
            return data
        if not isinstance(doc, (dict, list)):
            return data
        paths = list(_paths(doc))
        _set(doc, paths[pos % len(paths)], value)
        return yaml.safe_dump(doc, allow_unicode=True).encode("utf-8", "surrogatepass")
    paths = list(_paths(doc))
    if not paths:
        return json.dumps(value).encode()
    _set(doc, paths[pos % len(paths)], value)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _paths(doc, prefix=()):
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _set(doc, path, value) -> None:
    for p in path[:-1]:
        doc = doc[p]
    doc[path[-1]] = value


def _attr(data: bytes, pos: int, token: bytes) -> bytes:
    """An XML attribute value (``name="..."``) chosen by ``pos`` replaced by ``token``."""
    spans = [m.span(1) for m in re.finditer(rb'="([^"]*)"', data)]
    if not spans:
        return data
    a, b = spans[pos % len(spans)]
    return data[:a] + token + data[b:]


def mutate(data: bytes, ops) -> bytes:
    for kind, pos, blob, token, value in ops:
        i = pos % (len(data) + 1)
        if kind == "flip" and data:
            j = i % len(data)
            data = data[:j] + bytes([data[j] ^ (blob[0] or 1)]) + data[j + 1:]
        elif kind == "insert":
            data = data[:i] + blob + data[i:]
        elif kind == "token":
            data = data[:i] + token + data[i:]
        elif kind == "cut":
            data = data[:i] + data[i + 1 + pos % 40:]
        elif kind == "truncate":
            data = data[:i]
        elif kind == "dup_chunk":
            data = data[:i] + data[i:i + 1 + pos % 200] * 2 + data[i + 1 + pos % 200:]
        elif kind in ("swap_lines", "drop_line", "dup_line", "cell"):
            data = _lines(data, pos, kind, token)
        elif kind == "node":
            data = _node(data, pos, value)
        elif kind == "attr":
            data = _attr(data, pos, token)
    return data


def mutate_archive(data: bytes, ops) -> bytes:
    """A REFI-QDA archive mutated: its project document's XML (repacked), or the archive's bytes."""
    if not ops:
        return data
    kind = ops[0][0]
    if kind in ("flip", "cut", "truncate", "dup_chunk"):  # the archive itself damaged
        return mutate(data, ops)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename.endswith(".qde") or (kind == "insert" and info.filename.endswith(".txt")):
                body = mutate(body, ops)
            zout.writestr(info.filename, body)
    return out.getvalue()


# -- the targets ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    name: str
    #: the file mutated (relative to the working folder) and how
    victim: str
    args: Callable[[Path], list]
    archive: bool = False
    #: run in `make test` too (False: only in `make fuzz`, whose seeds include a site's own REDCap files)
    bounded: bool = True


SITE_YAML = """site: S1
overrides:
  - code: COLUMN_UNKNOWN
    severity: ignore
    resource: survey_parents
    field: local_flag
    justification: A local audit column our export script removes before data leave the site.
  - code: TEXT_IDENTIFIER
    severity: warning
    justification: Our clinic is named after its founder, a public name reviewed by the privacy officer.
"""

TARGETS = {t.name: t for t in (
    Target("descriptor", "pkg/datapackage.json",
           lambda w: ["validate", w / "pkg", "--format", "json", "-o", w / "out" / "r.json"]),
    Target("site-yaml", "site.yaml", lambda w: ["validate", w / "pkg", "--config", w / "site.yaml", "--format", "json"]),
    Target("csv-table", "pkg/data/survey_relationships.csv",
           lambda w: ["export", w / "pkg", "--format", "parquet", "--out", w / "out"]),
    Target("csv-parents", "pkg/data/survey_parents.csv", lambda w: ["validate", w / "pkg", "--format", "json"]),
    Target("redcap-export", "export.csv",
           lambda w: ["redcap", "import", w / "export.csv", "--package", w / "pkg", "--out", w / "out", "--format", "json"]),
    Target("qdpx", "project.qdpx", lambda w: ["qda", "import", w / "project.qdpx", "--package", w / "coding", "--out", w / "out"],
           archive=True),
    Target("qdc", "codebook.qdc", lambda w: ["qda", "import", w / "codebook.qdc", "--out", w / "out"]),
    Target("summary", "a.json", lambda w: ["meta", w / "a.json", w / "b.json", "--out", w / "out"]),
    Target("report", "report.json", lambda w: ["dashboard", w / "report.json", w / "a.json", "--out", w / "out" / "d.html"]),
    # a site's own REDCap project (issue 26): its data dictionary, its reviewed crosswalk, its SPSS file
    Target("dictionary", "site-dictionary.csv",
           lambda w: ["redcap", "crosswalk", "--dictionary", w / "site-dictionary.csv", "--package", w / "my-site",
                      "--out", w / "out" / "crosswalk.csv"], bounded=False),
    Target("crosswalk", "site-crosswalk.csv",
           lambda w: ["redcap", "import", w / "site-export.csv", "--crosswalk", w / "site-crosswalk.csv", "--package",
                      w / "my-site", "--out", w / "out" / "pkg", "--format", "json"], bounded=False),
    Target("spss", "site-export.sav",
           lambda w: ["import", w / "site-export.sav", "--crosswalk", w / "site-crosswalk.csv", "--package", w / "my-site",
                      "--out", w / "out" / "pkg", "--format", "json"], bounded=False),
)}
#: The targets `make test` runs (the others need seeds that take longer to make: `make fuzz` only).
BOUNDED = [name for name, t in TARGETS.items() if t.bounded]
#: A site's own files of the shipped example (docs/examples), the seeds of the unbounded targets.
SITE_FILES = ("site-dictionary.csv", "site-crosswalk.csv", "site-export.csv", "site-export.sav")
EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def _invoke(args: list):
    from typer.testing import CliRunner

    from pedcomm.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def make_seeds(folder: Path, *, site_files: bool = False) -> Path:
    """The valid inputs every target starts from, written once into ``folder`` (with ``site_files``,
    those of the targets `make test` does not run too: a site package from `pedcomm init` and the
    example's own REDCap files)."""
    if (folder / ".done").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    if site_files:
        r = _invoke(["init", "--site", "SITE1", "--name", "Example Children's Hospital", "--out", folder / "my-site"])
        assert r.exit_code == 0, r.output
        for name in SITE_FILES:
            shutil.copyfile(EXAMPLES / name, folder / name)
    materialize({"base": "valid"}, folder / "_p").rename(folder / "pkg")
    materialize({"base": "valid_coding"}, folder / "_c").rename(folder / "coding")
    for p in folder.glob("_*"):
        p.rmdir()
    (folder / "site.yaml").write_text(SITE_YAML)
    from .redcap_fixtures import raw_export, write

    (folder / "export.csv").write_text(write(raw_export()))  # the valid package as its REDCap project exports it
    for name, site in (("a.json", "A"), ("b.json", "B")):
        (folder / name).write_text(json.dumps(_summary({"set": {"site": site}}), indent=1))
    for args in (["qda", "export", folder / "project.qdpx", "--package", folder / "coding"],
                 ["qda", "export-codebook", "--package", folder / "coding", "--out", folder / "codebook.qdc"],
                 ["validate", folder / "pkg", "--format", "json", "-o", folder / "report.json"]):
        r = _invoke(args)
        assert r.exit_code == 0, r.output
    for marker in folder.glob(".*.pedcomm-output.json"):
        marker.unlink()
    (folder / ".done").write_text("")
    return folder


# -- running one input -------------------------------------------------------------------------

class Hang(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: int):
    def ring(signum, frame):
        raise Hang(f"the command did not end within {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _snapshot(folder: Path, skip: Path) -> dict:
    out = {}
    for base, dirs, files in os.walk(folder):
        if Path(base) == skip or skip in Path(base).parents:
            continue
        for name in dirs + files:
            p = Path(base) / name
            if p == skip:
                continue
            st = os.lstat(p)
            out[str(p.relative_to(folder))] = p.read_bytes() if p.is_file() and not p.is_symlink() else st.st_mode
    return out


_CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


def check(target: Target, ops, seeds: Path, work: Path) -> int:
    """Run ``target`` on its seed mutated by ``ops`` in the empty folder ``work``; raises AssertionError
    (or Hang) when a promise is broken, else returns the exit status."""
    from pedcomm.validation.registry import specs

    shutil.copytree(seeds, work, ignore=shutil.ignore_patterns(".done"))
    victim = work / target.victim
    data = victim.read_bytes()
    victim.write_bytes(mutate_archive(data, ops) if target.archive else mutate(data, ops))
    out = work / "out"
    before = _snapshot(work, out)
    with _deadline(TIMEOUT), contextlib.chdir(work):
        r = _invoke(target.args(work))
    assert r.exception is None or isinstance(r.exception, SystemExit), \
        f"{type(r.exception).__name__}: {r.exception}\n{r.output[-3000:]}"
    assert "Traceback" not in r.output, r.output[-3000:]
    assert r.exit_code in (0, 1, 2), f"exit {r.exit_code}: {r.output[-3000:]}"
    if r.exit_code:  # the coded finding: in what the command printed, or in the report it wrote
        written = " ".join(p.read_text("utf-8", "replace") for p in out.rglob("*.json") if p.is_file()) if out.is_dir() else ""
        codes = set(_CODE.findall(r.output + written)) & set(specs())
        assert codes, f"exit {r.exit_code} without a registered code: {r.output[-3000:]}"
    after = _snapshot(work, out)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, f"written outside the output: {changed}"
    left = [str(p.relative_to(work)) for p in work.rglob("*") if LEFTOVER.search(p.name)]
    assert not left, f"left behind: {left}"
    return r.exit_code
