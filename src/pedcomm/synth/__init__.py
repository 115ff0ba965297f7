"""Seeded generators of SYNTHETIC example packages, calibrated to the published figures."""

from __future__ import annotations

from ..standard import SHIPPED_SEED  # noqa: F401  (the seed of the shipped example package)
from .write import write_package  # noqa: F401
