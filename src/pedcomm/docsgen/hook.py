"""MkDocs hook (mkdocs.yml `hooks:`): generate the pages from the sources before every build.

A failure in any source (a missing codebook table, a failing `pedcomm reproduce`) stops the build.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError


def on_pre_build(config, **kwargs):
    from pedcomm.docsgen import generate

    try:
        generate(Path(config["docs_dir"]))
    except Exception as e:  # noqa: BLE001 - every generator error must fail the build, with its reason
        raise PluginError(f"pedcomm.docsgen: could not generate the docs pages: {type(e).__name__}: {e}") from e
