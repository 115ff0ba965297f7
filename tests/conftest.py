import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: pedcomm keeps the key that seals its output markers in the user's state folder
#: (pedcomm.files.seal); the tests keep theirs apart, so they never write into the home folder.
os.environ.setdefault("PEDCOMM_STATE_DIR", tempfile.mkdtemp(prefix="pedcomm-test-state-"))


#: The modules that take minutes, started first. `make test` gives each worker whole test files (pytest-xdist
#: --dist loadfile, so a module's fixtures are built once) in the order collected: a long module collected last
#: would run alone at the end while the other cores wait.
SLOW_FIRST = ("test_install.py", "test_web_host.py", "test_conformance.py", "test_hostile.py", "test_baseline.py",
              "test_docs_site.py", "test_robustness.py", "test_registry.py", "test_reproduce.py", "test_qda_tools.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file's tests keep their order


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shipped():
    """The shipped example package, validated once: (report, typed tables)."""
    from pedcomm.validation.run import validate

    result = validate(REPO)
    return result


def snapshot(folder: Path) -> dict:
    """Bytes of every file under a folder (links recorded by target), to prove nothing changed.

    Special files (pipes, sockets) are recorded by their type and never opened; files over 64 MiB
    (the sparse giants of the bad-input corpus) by size and modification time.
    """
    import os
    import stat

    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            out[rel] = ("link", str(p.readlink()))
        elif stat.S_ISREG(st.st_mode):
            out[rel] = p.read_bytes() if st.st_size <= 64 << 20 else ("large", st.st_size, st.st_mtime_ns)
        elif not stat.S_ISDIR(st.st_mode):
            out[rel] = ("special", stat.S_IFMT(st.st_mode))
    return out


@pytest.fixture
def copy_of_shipped(tmp_path) -> Path:
    dest = tmp_path / "pkg"
    dest.mkdir()
    shutil.copy(REPO / "datapackage.json", dest)
    shutil.copytree(REPO / "data", dest / "data")
    shutil.copytree(REPO / "schemas", dest / "schemas")
    return dest


# -- multi-site (issue 6): synthetic sites, pooled and summarized once per session ---------------

from pedcomm.standard import SHIPPED_SEED as SITES_SEED  # the `pedcomm synth survey --sites` default


@pytest.fixture(scope="session")
def synthetic_sites(tmp_path_factory) -> list[Path]:
    """Four SYNTHETIC survey site packages (SITE1..SITE4); tests copy them before changing them."""
    from pedcomm.synth.sites import write_sites

    return write_sites("survey", 4, seed=SITES_SEED, out=tmp_path_factory.mktemp("sites") / "sites")


@pytest.fixture(scope="session")
def pooled_sites(synthetic_sites, tmp_path_factory):
    """The four sites pooled (pedcomm.sites.pool.Pooled; its package is at .out)."""
    from pedcomm.sites.pool import pool

    outcome = pool(synthetic_sites, tmp_path_factory.mktemp("pooled") / "pooled")
    assert outcome.out is not None, [f.message for f in outcome.report.findings]
    return outcome


@pytest.fixture(scope="session")
def summaries(synthetic_sites, tmp_path_factory):
    """Each synthetic survey site's summary (`pedcomm summarize`), and SITE1's at threshold 20 with zeros suppressed."""
    from typer.testing import CliRunner

    from pedcomm.cli import app

    folder = tmp_path_factory.mktemp("summaries")
    files = []
    for site in synthetic_sites:
        out = folder / f"{site.name}.json"
        r = CliRunner().invoke(app, ["summarize", str(site), "--out", str(out)])
        assert r.exit_code == 0, r.output
        files.append(out)
    strict = folder / "strict" / "SITE1.json"  # zeros suppressed too, at a higher threshold
    r = CliRunner().invoke(app, ["summarize", str(synthetic_sites[0]), "--out", str(strict), "--threshold", "20", "--suppress-zeros"])
    assert r.exit_code == 0, r.output
    return files, strict
