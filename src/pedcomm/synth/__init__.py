"""Seeded generators of SYNTHETIC example packages, calibrated to the published figures."""

from __future__ import annotations

from pathlib import Path

from .write import write_package  # noqa: F401

#: The seed of the shipped example package (documented in the README and the docs).
SHIPPED_SEED = 2021
