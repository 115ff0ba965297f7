"""Install what users install: the built wheel in a new virtual environment, run from an empty folder.

Sites do not clone the repository; they `pipx install` or `uv tool install` the released wheel. This
test builds the sdist and the wheel (the wheel from the sdist, as `python -m build` does), checks
them with `twine check`, installs the wheel into a fresh virtual environment that cannot see the
source tree, and runs every command from an unrelated folder. It takes about a minute, most of it
pip installing the pinned dependencies (from pip's cache after the first run).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.install


def _run(cmd: list[str], cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    r = _run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], cwd=out)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> dict:
    """A clean virtual environment with only the wheel (and its pinned dependencies) installed."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home / "v", with_pip=True, clear=True)
    py = home / "v" / "bin" / "python"
    wheel = next(dist.glob("*.whl"))
    r = _run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel),
              "-c", str(REPO / "requirements.lock")], cwd=home)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{home / 'v' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp_path_factory.mktemp("elsewhere")
    return {"python": py, "pedcomm": home / "v" / "bin" / "pedcomm", "env": env, "work": work}


def test_distributions_pass_twine_check(dist):
    files = sorted(str(p) for p in dist.iterdir())
    assert len(files) == 2 and {Path(f).suffix for f in files} == {".gz", ".whl"}, files
    r = _run([sys.executable, "-m", "twine", "check", "--strict", *files], cwd=dist)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("PASSED") == 2


def test_wheel_carries_the_standard_as_files_not_links(dist):
    wheel = zipfile.ZipFile(next(dist.glob("*.whl")))
    names = set(wheel.namelist())
    root = "pedcomm/_standard/"
    expected = {"datapackage.json", "validation/checks.yaml", "validation/targets.csv", "CITATION.cff", "CHANGELOG.md"}
    expected |= {p.relative_to(REPO).as_posix() for d in ("schemas", "data") for p in (REPO / d).glob("*.*")}
    assert {root + e for e in expected} <= names
    for e in expected:  # the same bytes as the repository's single copy
        assert wheel.read(root + e) == (REPO / e).read_bytes(), e
    symlinks = [i.filename for i in wheel.infolist() if (i.external_attr >> 16) & 0o170000 == 0o120000]
    assert symlinks == []
    assert not (REPO / "src" / "pedcomm" / "_standard").exists(), "the repository keeps one copy: no _standard folder"


def pedcomm(installed, *args, ok=(0,)) -> subprocess.CompletedProcess:
    r = _run([str(installed["pedcomm"]), *args], cwd=installed["work"], env=installed["env"])
    shown = f"pedcomm {' '.join(args)} -> {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    assert r.returncode in ok, shown
    assert "Traceback" not in r.stdout + r.stderr, shown
    assert str(REPO) not in r.stdout + r.stderr, f"refers to the source tree: {shown}"
    return r


def test_installed_package_is_not_the_source_tree(installed):
    r = _run([str(installed["python"]), "-c", "import pedcomm, pedcomm.standard as s; print(pedcomm.__file__); print(s.ROOT)"],
             cwd=installed["work"], env=installed["env"])
    assert r.returncode == 0, r.stderr
    module, root = r.stdout.split()
    venv_dir = str(installed["python"].parents[1])
    assert module.startswith(venv_dir) and root.startswith(venv_dir) and root.endswith("_standard")


def test_every_command_runs_from_another_folder(installed):
    from pedcomm import __version__, standard

    w = installed["work"]
    assert pedcomm(installed, "--version").stdout.strip() == f"pedcomm {__version__}, standard {standard.version()}"
    # `pedcomm selftest` (the whole conformance suite, a few minutes) runs from this wheel once, in docs/install.md
    # (test_every_site_guide_runs_from_the_installed_wheel_in_an_empty_folder)

    pedcomm(installed, "example", "--out", "example")
    assert (w / "example" / "data" / "survey_parents.csv").read_bytes() == (REPO / "data" / "survey_parents.csv").read_bytes()
    v = pedcomm(installed, "validate", "example", "--format", "json", "-o", "report.json")
    report = json.loads((w / "report.json").read_text())
    assert v.returncode == 0 and report["status"] == "valid"
    assert (report["version"], report["schema_version"]) == (__version__, standard.version())

    r = pedcomm(installed, "reproduce", "--out", "reproduced")  # no package: the shipped example
    assert "Compared 51 published targets" in r.stdout
    assert f"pedcomm {__version__} (standard {standard.version()})" in (w / "reproduced" / "index.md").read_text()

    pedcomm(installed, "synth", "coding", "--seed", "7", "--out", "synthetic")
    assert pedcomm(installed, "validate", "synthetic").returncode == 0
    pedcomm(installed, "redcap", "dictionary", "--out", "dictionary.csv")
    assert (w / "dictionary.csv").read_text().startswith("Variable / Field Name,Form Name,")
    pedcomm(installed, "qda", "export-codebook", "--out", "codebook.qdc")
    assert b"urn:QDA-XML:codebook:1.0" in (w / "codebook.qdc").read_bytes()
    pedcomm(installed, "export", "example", "--format", "sav", "--out", "spss")
    assert len(list((w / "spss").glob("*.sav"))) == len(standard.resource_names())

    pedcomm(installed, "synth", "survey", "--sites", "2", "--out", "sites")
    pedcomm(installed, "pool", "sites/SITE1", "sites/SITE2", "--out", "pooled")
    assert pedcomm(installed, "validate", "pooled").returncode == 0
    for site in ("SITE1", "SITE2"):
        pedcomm(installed, "summarize", f"sites/{site}", "--out", f"{site}.json")
    assert json.loads((w / "SITE1.json").read_text())["tool"]["version"] == __version__
    pedcomm(installed, "meta", "SITE1.json", "SITE2.json", "--out", "meta")
    assert (w / "meta" / "index.md").is_file()
    # installed without the federated extra (no Flower): a coded refusal, nothing written
    r = pedcomm(installed, "federated", "rehearse", "sites/SITE1", "sites/SITE2", "--out", "federated", ok=(2,))
    assert "FEDERATED_UNAVAILABLE" in r.stdout and "pedcomm[federated]" in r.stdout and not (w / "federated").exists()

    pedcomm(installed, "standard", "--out", "standard")
    manifest = json.loads((w / "standard" / "manifest.json").read_text())
    assert manifest["schema_version"] == standard.version() and len(manifest["files"]) > 50
    shutil.rmtree(w)


def test_every_site_guide_runs_from_the_installed_wheel_in_an_empty_folder(installed, tmp_path):
    """Each site guide's commands, run as printed in a new empty folder with only the installed pedcomm: every
    file a guide names must come from pedcomm itself (pedcomm example, init, synth ...), not from the source tree."""
    from .test_docs_examples import blocks, site_pages

    pages = site_pages()
    assert {p.name for p in pages} >= {"install.md", "journey.md", "coding.md", "redcap.md", "qda.md", "validate.md"}
    env = {**installed["env"], "NO_COLOR": "1", "COLUMNS": "160", "PYTHONWARNINGS": "ignore"}
    ran = 0
    for page in pages:
        work = tmp_path / page.stem  # docs/validate.md (the browser page) and guides/validate.md share a stem
        work = work if not work.exists() else tmp_path / f"{page.parent.name}-{page.stem}"
        work.mkdir()
        for b in blocks(page):
            if b["lang"] not in ("sh", "python") or b["directive"] == "skip":
                continue
            where = f"{page.relative_to(REPO)}:{b['line']}"
            cmd = ([str(installed["python"]), "-c", b["body"]] if b["lang"] == "python"
                   else ["bash", "-e", "-o", "pipefail", "-c", b["body"]])
            r = _run(cmd, cwd=work, env=env)
            expected = int(b["arg"]) if b["directive"] == "exit" else 0
            shown = f"{where}: exit {r.returncode}, expected {expected}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
            assert r.returncode == expected, shown
            assert "Traceback" not in r.stdout + r.stderr, shown
            assert str(REPO) not in r.stdout + r.stderr, f"refers to the source tree: {shown}"
            ran += 1
    assert ran >= 25
    # the coding site's journey ends with what it sends
    sent = tmp_path / "coding"
    assert json.loads((sent / "summary.json").read_text())["study"] == "coding"
    assert json.loads((sent / "report.json").read_text())["status"] == "valid"
