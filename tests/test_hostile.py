"""Issue 16: a user's mistake never costs a site its data, under every command.

The command-level cases (validation/conformance/files/commands/*.yaml) run each writing and
reading command on prepared inputs: outputs aimed at inputs, existing, foreign and locked
outputs, special files and oversize files in every input role, invalid options. Each must end
with its code and exit status, without a traceback, with every input byte-identical and nothing
half-written (no temporary, no lock, no partial output).

Issue 27 (a second outside audit) adds, below: links and strangers planted at the paths pedcomm
keeps for itself (lock, temporaries, markers) under every writing command, forged and edited
markers, faults while writing, values that must stay masked, inputs that used to end in a
traceback, and the refusals that were missing.
"""

import contextlib
import errno
import json
import os
import stat
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pedcomm.cli import app
from pedcomm.commands.conformance import _summary, cases, run
from pedcomm.files import markers, outputs
from pedcomm.validation.conformance import SUITE, materialize

from .conftest import snapshot

CASES = cases()


def test_the_command_corpus_covers_every_writing_command():
    writers = {"reproduce", "synth", "export", "pool", "summarize", "meta", "validate", "redcap dictionary",
               "redcap import", "qda export-codebook", "qda export", "qda import"}
    overlap = {" ".join(c["run"][:2]) if c["run"][0] in ("redcap", "qda") else c["run"][0]
               for c in CASES if c["expect"] == "OUTPUT_OVERLAPS_INPUT"}
    assert writers - {"synth"} <= overlap, writers - overlap  # synth reads no input
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_command_case(case, tmp_path):
    started = time.monotonic()
    r = run(case["path"], tmp_path / "work")
    assert time.monotonic() - started < 30, "a command case must end within seconds"
    assert r.exit_code == case["exit"], r.output
    assert "Traceback" not in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    if case["expect"]:
        assert case["expect"] in r.codes(), r.output
    assert r.changed() == [], "an input changed"
    assert r.created() == [], "something was written where nothing should be"
    assert r.leftovers() == [], "a temporary or a lock was left behind"
    if case.get("secret"):  # the one masking path: no masked value in the output or in any file written
        assert case["secret"] not in r.output
        written = [v for rel, v in r.after.items() if r.before.get(rel) != v and isinstance(v, bytes)]
        assert not any(case["secret"].encode() in v for v in written)


# -- issue 27: a second outside audit ----------------------------------------------------------------
#
# Every writing command, with links and strangers planted at the paths pedcomm keeps for itself
# (its lock, its temporaries, its markers), forged and edited markers, and faults while writing.

_runner = CliRunner()
FILE, FOLDER = outputs.FILE, outputs.FOLDER


def pedcomm(*args, cwd: Path | None = None):
    with contextlib.chdir(cwd) if cwd else contextlib.nullcontext():
        return _runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """One folder of valid inputs for every writing command (never changed by any test)."""
    i = tmp_path_factory.mktemp("inputs")
    materialize({"base": "valid"}, i / "_p").rename(i / "pkg")
    materialize({"base": "valid_coding"}, i / "_c").rename(i / "coding")
    s2 = {"descriptor_set": {"resource": None, "key": "pedcomm", "value": {"site": "S2", "schemaVersion": "0.1.0"}}}
    s2_data = {"set": {"resource": "survey_relationships", "row": 2, "field": "prior_visits", "value": 7}}
    materialize({"base": "valid", "edits": [s2, s2_data]}, i / "_s").rename(i / "s2")
    for name, site in (("a.json", "A"), ("b.json", "B")):
        (i / name).write_text(json.dumps(_summary({"set": {"site": site}}), indent=1))
    r = pedcomm("validate", i / "pkg", "--format", "json", "-o", i / "report.json")
    assert r.exit_code == 0, r.output
    (i / "cb.qdc").write_bytes((SUITE / "files/qda/flat-codebook.qdc").read_bytes())
    case = yaml.safe_load((SUITE / "files/commands/redcap-import-masks-record-id.yaml").read_text())
    text = next(s["file"]["text"] for s in case["setup"] if "file" in s)
    (i / "export.csv").write_text(text.replace("555-123-4567", "P1"))
    assert pedcomm("example", "--out", i / "example").exit_code == 0  # the shipped package: larger tables
    for p in i.glob("_*"):
        p.rmdir()
    return i


#: Every writing command: (kind, output name, arguments given the inputs folder and the output path).
WRITERS = {
    "validate -o": (FILE, "report.json", lambda i, o: ["validate", i / "pkg", "--format", "json", "-o", o]),
    "example": (FOLDER, "out", lambda i, o: ["example", "--out", o]),
    "reproduce": (FOLDER, "out", lambda i, o: ["reproduce", i / "pkg", "--out", o]),
    "summarize": (FILE, "S.json", lambda i, o: ["summarize", i / "pkg", "--out", o]),
    "export": (FOLDER, "out", lambda i, o: ["export", i / "pkg", "--format", "parquet", "--out", o]),
    "pool": (FOLDER, "out", lambda i, o: ["pool", i / "pkg", i / "s2", "--out", o]),
    "meta": (FOLDER, "out", lambda i, o: ["meta", i / "a.json", i / "b.json", "--out", o]),
    "dashboard": (FILE, "d.html", lambda i, o: ["dashboard", i / "report.json", "--out", o]),
    "standard": (FOLDER, "out", lambda i, o: ["standard", "--out", o]),
    "init": (FOLDER, "out", lambda i, o: ["init", "--site", "S9", "--name", "Test Hospital", "--out", o]),
    "synth": (FOLDER, "out", lambda i, o: ["synth", "survey", "--out", o]),
    "redcap dictionary": (FILE, "dict.csv", lambda i, o: ["redcap", "dictionary", "--out", o]),
    "redcap project": (FILE, "project.xml", lambda i, o: ["redcap", "project", "--out", o]),
    "redcap import": (FOLDER, "out", lambda i, o: ["redcap", "import", i / "export.csv", "--package", i / "pkg", "--out", o]),
    "qda export-codebook": (FILE, "cb.qdc", lambda i, o: ["qda", "export-codebook", "--package", i / "coding", "--out", o]),
    "qda export": (FILE, "p.qdpx", lambda i, o: ["qda", "export", o, "--package", i / "coding"]),
    "qda import": (FOLDER, "out", lambda i, o: ["qda", "import", i / "cb.qdc", "--out", o]),
}


def test_every_writing_command_is_audited():
    assert set(WRITERS) >= {"validate -o", "example", "reproduce", "summarize", "export", "pool", "meta", "dashboard",
                            "standard", "init", "synth", "redcap dictionary", "redcap project", "redcap import",
                            "qda export-codebook", "qda export", "qda import"}


def _plant(kind: str, at: Path, i: Path, work: Path) -> None:
    if kind == "link to the descriptor":
        os.symlink(i / "pkg" / "datapackage.json", at)
    elif kind == "link to a data file":
        os.symlink(i / "pkg" / "data" / "survey_parents.csv", at)
    elif kind == "dangling link":
        (work / "elsewhere").mkdir(exist_ok=True)
        os.symlink(work / "elsewhere" / "created-by-pedcomm", at)
    elif kind == "link to a folder":
        os.symlink(i / "pkg" / "data", at)
    elif kind == "hard link to the descriptor":
        os.link(i / "pkg" / "datapackage.json", at)
    elif kind == "a user's file":
        at.write_text("my notes, not pedcomm's")
    elif kind == "a user's folder":
        at.mkdir()
        (at / "notes.txt").write_text("mine")
    elif kind == "a named pipe":
        os.mkfifo(at)
    else:
        raise ValueError(kind)


def _state(p: Path):
    st = os.lstat(p)
    if stat.S_ISLNK(st.st_mode):
        return ("link", os.readlink(p))
    if stat.S_ISREG(st.st_mode):
        return ("file", p.read_bytes(), st.st_ino)
    if stat.S_ISDIR(st.st_mode):
        return ("folder", snapshot(p))
    return ("special", stat.S_IFMT(st.st_mode))


def _refused_unchanged(r, i: Path, before_inputs: dict, work: Path, before_work: dict, code: str = "OUTPUT_FOREIGN"):
    assert r.exit_code == 2, r.output
    assert code in r.output and "Traceback" not in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert snapshot(i) == before_inputs, "an input changed"
    assert snapshot(work) == before_work, "something in the working folder changed or appeared"


LOCK_PLANTS = ["link to the descriptor", "dangling link"]
MORE_LOCK_PLANTS = ["link to a data file", "link to a folder", "hard link to the descriptor", "a user's file",
                    "a user's folder", "a named pipe"]
LOCK_CASES = [(c, p) for c in WRITERS for p in LOCK_PLANTS] + \
             [(c, p) for c in ("validate -o", "export", "summarize") for p in MORE_LOCK_PLANTS]


@pytest.mark.parametrize("command, plant", LOCK_CASES, ids=[f"{c}-{p}" for c, p in LOCK_CASES])
def test_what_is_planted_at_the_lock_path_is_never_followed_or_changed(inputs, tmp_path, command, plant):
    """The audit's HIGH case: a link at `.OUT.pedcomm-lock` made the run overwrite its target (the
    package's descriptor) with a process id and say nothing was written."""
    kind, name, args = WRITERS[command]
    work = tmp_path / "work"
    work.mkdir()
    _plant(plant, work / f".{name}.pedcomm-lock", inputs, work)
    before_inputs, before_work = snapshot(inputs), snapshot(work)
    r = pedcomm(*args(inputs, work / name))
    _refused_unchanged(r, inputs, before_inputs, work, before_work)
    assert not (work / "elsewhere" / "created-by-pedcomm").exists()


TEMP_PLANTS = [".{}.pedcomm-tmp-1-abcdef", ".{}.pedcomm-old-1-abcdef", ".{}.pedcomm-tmp-{pid}-zzzzzz"]


@pytest.mark.parametrize("command", ["validate -o", "export", "summarize", "example"])
def test_a_users_folder_or_link_at_a_temporary_name_is_left_alone(inputs, tmp_path, command):
    """A folder pedcomm did not make, named like its temporaries (or like one a killed run would
    leave), is neither removed nor put in place of the output; a link there is not followed."""
    kind, name, args = WRITERS[command]
    work = tmp_path / "work"
    work.mkdir()
    planted = []
    for pattern in TEMP_PLANTS:
        p = work / pattern.format(name, pid=os.getpid())
        _plant("a user's folder", p, inputs, work)
        planted.append(p)
    link = work / f".{name}.pedcomm-tmp-2-linked"
    _plant("link to a folder", link, inputs, work)
    planted.append(link)
    before = {p: _state(p) for p in planted}
    before_inputs = snapshot(inputs)
    r = pedcomm(*args(inputs, work / name))
    assert r.exit_code == 0, r.output
    assert {p: _state(p) for p in planted} == before
    assert snapshot(inputs) == before_inputs
    assert os.path.lexists(work / name)


@pytest.mark.parametrize("plant", ["link to the descriptor", "dangling link", "a user's file", "a user's folder"])
def test_what_is_planted_at_a_file_outputs_marker_path_is_never_replaced(inputs, tmp_path, plant):
    work = tmp_path / "work"
    work.mkdir()
    _plant(plant, work / ".report.json.pedcomm-output.json", inputs, work)
    before_inputs, before_work = snapshot(inputs), snapshot(work)
    for force in ((), ("--force",)):
        r = pedcomm("validate", inputs / "pkg", "--format", "json", "-o", work / "report.json", *force)
        _refused_unchanged(r, inputs, before_inputs, work, before_work)


def _forge(files: dict, fmt: int = markers.MARKER_FORMAT, seal: str | None = "0" * 64) -> str:
    return json.dumps({"pedcomm_output": fmt, "command": "export", "files": files, "seal": seal})


def test_a_forged_folder_marker_listing_the_users_files_lets_nothing_be_replaced(inputs, tmp_path):
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    (work / "out" / "thesis.tex").write_text("three years of work")
    digest = markers.sha256_file(work / "out" / "thesis.tex")
    for forged in (_forge({"thesis.tex": digest}), _forge({"thesis.tex": digest}, fmt=1, seal=None),
                   _forge({"thesis.tex": digest}, seal=None)):
        (work / "out" / markers.MARKER).write_text(forged)
        before_inputs, before_work = snapshot(inputs), snapshot(work)
        r = pedcomm("export", inputs / "pkg", "--format", "parquet", "--out", work / "out", "--force")
        _refused_unchanged(r, inputs, before_inputs, work, before_work)


def test_a_forged_file_marker_with_the_users_hash_lets_nothing_be_replaced(inputs, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "report.json").write_text("my own report")
    digest = markers.sha256_file(work / "report.json")
    (work / ".report.json.pedcomm-output.json").write_text(_forge({"report.json": [digest]}))
    before_inputs, before_work = snapshot(inputs), snapshot(work)
    r = pedcomm("validate", inputs / "pkg", "--format", "json", "-o", work / "report.json", "--force")
    _refused_unchanged(r, inputs, before_inputs, work, before_work)


def test_an_edited_marker_lets_nothing_be_replaced(inputs, tmp_path):
    """A genuine marker edited to list a user's file (seal kept) is no longer pedcomm's."""
    work = tmp_path / "work"
    work.mkdir()
    assert pedcomm("export", inputs / "pkg", "--format", "parquet", "--out", work / "out").exit_code == 0
    (work / "out" / "notes.txt").write_text("mine")
    doc = json.loads((work / "out" / markers.MARKER).read_text())
    doc["files"]["notes.txt"] = markers.sha256_file(work / "out" / "notes.txt")
    (work / "out" / markers.MARKER).write_text(json.dumps(doc, indent=1))
    assert pedcomm("validate", inputs / "pkg", "--format", "json", "-o", work / "r.json").exit_code == 0
    (work / "r.json").write_text("my edits")
    side = work / ".r.json.pedcomm-output.json"
    doc = json.loads(side.read_text())
    doc["files"]["r.json"] = [markers.sha256_file(work / "r.json")]
    side.write_text(json.dumps(doc, indent=1))
    before_inputs, before_work = snapshot(inputs), snapshot(work)
    r = pedcomm("export", inputs / "pkg", "--format", "parquet", "--out", work / "out", "--force")
    _refused_unchanged(r, inputs, before_inputs, work, before_work)
    r = pedcomm("validate", inputs / "pkg", "--format", "json", "-o", work / "r.json", "--force")
    _refused_unchanged(r, inputs, before_inputs, work, before_work)


def test_a_marker_made_under_another_key_or_linked_in_is_not_pedcomms(inputs, tmp_path, monkeypatch):
    """An output written by pedcomm for another user (another key) is not replaced; neither is a
    folder whose marker is a link to a genuine marker."""
    from pedcomm.files import seal

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv(seal.ENV, str(tmp_path / "other-user"))
    assert pedcomm("export", inputs / "pkg", "--format", "parquet", "--out", work / "theirs").exit_code == 0
    monkeypatch.undo()
    assert pedcomm("export", inputs / "pkg", "--format", "parquet", "--out", work / "mine").exit_code == 0
    (work / "linked").mkdir()
    os.symlink(work / "mine" / markers.MARKER, work / "linked" / markers.MARKER)
    before_inputs, before_work = snapshot(inputs), snapshot(work)
    for out in ("theirs", "linked"):
        r = pedcomm("export", inputs / "pkg", "--format", "parquet", "--out", work / out, "--force")
        _refused_unchanged(r, inputs, before_inputs, work, before_work)
    r = pedcomm("export", inputs / "pkg", "--format", "parquet", "--out", work / "mine", "--force")
    assert r.exit_code == 0, r.output  # its own output, unchanged: replaced


def test_without_a_key_to_keep_outputs_are_written_but_never_replaced(inputs, tmp_path, monkeypatch):
    """A home folder pedcomm cannot write into: outputs are still written, unsealed, and --force
    then replaces none of them (it cannot tell them from a forged one); the key, once it can be
    kept, is private and a key others could read is not trusted."""
    from pedcomm.files import seal

    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(seal.ENV, str(tmp_path / "a-file" / "state"))  # a folder under a file: never made
    out = tmp_path / "work" / "out"
    assert pedcomm("export", inputs / "pkg", "--format", "parquet", "--out", out).exit_code == 0
    assert json.loads((out / markers.MARKER).read_text())["seal"] is None
    r = pedcomm("export", inputs / "pkg", "--format", "parquet", "--out", out, "--force")
    assert r.exit_code == 2 and "OUTPUT_FOREIGN" in r.output and "seal" in r.output
    monkeypatch.setenv(seal.ENV, str(tmp_path / "state"))
    key = seal.key(create=True)
    assert key is not None and len(key) == 32
    assert stat.S_IMODE(os.stat(seal.key_path()).st_mode) == 0o600
    doc = json.loads(markers.marker("test", {"a": "b"}))
    assert seal.sealed(doc)
    os.chmod(seal.key_path(), 0o644)  # readable by others: anyone could seal with it
    assert seal.key() is None and not seal.sealed(doc)
    for name in (seal.ENV, "XDG_STATE_HOME"):  # no home folder at all: no key, and no folder made where pedcomm runs
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "")
    assert seal.key_path() is None
    before = sorted(os.listdir(tmp_path))
    r = pedcomm("validate", inputs / "pkg", "-o", "report.txt", cwd=tmp_path)
    assert r.exit_code == 0 and sorted(os.listdir(tmp_path)) == sorted([*before, "report.txt", ".report.txt.pedcomm-output.json"])


def test_a_part_of_an_output_that_cannot_be_read_makes_it_foreign(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with outputs.claim(out, kind=FOLDER, command="test") as dest, dest.staging() as tmp:
        (tmp / "sub").mkdir()
        (tmp / "sub" / "a.txt").write_text("a")
    assert markers.foreign_folder(out) is None
    real = os.scandir

    def denied(path="."):
        if Path(path).name == "sub":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", denied)
    assert "cannot be read" in markers.foreign_folder(out)


# -- faults while writing: a full disk, a failed rename --------------------------------------------

def _fill(disk: Path, leave_kib: int) -> None:
    room = os.statvfs(disk)
    (disk / "filler").write_bytes(b"\0" * max(0, room.f_bavail * room.f_frsize - leave_kib * 1024))


@pytest.mark.parametrize("leave_kib", [0, 8, 32])
def test_summarize_on_a_full_disk_writes_both_files_or_neither(inputs, tmp_path, leave_kib):
    """The JSON and its HTML page are one output: the audit saw S.json and its marker written, then
    S.html failing on a full disk, and the message 'nothing was written'."""
    from .test_faults import tmpfs

    with tmpfs(tmp_path / "disk", "256k") as disk:
        if disk is None:
            pytest.skip("needs root to mount a tmpfs; the simulated failed rename below covers it")
        _fill(disk, leave_kib)
        before = snapshot(inputs)
        r = pedcomm("summarize", inputs / "pkg", "--out", disk / "S.json")
        assert r.exit_code == 2, r.output
        assert "OUTPUT_WRITE_FAILED" in r.output and "Traceback" not in r.output, r.output
        assert sorted(os.listdir(disk)) == ["filler"]
        assert snapshot(inputs) == before


def test_summarize_puts_back_both_files_when_the_second_cannot_go_in_place(inputs, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    assert pedcomm("summarize", inputs / "pkg", "--out", work / "S.json").exit_code == 0
    previous = snapshot(work)
    real = os.replace

    def html_fails(a, b, *args, **kwargs):
        if Path(b).parent == work and Path(b).suffix == ".html":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(a, b, *args, **kwargs)

    monkeypatch.setattr(outputs.os, "replace", html_fails)
    r = pedcomm("summarize", inputs / "pkg", "--out", work / "S.json", "--threshold", "12", "--force")
    monkeypatch.undo()
    assert r.exit_code == 2 and "OUTPUT_WRITE_FAILED" in r.output and "Traceback" not in r.output, r.output
    assert snapshot(work) == previous  # the JSON that had gone in place was put back, with its marker
    monkeypatch.setattr(outputs.os, "replace", html_fails)
    r = pedcomm("summarize", inputs / "pkg", "--out", work / "T.json")
    monkeypatch.undo()
    assert r.exit_code == 2 and snapshot(work) == previous  # no previous output: none of the pair stays


def test_export_sav_on_a_full_disk_is_a_coded_refusal(inputs, tmp_path, monkeypatch):
    """pyreadstat says only 'Unable to write data' (ReadstatError) when the disk fills."""
    import pyreadstat

    from .test_faults import tmpfs

    with tmpfs(tmp_path / "disk", "128k") as disk:
        if disk is not None:
            for fmt in ("sav", "dta"):
                r = pedcomm("export", inputs / "example", "--format", fmt, "--out", disk / "out")
                assert r.exit_code == 2 and "OUTPUT_WRITE_FAILED" in r.output and "disk is full" in r.output, r.output
                assert os.listdir(disk) == []

    def unable(*args, **kwargs):
        raise pyreadstat.ReadstatError("Unable to write data")

    monkeypatch.setattr(pyreadstat, "write_sav", unable)
    r = pedcomm("export", inputs / "pkg", "--format", "sav", "--out", tmp_path / "out")
    assert r.exit_code == 2 and "OUTPUT_WRITE_FAILED" in r.output and "Traceback" not in r.output, r.output
    assert not (tmp_path / "out").exists() and not [p for p in tmp_path.iterdir() if "pedcomm-" in p.name]


# -- values in clear: every rendering, whichever engine produces the findings ----------------------

SECRET_EDITS = [  # (what, edit, the texts that must never be shown)
    ("a name in an identifier that matches no row (FOREIGN_KEY)",
     {"set": {"resource": "survey_relationships", "row": 2, "field": "parent_id", "value": "Jane Doe"}}, ["Jane", "Doe"]),
    ("a name in a field of codes (CELL_ENUM)",
     {"set": {"resource": "survey_parents", "row": 2, "field": "education", "value": "Jane Doe"}}, ["Jane", "Doe"]),
    ("a surname alone in a field of codes",
     {"set": {"resource": "survey_parents", "row": 3, "field": "sex", "value": "Smithson"}}, ["Smithson"]),
    ("a name in a number field (CELL_TYPE)",
     {"set": {"resource": "survey_parents", "row": 2, "field": "hads_anxiety", "value": "Mary Major"}}, ["Mary", "Major"]),
    ("an age over 89 with its unit (CELL_TYPE)",
     {"set": {"resource": "survey_children", "row": 2, "field": "age_years", "value": "95 years"}}, ["95 years", "95 y"]),
    ("an age over 89 with decimals (CELL_TYPE)",
     {"set": {"resource": "survey_children", "row": 3, "field": "age_years", "value": "96.0"}}, ["96.0", "'96"]),
    ("an age over 89 as a number (CELL_RANGE)",
     {"set": {"resource": "survey_children", "row": 2, "field": "age_years", "value": "97"}}, ["'97'", " 97 "]),
    ("a well-formed identifier named like a person (FOREIGN_KEY)",
     {"set": {"resource": "survey_relationships", "row": 2, "field": "parent_id", "value": "Jane_Doe"}}, ["Jane", "Doe"]),
    ("a repeated key named like a person (PRIMARY_KEY, and the record id of every finding about it)",
     [{"set": {"resource": "survey_parents", "row": 2, "field": "parent_id", "value": "Mary.Major"}},
      {"set": {"resource": "survey_parents", "row": 3, "field": "parent_id", "value": "Mary.Major"}},
      {"set": {"resource": "survey_parents", "row": 3, "field": "education", "value": "Mary Major"}}], ["Mary", "Major"]),
    ("a repeated malformed key (PRIMARY_KEY)",
     [{"set": {"resource": "survey_clinicians", "row": 2, "field": "clinician_id", "value": "Dr Who Knows"}},
      {"set": {"resource": "survey_clinicians", "row": 3, "field": "clinician_id", "value": "Dr Who Knows"}}], ["Who", "Knows"]),
    ("a phone number in a field of codes",
     {"set": {"resource": "survey_parents", "row": 2, "field": "race_ethnicity", "value": "555-867-5309"}},
     ["867-5309", "555-867"]),
]
RENDERINGS = ["text", "json", "markdown", "html"]


def _render_all(pkg: Path, *extra) -> dict[str, str]:
    out = {}
    for fmt in RENDERINGS:
        r = _runner.invoke(app, ["validate", str(pkg), "--format", fmt, *extra], env={"COLUMNS": "400"})
        assert r.exit_code in (0, 1), r.output
        assert "Traceback" not in r.output
        out[fmt] = r.output
    return out


@pytest.mark.parametrize("what, edit, secrets", SECRET_EDITS, ids=[s[0] for s in SECRET_EDITS])
def test_values_are_masked_in_every_rendering_unless_shown_on_purpose(tmp_path, what, edit, secrets):
    edits = edit if isinstance(edit, list) else [edit]
    pkg = materialize({"base": "valid", "edits": edits}, tmp_path)
    for fmt, text in _render_all(pkg).items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} shown in the {fmt} report:\n{text[-3000:]}"
    shown = _render_all(pkg, "--show-values")["json"]  # the test can see the value when it is there
    assert all(e["set"]["value"] in shown for e in edits)


@pytest.mark.parametrize("folder", ["Jane Doe", "DOE_Jane", "555-123-4567", "Mrs Smith"])
def test_a_package_path_naming_a_person_is_masked_in_every_report_header(tmp_path, folder):
    pkg = materialize({"base": "valid"}, tmp_path / folder)
    secret = folder.replace("Mrs ", "")
    for fmt, text in _render_all(pkg).items():
        assert secret not in text and folder not in text, f"{folder!r} shown in the {fmt} report"
    written = tmp_path / "report.json"
    assert pedcomm("validate", pkg, "--format", "json", "-o", written).exit_code == 0
    assert folder not in written.read_text() and json.loads(written.read_text())["package"].endswith("/pkg")
    assert folder in _render_all(pkg, "--show-values")["json"]


def test_masking_keeps_codes_numbers_and_common_spellings_readable(tmp_path):
    """What is masked is what could identify someone; a wrongly spelled code, a number or a
    spelling of 'missing' stays readable, so the data manager can find and fix it."""
    edits = [{"set": {"resource": "survey_parents", "row": 2, "field": "education", "value": "Some College"}},
             {"set": {"resource": "survey_parents", "row": 3, "field": "education", "value": "N/A"}},
             {"set": {"resource": "survey_parents", "row": 2, "field": "hads_anxiety", "value": "1,5"}},
             {"set": {"resource": "survey_children", "row": 2, "field": "age_years", "value": "7.0"}},
             {"set": {"resource": "survey_parents", "row": 3, "field": "sex", "value": "grandparent"}}]
    pkg = materialize({"base": "valid", "edits": edits}, tmp_path)
    doc = json.loads(_render_all(pkg)["json"])
    values = {f["value"] for f in doc["findings"] if f["code"] in ("CELL_ENUM", "CELL_TYPE")}
    assert {"Some College", "N/A", "1,5", "7.0", "grandparent"} <= values, values


# -- inputs that ended in a traceback: a coded finding, exit 2, nothing written ----------------------

def _two_summaries(tmp_path: Path, models: dict) -> list[Path]:
    paths = []
    for site in ("A", "B"):
        doc = _summary({"set": {"site": site}})
        doc["models"][0].update(models)
        p = tmp_path / f"{site}.json"
        p.write_text(json.dumps(doc))
        paths.append(p)
    return paths


@pytest.mark.parametrize("models", [{"coef": [1e308, 0.5]}, {"coef": [0.1, -1e308]}, {"coef": [0.1, 710.0]},
                                    {"cov": [[5e-324, 0.0], [0.0, 0.05]]}, {"cov": [[0.04, 0.0], [0.0, 1e-300]]}],
                         ids=["coef 1e308", "coef -1e308", "coef 710", "variance subnormal", "variance 1e-300"])
def test_meta_refuses_numbers_no_fitted_model_gives(tmp_path, models):
    r = pedcomm("meta", *_two_summaries(tmp_path, models), "--out", tmp_path / "m")
    assert r.exit_code == 2 and "SUMMARY_INVALID" in r.output and "Traceback" not in r.output, r.output
    assert not (tmp_path / "m").exists()


def test_meta_with_an_enormous_variance_gives_infinite_bounds_quietly(tmp_path):
    r = pedcomm("meta", *_two_summaries(tmp_path, {"cov": [[0.04, 0.0], [0.0, 1e300]]}), "--out", tmp_path / "m")
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output and "Warning" not in r.output
    assert ",inf" in (tmp_path / "m" / "site_estimates.csv").read_text()


def test_rounding_takes_any_float():
    from pedcomm.analysis.rounding import fmt

    assert fmt(1e308, 2) == "1" + "0" * 308 + ".00"
    assert (fmt(float("inf"), 2), fmt(float("-inf"), 0), fmt(float("nan"), 2)) == ("inf", "-inf", "")
    assert fmt(5e-324, 2) == "0.00" and fmt(0.125, 2) == "0.13"


CONFIGS = {
    "code is a list": "overrides:\n  - code: [PRIMARY_KEY]\n",
    "code is a mapping": "overrides:\n  - code: {a: 1}\n",
    "severity is a list": "overrides:\n  - code: COLUMN_UNKNOWN\n    severity: [ignore]\n",
    "resource is a list": ("overrides:\n  - code: COLUMN_UNKNOWN\n    severity: ignore\n    resource: [survey_parents]\n"
                           "    justification: A local column our export script removes.\n"),
    "field is a mapping": ("overrides:\n  - code: COLUMN_UNKNOWN\n    severity: ignore\n    resource: survey_parents\n"
                           "    field: {x: 1}\n    justification: A local column our export script removes.\n"),
    "a key twice": "site: A\noverrides: []\nsite: B\n",
    "a key twice in an override": ("overrides:\n  - code: COLUMN_UNKNOWN\n    severity: ignore\n    severity: error\n"
                                   "    justification: A local column our export script removes.\n"),
    "a lone surrogate": 'overrides:\n  - code: "COLUMN_UNKNOWN\\ud800"\n',
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_a_site_configuration_of_the_wrong_shape_is_refused(inputs, tmp_path, name):
    (tmp_path / "site.yaml").write_text(CONFIGS[name])
    for args in (["validate", inputs / "pkg"], ["reproduce", inputs / "pkg", "--out", tmp_path / "o"]):
        r = pedcomm(*args, "--config", tmp_path / "site.yaml")
        assert r.exit_code == 2 and "SITE_CONFIG_INVALID" in r.output and "Traceback" not in r.output, r.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("edit", ['"title": "\\ud800 site", "title"', '"title": "x", "title"', '"name": "a", "name"'],
                         ids=["lone surrogate", "a name twice", "the package name twice"])
def test_a_descriptor_with_a_lone_surrogate_or_a_name_twice_is_refused(tmp_path, edit):
    pkg = materialize({"base": "valid"}, tmp_path / "in")
    desc = pkg / "datapackage.json"
    text = desc.read_text()
    key = edit.rsplit(", ", 1)[1]
    assert key in text
    desc.write_text(text.replace(key, edit, 1))
    for args in (["validate", pkg], ["summarize", pkg, "--out", tmp_path / "s.json"],
                 ["export", pkg, "--format", "sav", "--out", tmp_path / "x"]):
        r = pedcomm(*args)
        assert r.exit_code == 2 and "PACKAGE_UNREADABLE" in r.output and "Traceback" not in r.output, r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    r = pedcomm("validate", pkg, "--format", "json", "-o", tmp_path / "r.json")  # the report of it is the output
    assert r.exit_code == 2 and "unreadable" in r.output
    assert [f["code"] for f in json.loads((tmp_path / "r.json").read_text())["findings"]] == ["PACKAGE_UNREADABLE"]


def _report_variants(report: dict) -> dict:
    out = {}
    for name, change in {"tables is a list": lambda d: d.update(tables=[1, 2]),
                         "a table's counts are text": lambda d: next(iter(d["tables"].values())).update(cells="4"),
                         "a check's code is a number": lambda d: d["checks"].append({"code": 5}),
                         "a check is text": lambda d: d["checks"].append("PRIMARY_KEY"),
                         "failed is a list": lambda d: d["checks"][0].update(failed=[1]),
                         "site is a mapping": lambda d: d.update(site={"a": 1}),
                         "status is a number": lambda d: d.update(status=3),
                         "findings hold a list": lambda d: d["findings"].append([1])}.items():
        doc = json.loads(json.dumps(report))
        change(doc)
        out[name] = json.dumps(doc)
    text = json.dumps(report)
    out["a lone surrogate"] = text.replace('"status": "', '"status": "\\udc80', 1)
    out["a name twice"] = text.replace('"status": ', '"status": "valid", "status": ', 1)
    return out


def test_a_dashboard_report_of_odd_types_is_left_out_with_its_reason(inputs, tmp_path):
    report = json.loads((inputs / "report.json").read_text())
    variants = _report_variants(report)
    for name, text in variants.items():
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        r = pedcomm("dashboard", inputs / "report.json", bad, "--out", tmp_path / "d.html", "--force")
        assert r.exit_code == 0 and "Traceback" not in r.output, (name, r.output)
        assert "DASHBOARD_INPUT_UNREADABLE" in r.output and "bad.json" in r.output, (name, r.output)
        alone = pedcomm("dashboard", bad, "--out", tmp_path / "alone.html")
        assert alone.exit_code == 1 and "Traceback" not in alone.output, (name, alone.output)
        assert not (tmp_path / "alone.html").exists()


@pytest.mark.parametrize("kind", ["fifo", "socket", "folder", "link-to-fifo"])
def test_a_pipe_or_a_device_given_to_dashboard_exits_2_and_writes_nothing(inputs, tmp_path, kind):
    from pedcomm.validation.conformance import _special

    odd = tmp_path / "odd.json"
    _special(odd, kind)
    started = time.monotonic()
    r = pedcomm("dashboard", inputs / "report.json", odd, "--out", tmp_path / "d.html")
    assert time.monotonic() - started < 30
    assert r.exit_code == 2 and "INPUT_NOT_REGULAR" in r.output and "Traceback" not in r.output, r.output
    assert not (tmp_path / "d.html").exists()


def _damaged_qdpx(tmp_path: Path, inputs: Path) -> list[Path]:
    import struct
    import zipfile

    good = tmp_path / "good.qdpx"
    assert pedcomm("qda", "export", good, "--package", inputs / "coding").exit_code == 0
    data = good.read_bytes()
    out = []
    with zipfile.ZipFile(good) as zf:
        for info in zf.infolist():
            n, m = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
            start = info.header_offset + 30 + n + m
            for where in (start + 2, start + info.compress_size // 2):  # the deflate stream itself: zlib.error or a CRC error
                bad = bytearray(data)
                bad[where] ^= 0x5A
                p = tmp_path / f"damaged-{len(out)}.qdpx"
                p.write_bytes(bytes(bad))
                out.append(p)
    return out


def test_a_qdpx_with_damaged_data_is_a_coded_refusal(inputs, tmp_path):
    damaged = _damaged_qdpx(tmp_path, inputs)
    assert len(damaged) >= 4
    for p in damaged:
        r = pedcomm("qda", "import", p, "--package", inputs / "coding", "--out", tmp_path / "o")
        assert r.exit_code == 2 and "Traceback" not in r.output, (p.name, r.output)
        assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
        assert "QDA_" in r.output and not (tmp_path / "o").exists(), r.output


def _console_script(*args, env=None, stdout=None):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "pedcomm.cli", *map(str, args)], env={**os.environ, **(env or {})},
                          stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=300)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_messages_sent_to_a_full_device_are_a_coded_refusal(inputs, fmt):
    with open("/dev/full", "w") as full:
        done = _console_script("validate", inputs / "pkg", "--format", fmt, stdout=full)
    assert done.returncode == 2, done.stderr
    assert "OUTPUT_WRITE_FAILED" in done.stderr and "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_values_shown_on_an_ascii_terminal_are_escaped_not_a_traceback(tmp_path):
    edit = {"set": {"resource": "survey_parents", "row": 2, "field": "education", "value": "Jäne Dœ €"}}
    pkg = materialize({"base": "valid", "edits": [edit]}, tmp_path)
    for fmt in RENDERINGS:
        done = _console_script("validate", pkg, "--show-values", "--format", fmt,
                               env={"LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii", "COLUMNS": "300"})
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and "J" in done.stdout
    assert "J\\xe4ne" in _console_script("validate", pkg, "--show-values", env={"PYTHONIOENCODING": "ascii",
                                                                                "COLUMNS": "300"}).stdout


# -- refusals that were missing ---------------------------------------------------------------------

def _resubmitted(site: Path, dest: Path, new_id: str, change) -> Path:
    """A copy of ``site`` declared (and its site cells renamed) as ``new_id``, then changed by ``change``."""
    import shutil

    import pandas as pd

    shutil.copytree(site, dest)
    desc = json.loads((dest / "datapackage.json").read_text())
    old_id = desc["pedcomm"]["site"]
    desc["pedcomm"]["site"] = new_id
    (dest / "datapackage.json").write_text(json.dumps(desc, indent=2))
    tables = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in (dest / "data").glob("*.csv")}
    for frame in tables.values():
        if "site_id" in frame:
            frame["site_id"] = frame["site_id"].replace(old_id, new_id)
    change(tables)
    for name, frame in tables.items():
        frame.to_csv(dest / "data" / f"{name}.csv", index=False, lineterminator="\n")
    return dest


def _drop_parent(tables) -> None:
    parent = tables["survey_parents"]["parent_id"].iloc[3]
    rel = tables["survey_relationships"]
    gone = set(rel.loc[rel["parent_id"] == parent, "relationship_id"])
    tables["survey_parents"] = tables["survey_parents"][tables["survey_parents"]["parent_id"] != parent]
    tables["survey_children"] = tables["survey_children"][tables["survey_children"]["parent_id"] != parent]
    tables["survey_relationships"] = rel[rel["parent_id"] != parent]
    for name in ("survey_responses", "survey_strategies"):
        tables[name] = tables[name][~tables[name]["relationship_id"].isin(gone)]


def _change_cells(tables) -> None:
    p = tables["survey_parents"]
    p.loc[p.index[5], "hads_anxiety"] = str((int(p.loc[p.index[5], "hads_anxiety"]) + 3) % 21)
    r = tables["survey_relationships"]
    r.loc[r.index[2], "prior_visits"] = str(int(r.loc[r.index[2], "prior_visits"]) + 1)


@pytest.mark.parametrize("change", [_drop_parent, _change_cells, lambda t: (_drop_parent(t), _change_cells(t))],
                         ids=["one parent dropped", "two cells changed", "both"])
def test_pool_refuses_one_sites_rows_resubmitted_with_a_few_changes(synthetic_sites, tmp_path, change):
    copy = _resubmitted(synthetic_sites[0], tmp_path / "SITE9", "SITE9", change)
    assert pedcomm("validate", copy).exit_code == 0, "the resubmitted copy must be a valid package"
    before = snapshot(synthetic_sites[0].parent), snapshot(copy)
    r = pedcomm("pool", synthetic_sites[0], synthetic_sites[1], copy, "--out", tmp_path / "pooled")
    assert r.exit_code == 1 and "POOL_SITE_NEAR_DUPLICATE" in r.output and "Traceback" not in r.output, r.output
    line = next(x for x in r.output.splitlines() if "hold mostly the same rows" in x)
    assert "SITE1" in line and "SITE9" in line and "SITE2" not in line
    assert not (tmp_path / "pooled").exists()
    assert (snapshot(synthetic_sites[0].parent), snapshot(copy)) == before


def test_real_sites_share_no_more_than_chance_rows(synthetic_sites, tmp_path):
    """Four synthetic sites (records numbered locally, P0001 at each): no pair comes near the
    threshold, and the check stays silent, so pooling real sites is not refused."""
    from itertools import combinations

    from pedcomm.sites.pool import UNIT_TABLES
    from pedcomm.sites.resubmitted import rows
    from pedcomm.validation.registry import parameter
    from pedcomm.validation.run import validate

    validated = [validate(s) for s in synthetic_sites]
    threshold = parameter("POOL_SITE_NEAR_DUPLICATE", "min_shared")
    worst = 0.0
    for (a, va), (b, vb) in combinations(zip(synthetic_sites, validated), 2):
        for name in UNIT_TABLES:
            if name in va.tables and name in vb.tables:
                ra, rb = rows(va.tables[name], name, (a.name, b.name)), rows(vb.tables[name], name, (a.name, b.name))
                worst = max(worst, sum((ra & rb).values()) / min(sum(ra.values()), sum(rb.values())))
    assert worst < threshold / 20, worst


def _qda(*names):
    return [SUITE / "files" / "qda" / n for n in names]


MAPS = {  # (project, option, map text): one key given two values, in every spelling the importer treats as one
    "a speaker label two roles": ("crlf-transcript.qdpx", "--speakers",
                                  "label,role\nDr. Smith,primary_oncologist\nMother,parent\ndr.  SMITH,parent\n"),
    "the blank label two roles": ("crlf-transcript.qdpx", "--speakers",
                                  "label,role\nDr. Smith,primary_oncologist\n,parent\n ,primary_oncologist\n"),
    "a user two coders by GUID": ("unmapped-coder.qdpx", "--coders",
                                  "user,coder_id\n33333333-3333-4333-8333-333333333333,R1\n"
                                  "{33333333-3333-4333-8333-333333333333},R2\n"),
    "a user two coders by GUID and name": ("unmapped-coder.qdpx", "--coders",
                                           "user,coder_id\nJane Doe,R1\n{33333333-3333-4333-8333-333333333333},R2\n"),
    "a user two coders by name": ("unmapped-coder.qdpx", "--coders", "user,coder_id\nJane Doe,R1\njane doe,R2\n"),
}


@pytest.mark.parametrize("name", list(MAPS))
def test_a_map_giving_one_key_two_values_is_refused(tmp_path, name):
    project, option, text = MAPS[name]
    (tmp_path / "map.csv").write_text(text)
    (source,) = _qda(project)
    r = pedcomm("qda", "import", source, "--package", SUITE / "valid_coding", option, tmp_path / "map.csv",
                "--out", tmp_path / "out")
    assert r.exit_code == 2 and "QDA_UNREADABLE" in r.output and "two" in r.output and "Traceback" not in r.output, r.output
    assert "Smith" not in r.output and "Jane" not in r.output  # labels and user names stay masked
    assert not (tmp_path / "out").exists()


def test_a_map_repeating_a_row_with_the_same_value_is_fine(tmp_path):
    (tmp_path / "map.csv").write_text("label,role\nDr. Smith,primary_oncologist\nMother,parent\nDR. SMITH,primary_oncologist\n")
    (source,) = _qda("crlf-transcript.qdpx")
    r = pedcomm("qda", "import", source, "--package", SUITE / "valid_coding", "--speakers", tmp_path / "map.csv",
                "--out", tmp_path / "out")
    assert r.exit_code == 0, r.output


HOSTILE_TEXT = ["]]> <![CDATA[ <b>x</b> &amp; \"q\" 'a'", "bell\x07 form\x0c vt\x0b", "nonchar \ufffe\uffff", "esc \x1b[2J"]


@pytest.mark.parametrize("text", HOSTILE_TEXT, ids=["markup and ]]>", "control characters", "noncharacters", "escape"])
def test_xml_outputs_stay_well_formed_whatever_the_text(tmp_path, text):
    """`redcap project` and the REFI-QDA exports escape markup (]]> too, never relying on CDATA) and
    write the characters XML cannot hold as visible escapes; the project keeps REDCap's own shape."""
    import xml.etree.ElementTree as ET

    survey = materialize({"base": "valid", "edits": [
        {"set": {"resource": "survey_items", "row": 2, "field": "wording", "value": text}},
        {"set": {"resource": "survey_items", "row": 3, "field": "response_labels",
                 "value": f"1=Not at all {text}|2=Somewhat|3=Mostly|4=Completely"}}]}, tmp_path / "s")
    coding = materialize({"base": "valid_coding", "edits": [
        {"set": {"resource": "coding_codes", "row": 2, "field": "definition", "value": text}},
        {"set": {"resource": "coding_codes", "row": 3, "field": "name", "value": text}}]}, tmp_path / "c")
    runs = {"project.xml": ["redcap", "project", "--package", survey],
            "codebook.qdc": ["qda", "export-codebook", "--package", coding],
            "project.qdpx": ["qda", "export", tmp_path / "project.qdpx", "--package", coding]}
    for out, args in runs.items():
        r = pedcomm(*args, *(["--out", tmp_path / out] if out != "project.qdpx" else []))
        assert r.exit_code == 0, r.output
    root = ET.parse(tmp_path / "project.xml").getroot()
    wordings = [t.text for t in root.iter("{http://www.cdisc.org/ns/odm/v1.3}TranslatedText")]
    if "]]>" in text:
        assert text in wordings and "]]&gt;" in (tmp_path / "project.xml").read_text()
        assert "CDATA" not in (tmp_path / "project.xml").read_text().replace("&lt;![CDATA[", "")
    else:
        assert any("\\x" in (w or "") or "\\u" in (w or "") for w in wordings)
    if REDCAP_SAMPLES.is_dir():  # the real project XML files REDCap wrote (../shared/redcap/): the same shape
        real = ET.parse(REDCAP_SAMPLES / "repeating-instruments" / "project.xml").getroot()
        assert root.tag == real.tag and root.attrib.keys() == real.attrib.keys()
        tags = {el.tag for el in root.iter()}
        assert tags <= {el.tag for p in REDCAP_SAMPLES.glob("*/project.xml") for el in ET.parse(p).getroot().iter()}
    ET.parse(tmp_path / "codebook.qdc")
    import zipfile

    with zipfile.ZipFile(tmp_path / "project.qdpx") as zf:
        ET.fromstring(zf.read("project.qde"))


REDCAP_SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "redcap"


def test_paths_holding_bytes_that_are_not_utf8_are_shown_escaped_never_a_traceback(inputs, tmp_path):
    """A folder or file name with a byte that is not UTF-8 (a Latin-1 disk, a zip from elsewhere)
    reaches Python as a lone surrogate, which no text file can hold: every report shows it escaped."""
    import shutil

    odd = os.fsdecode(b"caf\xe9")
    shutil.copytree(inputs / "pkg", tmp_path / odd)
    for name in ("a.json", "b.json", "report.json"):
        shutil.copy(inputs / name, tmp_path / f"{odd}-{name}")
    runs = [["validate", tmp_path / odd], ["validate", tmp_path / odd, "--format", "json"],
            ["validate", tmp_path / odd, "--format", "html", "-o", tmp_path / f"{odd}.html"],
            ["summarize", tmp_path / odd, "--out", tmp_path / f"{odd}-s.json"],
            ["export", tmp_path / odd, "--format", "sav", "--out", tmp_path / f"{odd}-x"],
            ["pool", tmp_path / odd, inputs / "s2", "--out", tmp_path / f"{odd}-pooled"],
            ["meta", tmp_path / f"{odd}-a.json", tmp_path / f"{odd}-b.json", "--out", tmp_path / f"{odd}-m"],
            ["dashboard", tmp_path / f"{odd}-report.json", "--out", tmp_path / f"{odd}-d.html"],
            ["qda", "import", inputs / "cb.qdc", "--out", tmp_path / f"{odd}-q"]]
    for args in runs:
        r = pedcomm(*args)
        assert r.exit_code in (0, 1) and "Traceback" not in r.output, (args[0], r.output[-2000:])
        assert r.exception is None or isinstance(r.exception, SystemExit), (args[0], repr(r.exception))
    report = pedcomm("validate", tmp_path / odd, "--format", "json").output
    assert json.loads(report)["package"].endswith("caf\\udce9")


def test_a_link_or_hard_link_planted_at_a_sites_audit_file_is_never_written_through(tmp_path):
    """`federated site --audit FILE` checks FILE is new when it starts; a link planted there during the
    run (to the package's descriptor) must not receive the audit's lines."""
    import numpy as np

    from pedcomm.federated import audit
    from pedcomm.federated.protocol import Reply, Request

    request = Request(round=1, setup={})
    reply = Reply(site="S1", status="ok", arrays={"m": {"g": np.zeros(2)}})
    victim = tmp_path / "datapackage.json"
    victim.write_text('{"name": "kept"}')
    path = tmp_path / "audit.jsonl"
    audit.write(path, request, reply)  # the first record creates the file
    audit.write(path, request, reply)
    assert [r["site"] for r in audit.read(path)] == ["S1", "S1"]
    path.unlink()
    path.symlink_to(victim)
    with pytest.raises(OSError):
        audit.write(path, request, reply)
    path.unlink()
    os.link(victim, path)
    with pytest.raises(OSError):
        audit.write(path, request, reply)
    assert victim.read_text() == '{"name": "kept"}'


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), "3", [3], {"a": 1}, True])
def test_a_federated_guard_that_is_not_a_finite_number_is_a_configuration_error(value):
    """site.yaml's `federated:` settings (issue 29's guards) are outside input: NaN or infinity in a
    whole-number guard was int(nan), a traceback; every odd value is SITE_CONFIG_INVALID's ConfigError."""
    from pedcomm.federated.guards import KEYS, Guards
    from pedcomm.validation.config import ConfigError

    for key in KEYS:
        with pytest.raises(ConfigError, match=f"federated.{key} must be"):
            Guards.from_config({key: value})
