"""The changelog page: CHANGELOG.md (versions and the semantic-versioning rules), as it is in the repository."""

from __future__ import annotations

from .. import standard
from .md import BANNER


def page() -> str:
    return BANNER.format(source="CHANGELOG.md") + (standard.ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
