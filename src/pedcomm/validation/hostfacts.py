"""What another host of the check engine needs beyond the plan: the facts the Python host reads from
its own modules (the standard's tables and studies, the shipped example's identity, input limits,
the registry-side texts of the renderings), as data.

The browser validator (web/, issue 24) reads them from the engine's export (``python -m
pedcomm.validation.engine.export``, key ``host``) instead of keeping copies, so the two hosts cannot
drift: a Table Schema, a size limit, a hint's wording or the verdict's advice changes here and in
the page at the same build. What the JavaScript host still writes itself (the texts of the
file-level findings, the HTML report's headings) is compared with this host's output on every
conformance case by tests/test_web_host.py.
"""

from __future__ import annotations

import json


def facts() -> dict:
    from .. import standard
    from ..files.inputs import ROLES
    from ..standard import declaration, links, studies
    from . import hints, identity, masking, read
    from .engine.runner import ENCODING_ERRORS, FORMAT_ERRORS
    from .engine.sql import RESULT_COLUMNS, SHOWN, SHOWN_COLUMNS
    from .package import DATA_FILES
    from .report import DEFAULT_MAX_LISTED, MAX_PARAM
    from .report.html import CSS
    from .report.render import VERDICT_ADVICE
    from .words import IRREGULAR

    example = standard.descriptor()
    return {
        # what every report records first, in its order: the tool and the standard versions
        "provenance": list(standard.provenance().items()),
        # every table of the standard, in the standard's order: its study and its Table Schema, as JSON
        # text (the export sorts keys; SCHEMA_MODIFIED compares a declared schema with the file's order)
        "resources": {name: {"study": standard.study_of(name),
                             "schema": json.dumps(standard.schema(name), ensure_ascii=False)}
                      for name in standard.resource_names()},
        "studies": [{"name": d.name, "prefix": d.prefix, "resources": standard.resource_names(d.name),
                     "definitions": list(d.definitions)} for d in studies.registered()],
        # SITE_IDENTITY_EXAMPLE: the shipped example's identity and the SHA-256 of its data files
        "example": {"site": declaration.read(example).site, "name": example.get("name"), "id": example.get("id"),
                    "description": example.get("description"), "synth_source": standard.SYNTH_SOURCE,
                    "sha256": identity.example_hashes()},
        "declaration": {"property": declaration.PROPERTY, "site_id": declaration.SITE_ID.pattern,
                        "semver": declaration.SEMVER.pattern, "version": declaration.standard_version()},
        "inputs": {role: {"name": r.name, "limit": r.limit} for role, r in ROLES.items()},
        "data_files": DATA_FILES,
        "read": {"max_header_bytes": read.MAX_HEADER_BYTES, "max_columns": read.MAX_COLUMNS,
                 "encoding_errors": list(ENCODING_ERRORS), "format_errors": FORMAT_ERRORS},
        "report": {"max_listed": DEFAULT_MAX_LISTED, "max_param": MAX_PARAM, "max_shown": masking.MAX_SHOWN,
                   "docs_url": links.DOCS_URL, "verdict_advice": VERDICT_ADVICE, "irregular": IRREGULAR,
                   "css": CSS},
        # the engine's result shape (pc.results), for the host's render query
        "results": {"columns": list(RESULT_COLUMNS), "shown_columns": list(SHOWN_COLUMNS), "shown": SHOWN},
        "hints": [[kind, title, action] for kind, (title, action) in hints.KINDS.items()],
    }
