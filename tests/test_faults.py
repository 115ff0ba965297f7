"""Issue 16: faults while writing. A full disk (a small tmpfs when running as root, a simulated
failing file system always), permission problems, a failed rename, kill -9 at three points,
SIGTERM and SIGINT, two runs on one output, and the modes of what is written.

Every case asserts the exit status and code, no traceback, inputs byte-identical, and nothing
half-written: no output, or the previous output exactly as it was, and no temporary left after
the next run.
"""

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pedcomm.cli import app
from pedcomm.validation.conformance import materialize
from pedcomm.files import markers, outputs

from .conftest import snapshot

DRIVER = Path(__file__).with_name("fault_driver.py")
runner = CliRunner()
S2 = {"descriptor_set": {"resource": None, "key": "pedcomm", "value": {"site": "S2", "schemaVersion": "0.1.0"}}}
S2_DATA = {"set": {"resource": "survey_relationships", "row": 2, "field": "prior_visits", "value": 7}}


@pytest.fixture
def pkg(tmp_path):
    return materialize({"base": "valid"}, tmp_path / "in")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".pedcomm-tmp-" in p.name or ".pedcomm-old-" in p.name
                  or p.name.endswith(".pedcomm-lock"))


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


# -- subprocesses paused at a point of the output helper --------------------------------------------

def start(tmp_path: Path, point: str, *args):
    flag = tmp_path / f"flag-{point}"
    proc = subprocess.Popen([sys.executable, str(DRIVER), point, str(flag), "--", *map(str, args)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while not flag.exists():
        if proc.poll() is not None:
            pytest.fail(f"the run ended before {point}: {proc.communicate()}")
        assert time.monotonic() < deadline, f"the run did not reach {point}"
        time.sleep(0.05)
    return proc, flag


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if ".pedcomm-tmp-" in p.name]


def test_kill_9_while_working_leaves_no_output_and_the_next_run_works(pkg, tmp_path):
    before = snapshot(pkg)
    proc, _ = start(tmp_path, "work", "export", pkg, "--format", "parquet", "--out", "out")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert not (tmp_path / "out").exists() and temporaries(tmp_path) == []
    r = invoke("export", pkg, "--format", "parquet", "--out", tmp_path / "out")  # the kernel released the lock
    assert r.exit_code == 0, r.output
    assert leftovers(tmp_path) == [] and snapshot(pkg) == before


def test_kill_9_while_staging_leaves_only_a_private_temporary_that_the_next_run_removes(pkg, tmp_path):
    """`pool` killed with the pooled row-level data written but not in place: the data sit in a
    folder only the user can open (0700), and the next run removes it."""
    s2 = materialize({"base": "valid", "edits": [S2, S2_DATA]}, tmp_path / "s2")
    inputs = snapshot(tmp_path / "in"), snapshot(s2)
    proc, _ = start(tmp_path, "staging", "pool", pkg, s2, "--out", "pooled")
    (tmp,) = temporaries(tmp_path)
    assert (tmp / "data" / "survey_parents.csv").is_file()
    assert stat.S_IMODE(tmp.stat().st_mode) == 0o700
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert not (tmp_path / "pooled").exists() and temporaries(tmp_path) == [tmp]
    r = invoke("pool", pkg, s2, "--out", tmp_path / "pooled")
    assert r.exit_code == 0, r.output
    assert leftovers(tmp_path) == [] and (snapshot(tmp_path / "in"), snapshot(s2)) == inputs


def test_kill_9_between_the_renames_of_a_replacement_puts_the_previous_output_back(pkg, tmp_path):
    out = tmp_path / "out"
    assert invoke("export", pkg, "--format", "parquet", "--out", out).exit_code == 0
    previous = snapshot(out)
    proc, _ = start(tmp_path, "swap", "export", pkg, "--format", "dta", "--out", "out", "--force")
    assert not out.exists() and len([p for p in tmp_path.iterdir() if ".pedcomm-old-" in p.name]) == 1
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    r = invoke("export", pkg, "--format", "dta", "--out", out)  # recovers, then refuses: no --force
    assert r.exit_code == 2 and "OUTPUT_EXISTS" in r.output
    assert snapshot(out) == previous and leftovers(tmp_path) == []
    r = invoke("export", pkg, "--format", "dta", "--out", out, "--force")
    assert r.exit_code == 0 and (out / "survey_sites.dta").is_file() and leftovers(tmp_path) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_removes_the_temporary_and_the_lock(pkg, tmp_path, sig):
    out = tmp_path / "out"
    assert invoke("export", pkg, "--format", "parquet", "--out", out).exit_code == 0
    previous = snapshot(out)
    proc, _ = start(tmp_path, "staging", "export", pkg, "--format", "sav", "--out", "out", "--force")
    assert len(temporaries(tmp_path)) == 1
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 128 + sig, (stdout, stderr)
    assert f"Interrupted ({signal.Signals(sig).name})" in stderr and "Traceback" not in stdout + stderr
    assert snapshot(out) == previous and leftovers(tmp_path) == []


def test_two_runs_on_one_output_never_race(pkg, tmp_path):
    proc, flag = start(tmp_path, "staging", "export", pkg, "--format", "parquet", "--out", "out")
    started = time.monotonic()
    second = invoke("export", pkg, "--format", "sav", "--out", tmp_path / "out", "--force")
    assert second.exit_code == 2 and "OUTPUT_LOCKED" in second.output and time.monotonic() - started < 10
    assert not (tmp_path / "out").exists()
    Path(f"{flag}.go").touch()
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    mark = json.loads((tmp_path / "out" / markers.MARKER).read_text())
    assert sorted(mark["files"]) == sorted(p.name for p in (tmp_path / "out").glob("*.parquet"))
    assert leftovers(tmp_path) == []


# -- a full disk ------------------------------------------------------------------------------------

@contextmanager
def tmpfs(path: Path, size: str):
    """A small tmpfs mounted at ``path`` (root only); yields None when it cannot be mounted."""
    path.mkdir()
    if os.geteuid() != 0:
        yield None
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                          capture_output=True)
    if done.returncode != 0:
        yield None
        return
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


FULL_DISK_RUNS = {
    "redcap dictionary": lambda pkg, s2, c, d: ["redcap", "dictionary", "--package", pkg, "--out", d / "dict.csv"],
    "export": lambda pkg, s2, c, d: ["export", pkg, "--format", "sav", "--out", d / "out"],
    "validate -o": lambda pkg, s2, c, d: ["validate", pkg, "--format", "json", "-o", d / "report.json"],
    "qda export": lambda pkg, s2, c, d: ["qda", "export", d / "p.qdpx", "--package", c],
    "pool": lambda pkg, s2, c, d: ["pool", pkg, s2, "--out", d / "pooled"],
}


@pytest.mark.parametrize("command", list(FULL_DISK_RUNS))
def test_a_full_disk_is_a_coded_refusal_and_leaves_the_disk_empty(pkg, tmp_path, command):
    coding = materialize({"base": "valid_coding"}, tmp_path / "c")
    s2 = materialize({"base": "valid", "edits": [S2, S2_DATA]}, tmp_path / "s2")
    inputs = snapshot(tmp_path / "in"), snapshot(coding)
    with tmpfs(tmp_path / "disk", "8k") as disk:
        if disk is None:
            pytest.skip("needs root to mount a tmpfs; test_a_simulated_full_disk covers this without it")
        r = invoke(*FULL_DISK_RUNS[command](pkg, s2, coding, disk))
        assert r.exit_code == 2, r.output
        assert "OUTPUT_WRITE_FAILED" in r.output and "disk is full" in r.output and "Traceback" not in r.output
        assert sorted(os.listdir(disk)) == [], "something was left on the full disk"
    assert (snapshot(tmp_path / "in"), snapshot(coding)) == inputs


def test_a_full_disk_never_costs_the_previous_output(pkg, tmp_path):
    with tmpfs(tmp_path / "disk", "512k") as disk:
        if disk is None:
            pytest.skip("needs root to mount a tmpfs; test_a_failed_rename_puts_the_previous_output_back covers it")
        out = disk / "out"
        assert invoke("export", pkg, "--format", "parquet", "--out", out).exit_code == 0
        previous = snapshot(out)
        free = os.statvfs(disk)
        (disk / "filler").write_bytes(b"\0" * (free.f_bavail * free.f_frsize - 8192))  # 8 KiB left
        s2 = materialize({"base": "valid", "edits": [S2, S2_DATA]}, tmp_path / "s2")
        r = invoke("pool", pkg, s2, "--out", disk / "other")
        assert r.exit_code == 2 and "OUTPUT_WRITE_FAILED" in r.output, r.output
        r = invoke("export", pkg, "--format", "sav", "--out", out, "--force")
        assert r.exit_code == 2 and "OUTPUT_WRITE_FAILED" in r.output, r.output
        assert snapshot(out) == previous and leftovers(disk) == [] and not (disk / "other").exists()
        assert sorted(os.listdir(disk)) == ["filler", "out"]


# -- a simulated failing file system (any user) --------------------------------------------------------

def _failing(err: int):
    def fail(*args, **kwargs):
        raise OSError(err, os.strerror(err))

    return fail


SIMULATED = [  # (what fails, how to make it fail, errno, words in the message)
    ("writing a file", lambda mp: mp.setattr(Path, "write_text", _failing(errno.ENOSPC)), errno.ENOSPC, "disk is full"),
    ("the marker", lambda mp: mp.setattr(markers, "marker", _failing(errno.EDQUOT)), errno.EDQUOT, "quota"),
    ("the temporary folder", lambda mp: mp.setattr(outputs.tempfile, "mkdtemp", _failing(errno.EROFS)), errno.EROFS, "read-only"),
    ("the rename into place", lambda mp: mp.setattr(outputs.os, "rename", _failing(errno.EACCES)), errno.EACCES, "permission denied"),
]


@pytest.mark.parametrize("what, fail, err, words", SIMULATED, ids=[s[0] for s in SIMULATED])
def test_a_simulated_failing_file_system(pkg, tmp_path, monkeypatch, what, fail, err, words):
    before = snapshot(pkg)
    s2 = materialize({"base": "valid", "edits": [S2, S2_DATA]}, tmp_path / "s2")
    fail(monkeypatch)
    r = invoke("pool", pkg, s2, "--out", tmp_path / "out") if what == "writing a file" else \
        invoke("export", pkg, "--format", "parquet", "--out", tmp_path / "out")
    monkeypatch.undo()
    assert r.exit_code == 2 and "OUTPUT_WRITE_FAILED" in r.output and words in r.output, r.output
    assert "Traceback" not in r.output and not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == [] and snapshot(pkg) == before


def test_permission_denied_on_the_output_folder(pkg, tmp_path, monkeypatch):
    real = os.open

    def no_lock(path, *args, **kwargs):
        if str(path).endswith(".pedcomm-lock"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(outputs.os, "open", no_lock)
    r = invoke("validate", pkg, "-o", tmp_path / "report.txt")
    monkeypatch.undo()
    assert r.exit_code == 2 and "OUTPUT_WRITE_FAILED" in r.output and "permission denied" in r.output
    assert os.listdir(tmp_path) == ["in"]


def test_a_failed_rename_puts_the_previous_output_back(pkg, tmp_path, monkeypatch):
    """The replacement's second rename fails (no atomic exchange on this file system): the previous
    output is renamed back, whole, and the new one discarded."""
    out = tmp_path / "out"
    assert invoke("export", pkg, "--format", "parquet", "--out", out).exit_code == 0
    previous = snapshot(out)
    real = os.rename

    def second_fails(a, b):
        if Path(b) == out and ".pedcomm-tmp-" in str(a):  # the new output cannot be put in place
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(a, b)

    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    monkeypatch.setattr(outputs.os, "rename", second_fails)
    r = invoke("export", pkg, "--format", "sav", "--out", out, "--force")
    monkeypatch.undo()
    assert r.exit_code == 2 and "OUTPUT_WRITE_FAILED" in r.output and "disk is full" in r.output
    assert snapshot(out) == previous and leftovers(tmp_path) == []


# -- modes ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mask, folder, file", [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640), (0o002, 0o775, 0o664)])
def test_outputs_follow_the_umask_and_temporaries_are_private(pkg, tmp_path, monkeypatch, mask, folder, file):
    seen = []
    hash_tree = markers.hash_tree
    monkeypatch.setattr(markers, "hash_tree", lambda root: seen.append(stat.S_IMODE(root.stat().st_mode)) or hash_tree(root))
    old = os.umask(mask)
    try:
        assert invoke("export", pkg, "--format", "parquet", "--out", tmp_path / "out").exit_code == 0
        assert invoke("validate", pkg, "-o", tmp_path / "report.txt").exit_code == 0
    finally:
        os.umask(old)
    assert seen == [0o700]  # the pooled or exported rows are never readable by others while written
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == folder
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "out").iterdir()} == {file}
    assert stat.S_IMODE((tmp_path / "report.txt").stat().st_mode) == file


# -- what reaches the files people open --------------------------------------------------------------

def test_meta_outputs_escape_markup_and_defuse_formulas(tmp_path):
    """Labels of a received summary reach meta's tables: never as HTML in Markdown or HTML, never as
    a formula in the CSV, never as a terminal escape."""
    from pedcomm.commands.conformance import _summary

    rows = ["<img src=x onerror=alert(1)>", "=HYPERLINK(\"http://evil.example\",\"x\")", "missing"]
    for name, site in (("a.json", "A"), ("b.json", "B")):
        (tmp_path / name).write_text(json.dumps(_summary({"set": {"site": site, "tables.0.rows": rows}})))
    r = invoke("meta", tmp_path / "a.json", tmp_path / "b.json", "--out", tmp_path / "m")
    assert r.exit_code == 0, r.output
    md = (tmp_path / "m" / "pooled_tables.md").read_text()
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)>" in md
    assert "<img src=x" not in (tmp_path / "m" / "pooled_tables.html").read_text()
    csv_text = (tmp_path / "m" / "pooled_tables.csv").read_text()
    assert "'=HYPERLINK(" in csv_text and "\n=HYPERLINK" not in csv_text and ",=HYPERLINK" not in csv_text


def test_reproduce_outputs_escape_what_a_package_holds(tmp_path):
    """A codebook whose definition holds a script and whose name holds a formula, and a package
    title with markup and terminal escapes: the tables show them as text."""
    edits = [{"set": {"resource": "coding_codes", "row": 2, "field": "definition",
                      "value": "<script>alert(1)</script> States the result."}},
             {"set": {"resource": "coding_codes", "row": 2, "field": "name", "value": "=cmd|' /C calc'!A0"}},
             {"descriptor_set": {"resource": None, "key": "title", "value": "<b>Site</b> \u001b[2J [x](javascript:alert(1))"}}]
    pkg = materialize({"base": "valid_coding", "edits": edits}, tmp_path / "in")
    r = invoke("reproduce", pkg, "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.output
    out = tmp_path / "o"
    md = (out / "coding_codebook.md").read_text()
    assert "<script>" not in md and "&lt;script>alert(1)&lt;/script>" in md
    assert "<script>alert" not in (out / "coding_codebook.html").read_text()
    assert "'=cmd|' /C calc'!A0" in (out / "coding_codebook.csv").read_text()
    index = (out / "index.md").read_text()
    assert "<b>" not in index and "&lt;b>Site&lt;/b>" in index
    assert "\x1b" not in index and "\\x1b" in index  # the escape sequence shown, not sent
    assert "[x](javascript:" not in index and "\\[x\\](javascript:" in index
    assert (pkg / "data" / "coding_codes.csv").read_text().count("=cmd|") == 1  # the package is never altered
