import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shipped():
    """The shipped example package, validated once: (report, typed tables)."""
    from pedcomm.validate import validate

    result = validate(REPO)
    return result


def snapshot(folder: Path) -> dict:
    """Bytes of every file under a folder (links recorded by target), to prove nothing changed."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_symlink():
            out[str(p.relative_to(folder))] = ("link", str(p.readlink()))
        elif p.is_file():
            out[str(p.relative_to(folder))] = p.read_bytes()
    return out


@pytest.fixture
def copy_of_shipped(tmp_path) -> Path:
    dest = tmp_path / "pkg"
    dest.mkdir()
    shutil.copy(REPO / "datapackage.json", dest)
    shutil.copytree(REPO / "data", dest / "data")
    shutil.copytree(REPO / "schemas", dest / "schemas")
    return dest
