"""Command-level conformance cases: a pedcomm command run on prepared inputs, and what must follow.

Where the conformance suite (pedcomm.validation.conformance) edits a package and validates it, these cases
(validation/conformance/files/commands/*.yaml, one case per file) prepare a working folder, run one
command line in it, and state the finding code and exit status it must end with. They cover what
a package edit cannot: outputs aimed at inputs, existing and locked outputs, special files given
as configurations or summaries, invalid options. The registry names some of them as the minimal
invalid example of a code (``example:``), and tests/test_hostile.py runs them all, checking that
no input changed and nothing was left half-written.

A case::

    what: A data manager gives the package folder as the output, with --force.
    setup:                                # run in order, in an empty working folder
      - {package: pkg}                    # the valid package of the suite, copied to pkg/
      - {package: {path: c, base: valid_coding, edits: [...]}}   # another base, with edits
      - {summary: {path: a.json, set: {site: B}}}   # a minimal valid site summary, changed
      - {file: {path: notes.txt, text: "mine"}}     # any file
      - {copy: {from: files/qda/flat-codebook.qdc, to: cb.qdc}}   # a file of the suite
      - {special: {path: site.yaml, kind: fifo}}    # fifo, folder, socket or link-to-fifo
      - {sparse: {path: big.json, bytes: 20000000}} # a large file without its bytes
      - {link: {path: out, target: real}}            # a symbolic link
      - {hardlink: {path: r.json, target: pkg/datapackage.json}}  # a hard link
      - {pedcomm: [export, pkg, --format, parquet, --out, out]}   # an earlier run (must succeed)
      - {lock: out}                       # another run holds the lock of this output
    run: [reproduce, pkg, --out, pkg, --force]       # paths are relative to the working folder
    expect: OUTPUT_OVERLAPS_INPUT         # the code the output must name
    exit: 2
    changes: [out]                        # paths the run may create or change (default: none)
    secret: 555-123-4567                  # a value that must appear in no output and no file written
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..validation.conformance import SUITE, _special, materialize

CASES = SUITE / "files" / "commands"
#: Names the file layer gives its temporaries and locks: none may remain after a run.
LEFTOVER = re.compile(r"\.pedcomm-(tmp|old)-\d+-|\.pedcomm-lock$")


def cases() -> list[dict]:
    out = []
    for p in sorted(CASES.glob("*.yaml")):
        case = yaml.safe_load(p.read_text(encoding="utf-8"))
        case["id"], case["path"] = p.stem, p
        out.append(case)
    return out


def snapshot(folder: Path) -> dict:
    """Every file under ``folder``: bytes of regular files (size and time of large ones), link
    targets, and the type of special files (never opened)."""
    out: dict[str, object] = {}
    for base, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(base) / name
            rel = p.relative_to(folder).as_posix()
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                out[rel] = p.read_bytes() if st.st_size <= 64 << 20 else ("large", st.st_size, st.st_mtime_ns)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("folder",)
            else:
                out[rel] = ("special", stat.S_IFMT(st.st_mode))
    return out


@dataclass
class CommandRun:
    case: dict
    exit_code: int
    output: str
    work: Path
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    exception: BaseException | None = None

    def codes(self) -> set[str]:
        """The codes of the findings the output shows (a JSON report's findings, or the codes a
        text report names)."""
        from ..validation.registry import specs

        start = self.output.find("{")
        if start >= 0:
            try:
                doc, _ = json.JSONDecoder().raw_decode(self.output[start:])
                return {f["code"] for f in doc.get("findings", [])}
            except (ValueError, AttributeError, KeyError, TypeError):
                pass
        return set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", self.output)) & set(specs())

    def changed(self) -> list[str]:
        """Files present before the run that differ or vanished, outside the case's ``changes``."""
        allowed = [c.rstrip("/") for c in self.case.get("changes", [])]

        def free(rel: str) -> bool:
            return any(rel == a or rel.startswith(a + "/") or Path(rel).name.startswith(f".{Path(a).name}.pedcomm-output")
                       for a in allowed)

        return sorted(rel for rel, v in self.before.items() if not free(rel) and self.after.get(rel) != v)

    def created(self) -> list[str]:
        """Paths that appeared outside the case's ``changes``."""
        allowed = [c.rstrip("/") for c in self.case.get("changes", [])]
        return sorted(rel for rel in self.after if rel not in self.before
                      and not any(rel == a or rel.startswith(a + "/") or Path(rel).name == f".{Path(a).name}.pedcomm-output.json"
                                  for a in allowed))

    def leftovers(self) -> list[str]:
        return sorted(rel for rel in self.after if LEFTOVER.search(Path(rel).name))


def _summary(spec: dict) -> dict:
    from ..sites.examples import TEMPLATE

    doc = copy.deepcopy(TEMPLATE)
    for key, value in (spec.get("set") or {}).items():
        target: Any = doc
        *parents, last = key.split(".")
        for k in parents:
            target = target[int(k)] if isinstance(target, list) else target[k]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return doc


@contextmanager
def _held_lock(path: Path):
    """Hold the lock of the output ``path`` as another pedcomm run would."""
    import fcntl

    lock = path.parent / f".{path.name}.pedcomm-lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"99999")
        yield
    finally:
        os.unlink(lock)
        os.close(fd)


def _invoke(args: list[str]):
    from typer.testing import CliRunner

    from ..cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def prepare(case: dict, work: Path) -> list:
    """Carry out the case's setup in ``work``; returns the locks to hold during the run."""
    locks = []
    for step in case.get("setup", []):
        (op, arg), = step.items()
        if op == "package":
            spec = {"path": arg} if isinstance(arg, str) else dict(arg)
            made = materialize({"base": spec.get("base", "valid"), "edits": spec.get("edits", [])}, work / "_tmp")
            target = work / spec["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            made.rename(target)
            (work / "_tmp").rmdir()
        elif op == "summary":
            p = work / arg["path"]
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(arg.get("raw") or json.dumps(_summary(arg), indent=1), encoding="utf-8")
        elif op == "file":
            p = work / arg["path"]
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(bytes.fromhex(arg["hex"]) if "hex" in arg else arg["text"].encode("utf-8"))
        elif op == "copy":  # a file of the suite (validation/conformance/...)
            p = work / arg["to"]
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes((SUITE / arg["from"]).read_bytes())
        elif op == "special":
            p = work / arg["path"]
            p.parent.mkdir(parents=True, exist_ok=True)
            _special(p, arg["kind"])
        elif op == "link":
            p = work / arg["path"]
            p.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(arg["target"], p)
        elif op == "hardlink":
            os.link(work / arg["target"], work / arg["path"])
        elif op == "sparse":
            p = work / arg["path"]
            p.touch()
            os.truncate(p, int(arg["bytes"]))
        elif op == "pedcomm":
            with contextlib.chdir(work):
                r = _invoke(arg)
            if r.exit_code != 0:
                raise RuntimeError(f"setup run {arg} failed ({r.exit_code}): {r.output[-2000:]}")
        elif op == "lock":
            locks.append(work / arg)
        else:
            raise ValueError(f"unknown setup step {op!r}")
    return locks


def run(path: str | Path, workdir: str | Path) -> CommandRun:
    """Run the case in ``path`` (a file of files/commands/) in the empty folder ``workdir``."""
    path = Path(path)
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    case["id"] = path.stem
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    locks = prepare(case, work)
    before = snapshot(work)
    from contextlib import ExitStack

    with ExitStack() as stack:
        for lock in locks:
            stack.enter_context(_held_lock(lock))
        with contextlib.chdir(work):
            r = _invoke(case["run"])
    return CommandRun(case, r.exit_code, r.output, work, before, snapshot(work), r.exception)
