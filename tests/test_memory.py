"""Running out of memory is a one-line message and exit 2, never a traceback or a half-written report.

DuckDB's memory limit (validation/engine/runner.py memory_limit) is set here far below what the
shipped package needs, as a machine short of memory would leave it.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pedcomm.cli import app
from pedcomm.validation.engine import runner


@pytest.mark.parametrize("limit_kb, where, limit", [(4096, "reading survey_sites", "4 MiB"),
                                                    (256, "checking the package", "262144 bytes")])
def test_running_out_of_memory_is_one_clear_message_and_nothing_written(repo, tmp_path, monkeypatch, limit_kb, where, limit):
    monkeypatch.setattr(runner, "memory_limit", lambda data_bytes: limit_kb << 10)
    report = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["validate", str(repo / "datapackage.json"), "--format", "html", "--output", str(report)])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)  # typer's exit, not an exception escaping
    text = " ".join(result.output.split())
    assert f"pedcomm ran out of memory while {where}: DuckDB may use {limit} here" in text
    assert "Nothing was written" in text and "Traceback" not in text
    assert not report.exists() and list(tmp_path.iterdir()) == []


def test_a_check_that_runs_out_of_memory_names_its_table_and_codes(repo, tmp_path, monkeypatch):
    # the tables load; DuckDB then fails the first check's statement as it does when memory runs out
    # (its limit cannot be lowered under tables already loaded, so the error is injected)
    import duckdb

    class Short:
        def __init__(self, con):
            self.con = con

        def execute(self, sql, *args):
            if sql.startswith("INSERT INTO pc.results"):
                raise duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block of size 256.0 KiB")
            return self.con.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.con, name)

    original = runner.Engine.run

    def run(self, progress=None):
        self.con = Short(self.con)
        return original(self, progress)

    monkeypatch.setattr(runner.Engine, "run", run)
    result = CliRunner().invoke(app, ["validate", str(repo / "datapackage.json")])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "pedcomm ran out of memory while checking survey_sites (" in text and "Traceback" not in text
    assert "CELL_TYPE" in text.split("checking survey_sites (")[1].split(")")[0]


def test_python_running_out_of_memory_in_the_analyses_is_the_same_kind_of_line(repo, tmp_path, monkeypatch):
    # validation passes; the survey's analysis frame then cannot be allocated (injected MemoryError)
    from pedcomm.studies.survey.analysis import run as survey_run

    def no_memory(*args, **kwargs):
        raise MemoryError

    # where reproduce's survey analysis looks the function up (it imported it by name)
    monkeypatch.setattr(survey_run, "analysis_frame", no_memory)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["reproduce", str(repo / "datapackage.json"), "--out", str(out)])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    text = " ".join(result.output.split())
    assert "pedcomm ran out of memory: Python could not get the memory it needed" in text
    assert "Nothing was written" in text and "Traceback" not in text
    assert not out.exists() and list(tmp_path.iterdir()) == []
