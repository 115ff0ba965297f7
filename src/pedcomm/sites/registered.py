"""Importing this module registers the checks of the multi-site commands (config, pool, meta)."""

from . import config, declaration, meta, pool  # noqa: F401
