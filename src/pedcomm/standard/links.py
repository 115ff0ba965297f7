"""Where a finding's "see" link points: configured here, once, for every rendering.

No public address of the documentation site is known, so by default a finding points at a command
that works offline in any installation: ``pedcomm explain CODE`` prints the check's catalogue entry
from the installed registry (and ``pedcomm standard --out DIR`` writes the whole catalogue as a local
``checks.html``). A deployment that publishes the docs sets ``DOCS_URL`` (or the environment
variable ``PEDCOMM_DOCS_URL``) and every link becomes ``DOCS_URL/checks/#code``.
"""

from __future__ import annotations

import os

#: The address of the published documentation site; None: no public site is known (the default).
DOCS_URL: str | None = None


def docs_url() -> str | None:
    return os.environ.get("PEDCOMM_DOCS_URL") or DOCS_URL


def see(code: str) -> str:
    """Where to read about a finding code: the docs page when an address is configured, else the command."""
    url = docs_url()
    if url:
        return f"{url.rstrip('/')}/checks/#{code.lower()}"
    return f"pedcomm explain {code}"
