"""Words for the variable names an analysis mentions: what the tables and notes people read show
instead of ``clinician_id`` or ``coding_patients.analytic_sample``.

The words come from one place, the standard's Table Schemas (each field's ``title``): a field that
several resources hold (``clinician_id`` is the clinicians' identifier and the relationships'
clinician) gets its shortest title ("Clinician"), which reads best in a sentence ("clustered by
clinician"); a name given with its resource (``coding_patients.analytic_sample``) is that field's
title in quotes ("'In the analytic sample'"). Only names with an underscore are variable-like; single words
(``sex``, ``died``) are
ordinary words already. Studies name their own terms (a model's covariates) with the labels of
their configuration; ``variable_names`` lists every name that must not reach a reader, for the test
that scans the outputs.
"""

from __future__ import annotations

import re
from functools import cache

from .. import standard

#: A variable-like name: lower-case words joined by underscores, optionally after ``resource.``.
_NAME = re.compile(r"(?<![\w.`/])((?:[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9]\.)?[a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w])")


def _sentence_case(title: str) -> str:
    """'Clinician' -> 'clinician'; 'HADS anxiety score' stays (an acronym keeps its capitals)."""
    first = title.split(" ", 1)[0]
    return title if len(first) > 1 and first[1].isupper() else title[:1].lower() + title[1:]


@cache
def _titles() -> tuple[dict[str, str], dict[str, str]]:
    """(field name -> shortest title over the schemas, 'resource.field' -> its title), in sentence case."""
    short: dict[str, str] = {}
    qualified: dict[str, str] = {}
    for resource in standard.resource_names():
        try:
            fields = standard.schema(resource)["fields"]
        except (OSError, ValueError, KeyError):
            continue
        for f in fields:
            title = f.get("title")
            if not title:
                continue
            words = _sentence_case(title)
            qualified[f"{resource}.{f['name']}"] = f"'{title}'"  # a named field: its title, quoted
            if f["name"] not in short or len(words) < len(short[f["name"]]):
                short[f["name"]] = words
    return short, qualified


def variable_names() -> set[str]:
    """Every schema field name with an underscore, and every ``resource.field``: none may be shown."""
    short, qualified = _titles()
    return {n for n in short if "_" in n} | set(qualified)


def words(name: str) -> str:
    """The words for one variable name (a field, or ``resource.field``); the name itself when unknown."""
    short, qualified = _titles()
    return qualified.get(name) or short.get(name) or name


def in_words(text: str) -> str:
    """``text`` with every schema field name it mentions replaced by the field's words."""
    short, qualified = _titles()

    def swap(m: re.Match) -> str:
        name = m.group(1)
        return qualified.get(name) or short.get(name) or name

    return _NAME.sub(swap, text)
