"""Coded projects in the shapes NVivo, ATLAS.ti, MAXQDA and QualCoder write (tests/qda_tools.py), with
transcripts in every supported time-stamp and speaker format, import to the expected segments exactly,
into a package whose other discussions are kept, and the result validates."""

import json
import re
import shutil

import pytest

from pedcomm.interop.package_io import read_text
from pedcomm.interop.qda.importer import import_project
from pedcomm.validation.conformance import SUITE

from .qda_tools import CODERS_MAP, FORMATS, SELECTIONS, SPEAKERS_MAP, TOOLS, USERS, build, expected_segments, qualcoder_audio

PACKAGE = SUITE / "valid_coding"  # D1 (coded by R1 and R2, 4 segments), D2 and D3 (1 segment each)
KEPT = ["S4", "S5"]  # the segments of the discussions the projects do not code


@pytest.fixture(scope="module")
def maps(tmp_path_factory):
    d = tmp_path_factory.mktemp("maps")
    (d / "coders.csv").write_text(CODERS_MAP)
    (d / "speakers.csv").write_text(SPEAKERS_MAP)
    (d / "discussions.csv").write_text("source,discussion_id\nInterview D1.txt,D1\nInterview D1.m4a,D1\n")
    return {"coders": d / "coders.csv", "speakers": d / "speakers.csv", "discussions": d / "discussions.csv"}


def _import(data: bytes, tmp_path, maps, **kw):
    src = tmp_path / "in" / "project.qdpx"
    src.parent.mkdir(exist_ok=True)
    src.write_bytes(data)
    return import_project(src, tmp_path / "out", reference=PACKAGE, **{**maps, **kw})


def _segments(tmp_path):
    return read_text(tmp_path / "out/data/coding_segments.csv")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("tool", list(TOOLS))
def test_each_tool_and_transcript_format_imports_to_the_expected_segments(tool, fmt, tmp_path, maps):
    result = _import(build(tool, fmt), tmp_path, maps)
    assert result.validated is not None, [f.message for f in result.report.findings if f.severity == "error"]
    seg = _segments(tmp_path)
    got = seg[seg["discussion_id"] == "D1"].drop(columns="segment_id").to_dict("records")
    assert got == expected_segments(fmt)
    assert seg.loc[seg["discussion_id"] != "D1", "segment_id"].tolist() == KEPT
    assert result.exit_code == 0 and result.report.totals()["error"] == 0
    # D1 had 4 segments and the project codes 3: said, not silent
    assert "QDA_SEGMENTS_REDUCED" in result.report.codes()
    assert {"QDA_SPEAKER_UNMAPPED", "QDA_CODER_UNMAPPED", "QDA_SELECTION_UNREADABLE"}.isdisjoint(result.report.codes())


@pytest.mark.parametrize("tool, counted", [("atlas", "as one character"), ("nvivo", "as two characters"),
                                           ("maxqda", "as one character"), ("qualcoder-maxqda-endings", "as one character")])
def test_windows_line_breaks_are_counted_the_way_each_tool_counts_them(tool, counted, tmp_path, maps):
    result = _import(build(tool, "span"), tmp_path, maps)
    msg = next(f.message for f in result.report.findings if f.code == "QDA_POSITION_COUNTING")
    assert f"(CR LF) {counted}" in msg
    assert _segments(tmp_path).query("discussion_id == 'D1'").drop(columns="segment_id").to_dict("records") == \
        expected_segments("span")


def test_the_wrong_line_break_option_is_noticed(tmp_path, maps):
    """NVivo counts CR LF twice; told to count it once, the selections land mid-word and a warning says so."""
    result = _import(build("nvivo", "stamp"), tmp_path, maps, line_breaks="one")
    assert any(f.code == "QDA_DEVIATION" and "fall between words" in f.message for f in result.report.findings)


def test_utf16_positions_after_an_emoji(tmp_path, maps):
    """MAXQDA counts the emoji of the first turn as two UTF-16 units; the later selections still land on their words."""
    result = _import(build("maxqda", "stamp"), tmp_path, maps, excerpts=True)
    seg = _segments(tmp_path).query("discussion_id == 'D1'")
    assert seg["excerpt"].tolist() == [words for _, words, _, _ in SELECTIONS]
    assert "UTF-16 code units" in next(f.message for f in result.report.findings if f.code == "QDA_POSITION_COUNTING")


def test_qualcoder_selection_names_never_become_identifiers_or_messages(tmp_path, maps):
    """QualCoder names each selection by its text: names must not become segment ids or appear in a report."""
    result = _import(build("qualcoder", "stamp"), tmp_path, maps)
    seg = _segments(tmp_path)
    assert set(seg.loc[seg["discussion_id"] == "D1", "segment_id"]) == {"QDA000001", "QDA000002", "QDA000003"}
    text = json.dumps([f.as_dict() for f in result.report.findings])
    assert not any(words in text for _, words, _, _ in SELECTIONS)


def test_audio_and_synchronised_transcript_selections(tmp_path, maps):
    result = _import(qualcoder_audio(), tmp_path, maps)
    assert result.exit_code == 0, [f.message for f in result.report.findings]
    seg = _segments(tmp_path)
    got = seg[seg["discussion_id"] == "D1"].drop(columns="segment_id").to_dict("records")
    assert got == [
        # the AudioSelection: its own times; the speaker of the transcript turn running at 65 s
        {"discussion_id": "D1", "code_id": "HO2", "coder_id": "R1", "speaker_role": "primary_oncologist",
         "start_seconds": "65", "end_seconds": "79.5", "excerpt": ""},
        # the TranscriptSelection: the times of its sync points, the speaker of the turn at its first one
        {"discussion_id": "D1", "code_id": "HU1", "coder_id": "R2", "speaker_role": "parent",
         "start_seconds": "80", "end_seconds": "92", "excerpt": ""}]


def test_audio_without_a_transcript_needs_a_default_role(tmp_path, maps):
    result = _import(qualcoder_audio(transcript=False), tmp_path, maps)
    assert result.validated is None and "QDA_SPEAKER_UNMAPPED" in result.report.codes()
    assert "1 audio selection has no transcript" in " ".join(f.message for f in result.report.findings)
    (tmp_path / "speakers.csv").write_text(SPEAKERS_MAP + ",other_clinician\n")
    result = import_project(tmp_path / "in/project.qdpx", tmp_path / "out", reference=PACKAGE,
                            **{**maps, "speakers": tmp_path / "speakers.csv"})
    assert _segments(tmp_path).query("discussion_id == 'D1'")["speaker_role"].tolist() == ["other_clinician"]


def test_unmapped_speakers_and_coders_are_one_finding_each_and_masked(tmp_path, maps):
    result = _import(build("atlas", "stamp"), tmp_path, {"discussions": maps["discussions"]})
    by_code = {}
    for f in result.report.findings:
        by_code.setdefault(f.code, []).append(f)
    # one finding per label and per user, most used first, with how many selections or codings each stands for
    assert [f.message.split(": ", 1)[1] for f in by_code["QDA_SPEAKER_UNMAPPED"]] == [
        "the label 'D******** (9 characters, masked)' of 2 coded selections is not mapped to a role.",
        "the label 'M***** (6 characters, masked)' of 1 coded selection is not mapped to a role."]
    jane, omar = (USERS[k][1].lower() for k in ("jane", "omar"))
    assert [f.value for f in by_code["QDA_CODER_UNMAPPED"]] == [jane, omar]  # GUIDs identify no one: shown
    assert "made 2 codings" in by_code["QDA_CODER_UNMAPPED"][0].message
    text = json.dumps([f.as_dict() for f in result.report.findings])
    for secret in ("Dr. Smith", "Mother", "Jane Doe", "Omar Haddad"):
        assert secret not in text
    assert not (tmp_path / "out").exists()
    revealed = _import(build("atlas", "stamp"), tmp_path, {"discussions": maps["discussions"]}, reveal=True)
    assert [f.value for f in revealed.report.findings if f.code == "QDA_SPEAKER_UNMAPPED"] == ["Dr. Smith", "Mother"]
    assert "Jane Doe" in json.dumps([f.as_dict() for f in revealed.report.findings])


def test_every_unmapped_label_is_listed_with_show_values_text_and_json(tmp_path, maps):
    """A transcript of 150 speakers (a focus-group series): every label, not the first 8 or 100, in JSON too."""
    from pedcomm.cli import app
    from typer.testing import CliRunner

    from .qda_tools import nvivo_document

    lines = [f"Speaker Number {i}: I agree with what was said about the scan." for i in range(150)]
    text = "\n".join(lines) + "\n"
    spans, pos = [], 0
    for line in lines:
        a = pos + line.index("I agree")
        spans.append((a, a + 7))
        pos += len(line) + 1
    project = tmp_path / "focus.qdpx"
    project.write_bytes(nvivo_document(text, spans))
    coders = tmp_path / "c.csv"
    coders.write_text(CODERS_MAP)
    args = ["qda", "import", str(project), "--package", str(PACKAGE), "--coders", str(coders), "--out", str(tmp_path / "o")]
    shown = CliRunner().invoke(app, [*args, "--show-values", "--format", "json"])
    assert shown.exit_code == 1, shown.output
    got = [f["value"] for f in json.loads(shown.stdout)["findings"] if f["code"] == "QDA_SPEAKER_UNMAPPED"]
    assert sorted(got) == sorted(f"Speaker Number {i}" for i in range(150))
    masked = CliRunner().invoke(app, [*args, "--format", "json"])
    report = json.loads(masked.stdout)
    listed = [f for f in report["findings"] if f["code"] == "QDA_SPEAKER_UNMAPPED"]
    assert len(listed) == 100 and report["findings_not_listed"] == 50  # masked: counted, the first 100 listed
    assert all("Speaker Number" not in f["message"] + str(f["value"]) for f in listed)


def test_draft_maps_list_every_source_label_and_user_and_import_once_filled(tmp_path, maps):
    """`pedcomm qda maps` writes the three maps to fill in; filled, they import the project as the site's maps do."""
    import csv
    import io

    from pedcomm.cli import app
    from typer.testing import CliRunner

    project = tmp_path / "in" / "project.qdpx"
    project.parent.mkdir()
    project.write_bytes(build("atlas", "stamp"))
    r = CliRunner().invoke(app, ["qda", "maps", str(project), "--package", str(PACKAGE), "--out", str(tmp_path / "maps")])
    assert r.exit_code == 0, r.output
    assert "To fill in: 1 discussion id, 2 roles, 2 coder ids" in " ".join(r.output.split())

    def rows(name):
        return list(csv.reader(io.StringIO((tmp_path / "maps" / name).read_text(encoding="utf-8-sig"))))

    assert rows("discussions.csv") == [["source", "discussion_id", "coded_selections"], ["Interview D1.txt", "", "3"]]
    assert rows("speakers.csv") == [["label", "role", "coded_selections"], ["Dr. Smith", "", "2"], ["Mother", "", "1"]]
    jane, omar = (USERS[k][1].lower() for k in ("jane", "omar"))
    assert rows("coders.csv") == [["user", "coder_id", "name", "codings"], [jane, "", "Jane Doe", "2"],
                                  [omar, "", "Omar Haddad", "1"]]
    # the site fills the blanks in a spreadsheet, which saves them its own way (semicolons, Windows-1252)
    for name, filled in (("discussions.csv", {"Interview D1.txt": "D1"}),
                         ("speakers.csv", {"Dr. Smith": "primary_oncologist", "Mother": "parent"}),
                         ("coders.csv", {jane: "R1", omar: "R2"})):
        table = rows(name)
        for row in table[1:]:
            row[1] = filled[row[0]]
        out = io.StringIO()
        csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(table)
        (tmp_path / "maps" / name).write_bytes(out.getvalue().encode("cp1252"))
    result = _import(build("atlas", "stamp"), tmp_path, {k: tmp_path / "maps" / f"{k}.csv" for k in maps})
    assert result.exit_code == 0, [f.message for f in result.report.findings if f.severity == "error"]
    seg = _segments(tmp_path)
    assert seg[seg["discussion_id"] == "D1"].drop(columns="segment_id").to_dict("records") == expected_segments("stamp")
    # a draft with blank rows left is usable: what they name stays unmapped, and is said
    (tmp_path / "maps" / "speakers.csv").write_text("label,role,coded_selections\nDr. Smith,primary_oncologist,2\nMother,,1\n")
    partial = _import(build("atlas", "stamp"), tmp_path, {k: tmp_path / "maps" / f"{k}.csv" for k in maps}, force=True)
    assert [f.value for f in partial.report.findings if f.code == "QDA_SPEAKER_UNMAPPED"] == ["M***** (6 characters, masked)"]


def test_excerpts_only_on_request_and_screened(tmp_path, maps):
    _import(build("qualcoder", "stamp"), tmp_path, maps)
    assert (_segments(tmp_path).query("discussion_id == 'D1'")["excerpt"] == "").all()
    shutil.rmtree(tmp_path / "out")
    # a selection that quotes a name: copied with --excerpts, then flagged (masked) by the identifier screen
    result = _import(_named_selection(), tmp_path, maps, excerpts=True)
    seg = _segments(tmp_path).query("discussion_id == 'D1'")
    assert seg["excerpt"].tolist()[2] == "Dr. Patel will repeat"
    assert "EXCERPT_IDENTIFIER" in result.report.codes() and result.exit_code == 1
    assert "Patel" not in json.dumps([f.as_dict() for f in result.report.findings])


def _named_selection() -> bytes:
    from . import qda_tools

    dialogue, selections = list(qda_tools.DIALOGUE), list(qda_tools.SELECTIONS)
    try:
        who, a, b, text = dialogue[2]
        qda_tools.DIALOGUE[2] = (who, a, b, text.replace("We will repeat", "Dr. Patel will repeat"))
        qda_tools.SELECTIONS[2] = (2, "Dr. Patel will repeat", "HO1", "jane")
        return build("qualcoder", "stamp")
    finally:
        qda_tools.DIALOGUE[:], qda_tools.SELECTIONS[:] = dialogue, selections


def test_the_guides_format_examples_are_read():
    """Every example line of the QDA guide's format table is recognised (the guide cannot drift from the parser)."""
    from pedcomm.interop.qda.transcripts import parse

    from .conftest import REPO

    guide = (REPO / "docs/guides/qda.md").read_text()
    examples = re.findall(r"^\| ([^|`]+) \| `([^`]+)`", guide, flags=re.M)
    assert len(examples) == 11
    for name, line in examples:
        tr = parse(line.replace("⇥", "\t"))
        if name.startswith("labels only"):
            assert not tr.points and tr.labels() == {"ONC"}
        else:
            assert tr.points, name


@pytest.mark.parametrize("labelled", [False, True])
def test_a_few_lines_starting_with_a_time_do_not_make_a_timed_transcript(labelled, tmp_path, maps):
    """NVivo notes (or a transcript) with three remarks such as '1:57 the nurse came back': not its structure."""
    from .qda_tools import long_text, nvivo_document

    text, spans = long_text(labelled=labelled)
    speakers = tmp_path / "speakers.csv"
    speakers.write_text("label,role\nDr. Smith,primary_oncologist\nMother,parent\n,other_clinician\n")
    result = _import(nvivo_document(text, spans), tmp_path, {**maps, "speakers": speakers, "discussions": None})
    assert result.exit_code == 0, [f.message for f in result.report.findings if f.severity == "error"]
    seg = _segments(tmp_path)
    d1 = seg[seg["discussion_id"] == "D1"]
    assert len(d1) == len(spans) == 12
    assert set(d1["start_seconds"]) == set(d1["end_seconds"]) == {"-6"}  # nothing invented
    # the remark lines are text of the turn they sit in: the speakers alternate as labelled
    expected = ["primary_oncologist" if (10 * k + 3) % 2 == 0 else "parent" for k in range(12)] if labelled \
        else ["other_clinician"] * 12
    assert d1["speaker_role"].tolist() == expected
    note = next(f.message for f in result.report.findings if f.code == "QDA_TIMES_READ")
    turns = ", in 0 of 117 speaker turns" if labelled else ", no speaker turns"
    assert f"not read as times in 'D* (2 characters, masked)' (stamps on 3 of 120 lines{turns})" in note, note
    assert "SEGMENT_END_BEFORE_START" not in result.report.codes()


def test_stamps_on_every_line_are_read_as_times(tmp_path, maps):
    from .qda_tools import long_text, nvivo_document

    text, spans = long_text(stamped_every_line=True)
    result = _import(nvivo_document(text, spans), tmp_path, {**maps, "discussions": None,
                                                             "speakers": _default_role(tmp_path)})
    assert result.exit_code == 0, [f.message for f in result.report.findings if f.severity == "error"]
    d1 = _segments(tmp_path).query("discussion_id == 'D1'")
    # paragraph 10k+3 opens at minute (10k+3)//60, second (10k+3)%60; it ends where the next one starts
    assert d1["start_seconds"].tolist() == [str(10 * k + 3) for k in range(12)]
    assert d1["end_seconds"].tolist() == [str(10 * k + 4) for k in range(12)]
    note = next(f.message for f in result.report.findings if f.code == "QDA_TIMES_READ")
    assert "stamps are the structure (most lines or speaker turns) of 1 text" in note, note


def _default_role(tmp_path):
    p = tmp_path / "default-role.csv"
    p.write_text("label,role\n,other_clinician\n")
    return p
