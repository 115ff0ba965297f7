"""The files the site guides use travel with pedcomm: `pedcomm example --out DIR` writes them beside the
example package (DIR/site-files/, DIR/validation/conformance/), byte for byte, and the coding site's files are
what tests/site_examples.py builds."""

from __future__ import annotations

from typer.testing import CliRunner

from pedcomm.cli import app

from .conftest import REPO

runner = CliRunner()


def test_committed_coding_site_examples_are_what_the_builders_make():
    from .site_examples import FOLDER, files

    for rel, data in files().items():
        assert (FOLDER / rel).read_bytes() == data, f"run python -m tests.site_examples ({rel})"


def test_pedcomm_example_writes_the_guides_files_beside_the_package(tmp_path):
    r = runner.invoke(app, ["example", "--out", str(tmp_path / "example")])
    assert r.exit_code == 0, r.output
    out = tmp_path / "example"
    for p in (REPO / "docs" / "examples").rglob("*"):
        if p.is_file():
            rel = p.relative_to(REPO / "docs" / "examples")
            assert (out / "site-files" / rel).read_bytes() == p.read_bytes(), rel
    for p in (REPO / "validation" / "conformance").rglob("*"):
        if p.is_file() and "__pycache__" not in p.parts:
            rel = p.relative_to(REPO)
            assert (out / rel).read_bytes() == p.read_bytes(), rel
    # the package itself is unchanged: byte-identical to the shipped one
    assert (out / "datapackage.json").read_bytes() == (REPO / "datapackage.json").read_bytes()
    r = runner.invoke(app, ["validate", str(out)])
    assert r.exit_code == 0, r.output
