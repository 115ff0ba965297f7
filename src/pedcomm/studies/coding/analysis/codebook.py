"""Coding study: the codebook (themes, their codes and definitions), marking what is illustrative.

The article's table of codes and definitions was not available: the themes' names are published,
the shipped code names and all definitions are illustrative (coding_codes.name_source).
"""

from __future__ import annotations

import pandas as pd

from ....analysis.compare import Reproduced
from ....analysis.table import Table
from .design import Coding, code_order

#: Marks an illustrative name or definition in the manuscript view.
MARK = "†"


def _text(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _marked(text: str, source) -> str:
    return f"{text} {MARK}" if text and _text(source) == "illustrative" else text


def codebook(c: Coding) -> tuple[Table, dict[str, Reproduced]]:
    """One row per theme followed by its codes; the codebook's size is a published target."""
    codes = c.codes.set_index("code_id").loc[code_order(c)].reset_index()
    rows = []
    for th in c.themes.itertuples(index=False):
        rows.append(("theme", th.theme_id, "", th.name, _text(th.definition), th.name_source,
                     _text(getattr(th, "definition_source", None))))
        for cd in codes[codes["theme_id"] == th.theme_id].itertuples(index=False):
            rows.append(("code", th.theme_id, cd.code_id, cd.name, _text(cd.definition), cd.name_source,
                         _text(getattr(cd, "definition_source", None))))
    data = pd.DataFrame(rows, columns=["level", "theme_id", "code_id", "name", "definition", "name_source",
                                       "definition_source"])
    is_theme = data["level"] == "theme"
    display = pd.DataFrame({
        "Theme": [_marked(n, s) if t else "" for n, s, t in zip(data["name"], data["name_source"], is_theme)],
        "Code": data["code_id"],
        "Code name": [_marked(n, s) if not t else "" for n, s, t in zip(data["name"], data["name_source"], is_theme)],
        "Definition": [_marked(d, s) for d, s in zip(data["definition"], data["definition_source"])],
    })
    n_codes, n_themes = int((~is_theme).sum()), int(is_theme.sum())
    illustrative = int(((~is_theme) & (data["name_source"] == "illustrative")).sum())
    notes = [
        f"{n_themes} themes and {n_codes} codes. {MARK} illustrative, not published: the name or definition is an "
        "example (name_source / definition_source 'illustrative'); unmarked names are the published ones.",
        f"{illustrative} of the {n_codes} code names are illustrative.",
    ]
    values = {"codebook.codes.n": Reproduced(len(c.codes)), "codebook.themes.n": Reproduced(len(c.themes))}
    return Table("coding_codebook", "Codebook: themes, codes and definitions", data, display, notes), values
