"""REFI-QDA: exports valid against the XSDs, exact round trips, lenient imports of real exports,
and hostile archives refused quickly with nothing written."""

import re
import shutil
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pedcomm.cli import app
from pedcomm.interop.package_io import read_text
from pedcomm.interop.qda.codebook import guid
from pedcomm.interop.qda.export import export_codebook, export_project
from pedcomm.interop.qda.importer import import_project
from pedcomm.validation.conformance import SUITE

from .conftest import REPO, snapshot
from .qda_fixtures import FILES, archive, fixtures, project, text_source, zip_bomb

runner = CliRunner()
XSD = Path(__file__).parent / "fixtures" / "refi-qda"  # copies of ../shared/qda/*.xsd (MIT licence inside)
ATLAS = REPO.parent / "shared" / "qda" / "atlas-ti-23-codebook-only.qdpx"
CODING = ("coding_themes", "coding_codes", "coding_segments")


@pytest.fixture(scope="module")
def schemas():
    xmlschema = pytest.importorskip("xmlschema")
    return (xmlschema.XMLSchema(str(XSD / "REFI-QDA-Codebook-1.0.xsd")),
            xmlschema.XMLSchema(str(XSD / "REFI-QDA-Project-1.0.xsd")))


@pytest.fixture(scope="module")
def qdpx(tmp_path_factory):
    out = tmp_path_factory.mktemp("qdpx") / "project.qdpx"
    validated, written = export_project(REPO, out)
    assert written == out
    return out


INFO = {"QDA_SEGMENTS_MERGED", "QDA_TIMES_READ", "QDA_POSITION_COUNTING"}  # what every import into a package says


def _problems(report) -> set[str]:
    """The codes of a report other than the informative ones every segment import carries."""
    return report.codes() - INFO


def _same_tables(pkg: Path, names=CODING):
    for name in names:
        assert (pkg / "data" / f"{name}.csv").read_bytes() == (REPO / "data" / f"{name}.csv").read_bytes(), name


# -- exports -----------------------------------------------------------------------------------

def test_codebook_is_valid_against_the_xsd_and_stable(schemas, tmp_path):
    export_codebook(REPO, tmp_path / "a.qdc")
    export_codebook(REPO, tmp_path / "b.qdc")
    schemas[0].validate(str(tmp_path / "a.qdc"))
    data = (tmp_path / "a.qdc").read_bytes()
    assert data == (tmp_path / "b.qdc").read_bytes()  # GUIDs derived from ids: same file every time
    themes, codes = read_text(REPO / "data/coding_themes.csv"), read_text(REPO / "data/coding_codes.csv")
    text = data.decode()
    assert text.count('isCodable="false"') == len(themes) and text.count('isCodable="true"') == len(codes)
    assert f'guid="{guid("code", codes["code_id"][0])}"' in text
    assert str(uuid.uuid5(uuid.UUID(guid("theme", "x")), "y"))  # GUIDs are real UUIDs


def test_project_is_valid_against_the_xsd(schemas, qdpx):
    with zipfile.ZipFile(qdpx) as zf:
        names = zf.namelist()
        schemas[1].validate(zf.read("project.qde").decode())
        qde = zf.read("project.qde").decode()
    paths = re.findall(r'plainTextPath="internal://([^"]+)"', qde)
    segments = read_text(REPO / "data/coding_segments.csv")
    assert len(paths) == segments["discussion_id"].nunique()
    assert {f"Sources/{p}" for p in paths} == {n for n in names if n.startswith("Sources/")}
    assert qde.count("<PlainTextSelection ") == len(segments)


def test_project_round_trip_returns_the_original_tables_exactly(qdpx, tmp_path):
    result = import_project(qdpx, tmp_path / "pkg", reference=REPO, excerpts=True)
    assert result.report.codes() == {"QDA_SEGMENTS_MERGED", "QDA_TIMES_READ"}, [f.message for f in result.report.findings[:5]]
    _same_tables(tmp_path / "pkg", [p.stem for p in (REPO / "data").glob("*.csv")])
    n = len(read_text(REPO / "data/coding_segments.csv"))
    merged = next(f.message for f in result.report.findings if f.code == "QDA_SEGMENTS_MERGED")
    assert f"{n} segments in all, {n} before" in merged


def test_excerpts_are_copied_only_when_asked(qdpx, tmp_path):
    result = import_project(qdpx, tmp_path / "pkg", reference=REPO)
    got = read_text(tmp_path / "pkg/data/coding_segments.csv")
    original = read_text(REPO / "data/coding_segments.csv")
    assert (original["excerpt"] != "").sum() > 0 and (got["excerpt"] == "").all()
    assert got.drop(columns="excerpt").equals(original.drop(columns="excerpt"))
    assert result.exit_code == 0


def test_codebook_round_trip(tmp_path):
    export_codebook(REPO, tmp_path / "cb.qdc")
    result = import_project(tmp_path / "cb.qdc", tmp_path / "pkg")
    # the coding study's package: its codebook, every other table empty (headers only), and valid
    assert result.report.status == "valid" and result.report.codes() == set(), result.report.codes()
    _same_tables(tmp_path / "pkg", ("coding_themes", "coding_codes"))
    others = sorted(p.name for p in (tmp_path / "pkg/data").iterdir()
                    if p.read_text().count("\n") == 1)  # a header line only
    assert others == ["coding_attendance.csv", "coding_clinicians.csv", "coding_coders.csv", "coding_discussions.csv",
                      "coding_patients.csv", "coding_segments.csv"]


# -- lenient imports ----------------------------------------------------------------------------

def _deviate(qdpx: Path, dest: Path, *, zero_length: str) -> Path:
    """A copy the way ATLAS.ti writes it: <name>.qde, regenerated GUIDs, one zero-length selection."""
    with zipfile.ZipFile(qdpx) as zf:
        qde = zf.read("project.qde").decode()
        texts = {n: zf.read(n) for n in zf.namelist() if n != "project.qde"}
    fresh = {}

    def regen(m):
        g = m.group(0)
        fresh.setdefault(g, "{" + str(uuid.uuid4()).upper() + "}")
        return fresh[g]

    qde = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", regen, qde)
    renamed = {}
    for n, data in texts.items():
        old = n.removeprefix("Sources/").removesuffix(".txt")
        renamed[f"Sources/{fresh[old].strip('{}')}.txt"] = data
    qde = qde.replace("internal://{", "internal://").replace("}.txt", ".txt")
    qde = re.sub(rf'(name="{zero_length}" startPosition="(\d+)" endPosition=")\d+"', r'\g<1>\g<2>"', qde)
    with zipfile.ZipFile(dest, "w") as zf:
        zf.writestr("Study project.qde", qde)
        for n, data in renamed.items():
            zf.writestr(n, data)
    return dest


def test_atlas_style_deviations_are_tolerated_with_warnings(qdpx, tmp_path):
    segments = read_text(REPO / "data/coding_segments.csv")
    zero = segments.loc[segments["excerpt"] != "", "segment_id"].iloc[0]
    src = _deviate(qdpx, tmp_path / "atlas.qdpx", zero_length=zero)
    result = import_project(src, tmp_path / "pkg", reference=REPO, excerpts=True)
    # the package keeps the example's site (EXAMPLE) while one excerpt differs: SITE_IDENTITY_EXAMPLE says so
    assert _problems(result.report) == {"QDA_DEVIATION", "SITE_IDENTITY_EXAMPLE"}
    messages = " ".join(f.message for f in result.report.findings)
    assert "named 'Study project.qde'" in messages and "regenerated" in messages and "1 selection is zero-length" in messages
    got = read_text(tmp_path / "pkg/data/coding_segments.csv")
    expected = segments.copy()
    expected.loc[expected["segment_id"] == zero, "excerpt"] = ""  # a point selects no text
    assert got.equals(expected)
    _same_tables(tmp_path / "pkg", ("coding_themes", "coding_codes"))


def test_sources_map_to_discussions_through_the_map(qdpx, tmp_path):
    with zipfile.ZipFile(qdpx) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    qde = entries["project.qde"].decode()
    qde = re.sub(r'<TextSource ([^>]*)name="(DS\d+)"', r'<TextSource \1name="Interview \2.docx"', qde)
    entries["project.qde"] = qde.encode()
    src = tmp_path / "renamed.qdpx"
    with zipfile.ZipFile(src, "w") as zf:
        for n, data in entries.items():
            zf.writestr(n, data)
    unmapped = import_project(src, tmp_path / "no-map", reference=REPO)
    assert "QDA_SOURCE_UNMAPPED" in unmapped.report.codes() and not (tmp_path / "no-map").exists()
    ids = sorted(set(re.findall(r'name="Interview (DS\d+)\.docx"', qde)))
    (tmp_path / "map.csv").write_text("source,discussion_id\n" + "".join(f"Interview {d}.docx,{d}\n" for d in ids))
    result = import_project(src, tmp_path / "pkg", discussions=tmp_path / "map.csv", reference=REPO, excerpts=True)
    assert _problems(result.report) == set()
    _same_tables(tmp_path / "pkg")


def test_a_foreign_timed_transcript_becomes_a_segment(tmp_path):
    result = import_project(FILES / "timed-transcript.qdpx", tmp_path / "pkg", reference=SUITE / "valid_coding")
    seg = read_text(tmp_path / "pkg/data/coding_segments.csv")
    assert seg[seg["discussion_id"] == "D3"].to_dict("records") == [
        {"segment_id": "QDA000001", "discussion_id": "D3", "code_id": "HO2", "coder_id": "R1",
         "speaker_role": "primary_oncologist", "start_seconds": "65", "end_seconds": "80", "excerpt": ""}]
    kept = read_text(SUITE / "valid_coding/data/coding_segments.csv")
    assert seg["segment_id"].tolist() == ["S1", "S2", "S3", "S4", "QDA000001", "S6"]  # kept in place
    assert seg[seg["discussion_id"] != "D3"].equals(kept[kept["discussion_id"] != "D3"])
    assert _problems(result.report) == {"QDA_ID_ASSIGNED"} and result.exit_code == 0


@pytest.mark.skipif(not ATLAS.is_file(), reason="the real ATLAS.ti export lives in ../shared/qda/")
def test_the_real_atlas_ti_export_imports_its_codebook(tmp_path):
    result = import_project(ATLAS, tmp_path / "pkg")
    themes, codes = result.tables["coding_themes"], result.tables["coding_codes"]
    assert themes["name"].tolist() == ["Commits"]
    assert codes["name"].tolist() == ["2022-05-10T02:05:59Z 19e4dce", "2022-02-11T10:39:25Z cdbfd92"]
    assert set(codes["theme_id"]) == {themes["theme_id"][0]}
    assert len(result.tables["coding_segments"]) == 0
    assert {"QDA_DEVIATION", "QDA_ID_ASSIGNED"} <= result.report.codes()
    assert "no sources" in " ".join(f.message for f in result.report.findings)
    assert read_text(tmp_path / "pkg/data/coding_codes.csv").equals(codes)
    assert result.report.status == "valid" and "RESOURCE_MISSING" not in result.report.codes()


def _nested(codes: str) -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{codes}</Codes></CodeBook>'.encode()


def _code(name: str, inner: str = "", tag: str = "") -> str:
    desc = f"<Description>[pedcomm code_id={tag}]</Description>" if tag else ""
    return f'<Code guid="{uuid.uuid4()}" name="{name}" isCodable="true">{desc}{inner}</Code>'


def test_a_name_under_two_parents_is_two_codes_named_by_their_parents(tmp_path):
    """NVivo-style codebooks reuse 'Other' under several parents: different codes, not copies."""
    book = (_code("Information", _code("Prognosis", _code("Other") + _code("Hope")) + _code("Treatment", _code("Other")))
            + _code("Emotion", _code("Other") + _code("hope ")))
    (tmp_path / "nested.qdc").write_bytes(_nested(book))
    result = import_project(tmp_path / "nested.qdc", tmp_path / "pkg")
    assert result.report.status == "valid", [f.message for f in result.report.findings]
    names = result.tables["coding_codes"]["name"].tolist()
    assert names == ["Prognosis", "Prognosis / Other", "Prognosis / Hope", "Treatment", "Treatment / Other",
                     "Emotion / Other", "Emotion / hope"]
    note = next(f.message for f in result.report.findings if f.code == "QDA_DEVIATION" and "parent" in f.message)
    assert note.startswith("The QDA project deviates from REFI-QDA: 5 codes share their name with another code under "
                           "a different parent; each now starts with its parent's name (such as 'Prognosis / Other')")
    assert "CODE_NAME_DUPLICATE" not in result.report.codes()


def test_a_copy_of_one_pedcomm_code_under_two_themes_is_still_reported(tmp_path):
    book = _code("Honesty", _code("Naming uncertainty", tag="HO2")) + _code("Hope", _code("Naming uncertainty", tag="HO2"))
    (tmp_path / "copied.qdc").write_bytes(_nested(book))
    result = import_project(tmp_path / "copied.qdc", tmp_path / "pkg")
    assert result.tables["coding_codes"]["name"].tolist() == ["Naming uncertainty"] * 2
    assert "CODE_NAME_DUPLICATE" in result.report.codes() and result.report.status == "invalid"


# -- hostile inputs ------------------------------------------------------------------------------

def _refused(path: Path, tmp_path: Path, code: str, seconds: float = 3.0):
    before = snapshot(tmp_path)
    t0 = time.perf_counter()
    r = runner.invoke(app, ["qda", "import", str(path), "--out", str(tmp_path / "out" / "pkg")])
    elapsed = time.perf_counter() - t0
    assert r.exit_code == 2, r.output
    assert code in r.output and "Traceback" not in r.output
    assert elapsed < seconds, elapsed
    assert snapshot(tmp_path) == before  # nothing written anywhere under the working folder
    assert not (tmp_path / "out").exists()


def test_zip_slip_is_refused(tmp_path):
    bad = tmp_path / "in" / "slip.qdpx"
    bad.parent.mkdir()
    bad.write_bytes(fixtures()["zip-slip.qdpx"])
    _refused(bad, tmp_path, "QDA_UNSAFE_ARCHIVE")
    assert not (tmp_path.parent / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize("name", ["/etc/evil.txt", "C:\\evil.txt", "Sources/../../evil.txt"])
def test_absolute_and_climbing_entries_are_refused(tmp_path, name):
    from .qda_fixtures import archive, project

    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(archive({"project.qde": project(), name: b"x"}))
    _refused(bad, tmp_path, "QDA_UNSAFE_ARCHIVE")


def test_billion_laughs_is_refused(tmp_path):
    bad = tmp_path / "laughs.qdpx"
    bad.write_bytes(fixtures()["billion-laughs.qdpx"])
    _refused(bad, tmp_path, "QDA_XML_UNSAFE")


def test_a_one_gigabyte_zip_bomb_is_refused_quickly(tmp_path):
    bomb = tmp_path / "bomb.qdpx"
    bomb.write_bytes(zip_bomb())  # 64 x 16 MiB of zeros, about 1 MB on disk
    with zipfile.ZipFile(bomb) as zf:
        assert sum(i.file_size for i in zf.infolist()) == 2**30
    _refused(bomb, tmp_path, "QDA_UNSAFE_ARCHIVE", seconds=2.0)


def test_an_entry_that_unpacks_beyond_what_it_declares_is_not_read_past_it(tmp_path):
    size = 4 * 2**20
    honest = zip_bomb(entries=1, entry_size=size, name="project.qde")
    # declare 1 KiB instead of 4 MiB, in the local header and the central directory
    lying = honest.replace(size.to_bytes(4, "little"), (1024).to_bytes(4, "little"))
    assert lying != honest
    bad = tmp_path / "lying.qdpx"
    bad.write_bytes(lying)
    t0 = time.perf_counter()
    r = import_project(bad, tmp_path / "out")
    assert time.perf_counter() - t0 < 1.0
    assert r.exit_code == 2 and r.report.codes() == {"QDA_UNREADABLE"}, r.report.findings
    assert "damaged" in r.report.findings[0].message
    assert not (tmp_path / "out").exists()


def test_too_many_entries_are_refused(tmp_path, monkeypatch):
    from pedcomm.interop.qda import safety as qda_safety

    from .qda_fixtures import archive, project

    monkeypatch.setattr(qda_safety, "MAX_ENTRIES", 5)
    bad = tmp_path / "many.qdpx"
    bad.write_bytes(archive({"project.qde": project(), **{f"Sources/{i}.txt": b"" for i in range(5)}}))
    r = import_project(bad, tmp_path / "out")
    assert r.report.codes() == {"QDA_UNSAFE_ARCHIVE"} and "6 entries" in r.report.findings[0].message


def test_committed_fixtures_are_what_the_builders_make():
    for name, data in fixtures().items():
        assert (FILES / name).read_bytes() == data, f"run python -m tests.qda_fixtures ({name})"


# -- command line -------------------------------------------------------------------------------

def test_cli_export_and_import(tmp_path):
    r = runner.invoke(app, ["qda", "export-codebook", "--out", str(tmp_path / "cb.qdc")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["qda", "export", str(tmp_path / "p.qdpx")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["qda", "import", str(tmp_path / "p.qdpx"), "--out", str(tmp_path / "pkg"), "--package", str(REPO)])
    assert r.exit_code == 0, r.output
    assert "VALID" in r.output
    r = runner.invoke(app, ["qda", "import", str(FILES / "out-of-range-selection.qdpx"), "--out", str(tmp_path / "bad"),
                            "--package", str(SUITE / "valid_coding")])
    assert r.exit_code == 1 and "QDA_SELECTION_UNREADABLE" in r.output and not (tmp_path / "bad").exists()


@pytest.mark.skipif(not (REPO.parent / "shared" / "qda").is_dir(), reason="../shared/qda/ is not here")
def test_the_xsd_copies_are_the_shared_ones():
    for name in ("REFI-QDA-Codebook-1.0.xsd", "REFI-QDA-Project-1.0.xsd"):
        assert (XSD / name).read_bytes() == (REPO.parent / "shared" / "qda" / name).read_bytes()


# -- never lose segments ---------------------------------------------------------------------------

def test_a_codebook_is_refused_for_segment_import_and_nothing_is_written(tmp_path):
    before = snapshot(SUITE / "valid_coding")
    r = runner.invoke(app, ["qda", "import", str(FILES / "codebook-into-package.qdc"), "--out", str(tmp_path / "pkg"),
                            "--package", str(SUITE / "valid_coding")])
    assert r.exit_code == 2 and "QDA_NO_SELECTIONS" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "pkg").exists() and snapshot(SUITE / "valid_coding") == before


def test_a_project_without_coded_selections_is_refused_too(qdpx, tmp_path):
    with zipfile.ZipFile(qdpx) as zf:
        qde = zf.read("project.qde").decode()
    bare = re.sub(r"<PlainTextSelection .*?</PlainTextSelection>", "", qde, flags=re.S)
    (tmp_path / "bare.qdpx").write_bytes(archive({"project.qde": bare.encode()}))
    result = import_project(tmp_path / "bare.qdpx", tmp_path / "pkg", reference=REPO)
    assert result.report.codes() == {"QDA_NO_SELECTIONS"} and result.exit_code == 2
    assert "its sources carry no coded selection" in result.report.findings[0].message
    assert not (tmp_path / "pkg").exists()


def test_coded_selections_need_the_package(tmp_path):
    result = import_project(FILES / "timed-transcript.qdpx", tmp_path / "pkg")
    assert result.report.codes() == {"QDA_PACKAGE_NEEDED"} and result.exit_code == 2
    assert not (tmp_path / "pkg").exists()


def test_an_import_that_would_orphan_kept_segments_is_refused(tmp_path):
    """A project whose codebook lacks codes the package's other discussions use would break them."""
    data = project(text_source("D3", "[00:01:05] Primary oncologist: We do not know yet.", 31, 50))
    (tmp_path / "p.qdpx").write_bytes(archive({"project.qde": data}))
    result = import_project(tmp_path / "p.qdpx", tmp_path / "pkg", reference=SUITE / "valid_coding")
    assert "QDA_MERGE_REFUSED" in result.report.codes() and result.validated is None
    msg = next(f.message for f in result.report.findings if f.code == "QDA_MERGE_REFUSED")
    assert "5 segments the import would keep" in msg and "'HO1'" in msg and "'HU1'" in msg
    assert not (tmp_path / "pkg").exists()


@pytest.mark.parametrize("where", ["package", "package-parent", "data-folder", "project"])
def test_the_output_never_replaces_an_input_even_with_force(tmp_path, where):
    pkg = tmp_path / "site" / "pkg"
    shutil.copytree(SUITE / "valid_coding", pkg)
    src = tmp_path / "site" / "p.qdpx"
    src.write_bytes((FILES / "timed-transcript.qdpx").read_bytes())
    out = {"package": pkg, "package-parent": tmp_path / "site", "data-folder": pkg / "data", "project": src}[where]
    before = snapshot(tmp_path)
    r = runner.invoke(app, ["qda", "import", str(src), "--out", str(out), "--package", str(pkg), "--force"])
    assert r.exit_code == 2 and "OUTPUT_OVERLAPS_INPUT" in r.output, r.output
    assert snapshot(tmp_path) == before


def test_an_output_folder_beside_the_packages_files_is_fine(tmp_path):
    """Like `out/` beside datapackage.json (make run): a new folder inside the package folder holds no input."""
    pkg = tmp_path / "pkg"
    shutil.copytree(SUITE / "valid_coding", pkg)
    src = tmp_path / "p.qdpx"
    src.write_bytes((FILES / "timed-transcript.qdpx").read_bytes())
    before = snapshot(pkg)
    r = runner.invoke(app, ["qda", "import", str(src), "--out", str(pkg / "coded"), "--package", str(pkg)])
    assert r.exit_code == 0, r.output
    assert (pkg / "coded" / "datapackage.json").is_file()
    assert {k: v for k, v in snapshot(pkg).items() if not k.startswith("coded")} == before


def test_the_readme_qda_import_command_works_as_written(tmp_path):
    """The README's commands for QDA run as written (with the input files they name)."""
    readme = (REPO / "README.md").read_text()
    lines = [ln.split("#")[0].split() for ln in readme.splitlines() if ln.startswith(".venv/bin/pedcomm qda")]
    assert [ln[2] for ln in lines] == ["export-codebook", "export", "import"]
    shutil.copytree(SUITE / "valid_coding", tmp_path / "site-package")  # the site's own coding package
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for args in lines[:2]:
            assert runner.invoke(app, args[1:]).exit_code == 0
        # a project coded in a QDA tool: the discussions, speakers and coders maps a site writes for it
        (tmp_path / "project.qdpx").write_bytes((FILES / "untimed-transcript.qdpx").read_bytes())
        (tmp_path / "map.csv").write_text("source,discussion_id\nD1,D1\n")
        (tmp_path / "speakers.csv").write_text("label,role\nDr. Smith,primary_oncologist\n")
        (tmp_path / "coders.csv").write_text("user,coder_id\nR1,R1\n")
        r = runner.invoke(app, lines[2][1:])
    finally:
        os.chdir(cwd)
    assert r.exit_code == 0, r.output
    seg = read_text(tmp_path / "coded/data/coding_segments.csv")
    assert seg.loc[seg["discussion_id"] == "D1", ["start_seconds", "end_seconds", "speaker_role"]].values.tolist() == \
        [["-6", "-6", "primary_oncologist"]]
