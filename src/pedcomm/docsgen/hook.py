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


def on_post_build(config, **kwargs):
    """The browser validator's files (pedcomm.docsgen.webapp) into the built site."""
    from pedcomm.docsgen import webapp

    try:
        webapp.build(config["site_dir"])
    except Exception as e:  # noqa: BLE001 - a site whose validator page cannot work must not be built
        raise PluginError(f"pedcomm.docsgen: could not build the browser validator: {type(e).__name__}: {e}") from e
