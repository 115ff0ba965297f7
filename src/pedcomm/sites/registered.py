"""Importing this module registers the checks of the multi-site commands (pool, meta)."""

from . import meta, pool  # noqa: F401
