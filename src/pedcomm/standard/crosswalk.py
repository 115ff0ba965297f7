"""The crosswalk format: a site's own fields and codes to the standard's, as a CSV file.

Its Table Schema (``schemas/crosswalk.json``, pedcomm.standard.CROSSWALK_SCHEMA) is the one place
the columns are declared; it is published with the resources' schemas (release, docs) but is not a
resource of a package. The REDCap and file imports read crosswalks with it
(pedcomm.interop.crosswalk), and the draft writes them with it.
"""

from __future__ import annotations

import copy
import json
from functools import cache

from . import CROSSWALK_SCHEMA

#: The columns a crosswalk cannot do without: which site field is which standard field.
KEY_COLUMNS = ("site_field", "standard_field")


@cache
def _schema() -> dict:
    return json.loads(CROSSWALK_SCHEMA.read_text(encoding="utf-8"))


def schema() -> dict:
    """The crosswalk's Table Schema (a fresh copy)."""
    return copy.deepcopy(_schema())


def columns() -> list[str]:
    """Every column a crosswalk may have, in the schema's order (the order a draft is written in)."""
    return [f["name"] for f in _schema()["fields"]]
