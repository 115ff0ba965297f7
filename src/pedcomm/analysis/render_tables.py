"""Write a Table as CSV (the numbers), Markdown, HTML (great-tables) and LaTeX (the manuscript view).

Every rendering is a pure function of the table, so two runs write identical files. Text that may
come from a package or a summary is made safe for each format (pedcomm.validation.render_safe): Markdown
escapes HTML and link syntax, the CSV defuses spreadsheet formulas; great-tables escapes HTML and
LaTeX itself.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from .. import standard
from ..validation.render_safe import Markdown, csv_frame, md
from .table import Table

__all__ = ["FORMATS", "Markdown", "markdown_table", "to_csv", "to_markdown", "write_table"]

FORMATS = ("csv", "md", "html", "tex")


def to_csv(table: Table) -> str:
    return csv_frame(table.data).to_csv(index=False, lineterminator="\n")


def _md_cell(value) -> str:
    return md(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured pipe table; cells are escaped (pedcomm.validation.render_safe.md) unless they are
    ``Markdown`` pedcomm wrote (links to its own files)."""
    head = "| " + " | ".join(_md_cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"


def to_markdown(table: Table) -> str:
    notes = "".join(f"- {md(n)}\n" for n in table.notes)
    return f"# {md(table.title)}\n\n{markdown_table(table.display)}\n{notes}"


def _gt(table: Table):
    from great_tables import GT

    gt = GT(table.display, id=table.name.replace("_", "-")).tab_header(title=table.title)
    for n in table.notes:
        gt = gt.tab_source_note(n)
    return gt


def to_html(table: Table) -> str:
    return _gt(table).as_raw_html(make_page=True)


def to_latex(table: Table) -> str:
    return _gt(table).as_latex()


RENDERERS = {"csv": to_csv, "md": to_markdown, "html": to_html, "tex": to_latex}


def write_table(table: Table, folder: Path) -> dict[str, str]:
    """Write every rendering of ``table`` into ``folder``; returns format -> file name."""
    names = {}
    # the renderings for people say which tool and standard made them (the CSV stays plain data)
    stamped = replace(table, notes=[*table.notes, f"Made with {standard.signature()}."])
    for ext in FORMATS:
        name = f"{table.name}.{ext}"
        text = RENDERERS[ext](table if ext == "csv" else stamped)
        (folder / name).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8", newline="")
        names[ext] = name
    return names
