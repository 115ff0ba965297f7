"""The file layer and the masking path, piece by piece (issue 16): strict JSON, YAML without
aliases, the masking function, escapes for Markdown and CSV, the overlap rule and the markers."""

import json
import os

import pytest

from pedcomm.files import jsonsafe, markers, yamlsafe
from pedcomm.files.inputs import ROLES, InputRefused, package_files, read, size_words
from pedcomm.files.outputs import FILE, FOLDER, OutputRefused, claim, overlap
from pedcomm.validation.masking import mask, neutralise, shown
from pedcomm.validation.registry import spec
from pedcomm.validation.report.safe import Markdown, csv_cell, md


@pytest.mark.parametrize("text, words", [
    ("[" * 100_000 + "]" * 100_000, "nested more than 64"),
    ("[" * 65 + "]" * 65, "nested more than 64"),
    ('{"a": NaN}', "NaN"), ('{"a": -Infinity}', "-Infinity"), ('{"a": 1e400}', "too large"),
    ('{"a": 9223372036854775808}', "64-bit"), ('{"a": -9223372036854775809}', "64-bit"), ("1" * 5000, "64-bit"),
    ('{"a": 1', "line 1, column 8"), (b'{"a": "\xe9"}', "not UTF-8"),
])
def test_strict_json_refuses_what_python_would_accept_or_crash_on(text, words):
    with pytest.raises(jsonsafe.JSONRefused, match=words):
        jsonsafe.loads(text)


def test_strict_json_keeps_honest_documents():
    assert jsonsafe.loads('{"a": [1, -9223372036854775808, 2.5e10], "b": null}') == {"a": [1, -2**63, 2.5e10], "b": None}
    assert jsonsafe.loads(b"\xef\xbb\xbf[" + b"[" * 62 + b"]" * 63) is not None  # 64 levels, with a BOM
    assert jsonsafe.dumps({"x": float("nan"), "y": [float("inf")]}) == '{"x": null, "y": [null]}'


def test_yaml_aliases_and_depth_are_refused_before_anything_is_built():
    with pytest.raises(yamlsafe.YAMLRefused, match="anchors or aliases"):
        yamlsafe.loads("a: &a [1, 2]\nb: [*a, *a]\n")
    with pytest.raises(yamlsafe.YAMLRefused, match="nested"):
        yamlsafe.loads("x: " + "[" * 40 + "]" * 40)
    assert yamlsafe.loads("overrides:\n  - {code: X, severity: warning}\n") == {"overrides": [{"code": "X", "severity": "warning"}]}


def test_the_masking_path():
    got = shown(["P0001", "Dr. Smith", "555-123-4567", None, "x" * 500, "a\x1b[2Jb"], sensitive=[False, False, False, False, False, False])
    assert got[0] == "P0001" and got[3] is None
    assert got[1] == mask("Dr. Smith") == "D******** (9 characters, masked)"
    assert got[2].endswith("(12 characters, masked)")
    assert len(got[4]) < 200 and got[4].endswith("(500 characters)")
    assert got[5] == "a\\x1b[2Jb"
    assert shown(["P0001"], sensitive=True) == ["P**** (5 characters, masked)"]
    assert shown(["Dr. Smith"], reveal=True) == ["Dr. Smith"]
    assert neutralise("\u202eevil\r\n") == "\\u202eevil\\x0d\\x0a"


def test_markdown_and_csv_escapes():
    assert md("<script>x</script> | [a](javascript:b)") == "&lt;script>x&lt;/script> \\| \\[a\\](javascript:b)"
    assert md("<0.001 & >0.99") == "<0.001 & >0.99"  # what cannot open a tag stays as journals print it
    assert md(Markdown("[csv](a.csv)")) == "[csv](a.csv)" and md(None) == ""
    assert [csv_cell(v) for v in ("=1+2", "+33 1 23", "-x", "@SUM(A1)", "\tx", "-0.5", "+3", "12%", "ok", 5)] == \
        ["'=1+2", "'+33 1 23", "'-x", "'@SUM(A1)", "'\tx", "-0.5", "+3", "12%", "ok", 5]


def test_input_limits_in_the_registry_are_the_code_s():
    text = " ".join(spec("INPUT_TOO_LARGE").description.split())
    for role in (r for key, r in ROLES.items() if key != "marker"):
        assert f"{role.name} {size_words(role.limit)}" in text, role.name


def test_special_files_are_never_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(InputRefused, match="named pipe"):
        read(tmp_path / "pipe", "config")  # would block forever if opened
    with pytest.raises(InputRefused, match="character device"):
        read("/dev/zero", "summary")
    (tmp_path / "big").write_bytes(b"x" * (ROLES["config"].limit + 1))
    with pytest.raises(InputRefused) as e:
        read(tmp_path / "big", "config")
    assert e.value.code == "INPUT_TOO_LARGE"


def test_the_overlap_rule(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "data").mkdir(parents=True)
    (pkg / "datapackage.json").write_text(json.dumps({"resources": [{"name": "a", "path": "data/a.csv", "schema": "s/a.json"}]}))
    files = package_files(pkg)
    assert set(files) >= {pkg, pkg / "datapackage.json", pkg / "data/a.csv", pkg / "s/a.json"}
    for out in (pkg, pkg / "data", tmp_path, pkg / "datapackage.json", pkg / "s", pkg / "data" / "a.csv" / "x"):
        assert overlap(out, files), out
    for out in (pkg / "out", tmp_path / "results", pkg / "data-copy"):
        assert overlap(out, files) is None, out


def test_markers_list_every_file_and_recognise_changes(tmp_path):
    with claim(tmp_path / "out", kind=FOLDER, command="test") as dest, dest.staging() as tmp:
        (tmp / "sub").mkdir()
        (tmp / "sub" / "a.csv").write_text("1\n")
    doc = json.loads((tmp_path / "out" / markers.MARKER).read_text())
    assert doc["command"] == "test" and list(doc["files"]) == ["sub/a.csv"] and doc["tool"]["name"] == "pedcomm"
    assert markers.foreign_folder(tmp_path / "out") is None
    (tmp_path / "out" / ".DS_Store").write_text("")  # clutter is not a reason to refuse
    assert markers.foreign_folder(tmp_path / "out") is None
    (tmp_path / "out" / "sub" / "a.csv").write_text("2\n")
    assert "changed" in markers.foreign_folder(tmp_path / "out")
    with claim(tmp_path / "r.txt", kind=FILE, command="test") as dest:
        dest.write_text("one")
    with claim(tmp_path / "r.txt", kind=FILE, command="test", force=True) as dest:
        dest.write_text("two")
    assert (tmp_path / "r.txt").read_text() == "two" and markers.foreign_file(tmp_path / "r.txt") is None
    with pytest.raises(OutputRefused) as e, claim(tmp_path / "out", kind=FOLDER, command="test", force=True):
        pass
    assert e.value.code == "OUTPUT_FOREIGN"
