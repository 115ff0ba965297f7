"""Write a Table as CSV (the numbers), Markdown, HTML (great-tables) and LaTeX (pedcomm.analysis.latex).

The renderings for people (Markdown, HTML, LaTeX) get the same title, notes and headers, in words
(variable names replaced by pedcomm.analysis.labels), with row groups where the table has them
(Table.row_group), marked SYNTHETIC in the title and the first note when the input package declares
itself synthetic, and stamped with the tool and standard that made them; the CSV keeps the data
only, with its machine column names.

Every rendering is a pure function of the table, so two runs write identical files. Text that may
come from a package or a summary is made safe for each format (pedcomm.validation.report.safe): Markdown
escapes HTML and link syntax, the CSV defuses spreadsheet formulas; great-tables escapes HTML and
LaTeX itself.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from .. import standard
from ..validation.report.safe import Markdown, csv_frame, md
from . import latex
from .labels import in_words
from .table import Table

__all__ = ["FORMATS", "Markdown", "SYNTHETIC_NOTE", "SYNTHETIC_TITLE", "for_readers", "markdown_table", "to_csv",
           "to_markdown", "write_table"]

FORMATS = ("csv", "md", "html", "tex")
#: How a table (title, first note) and a figure (a label in the image) made from a synthetic package say so.
SYNTHETIC_TITLE = "SYNTHETIC DATA"
SYNTHETIC_NOTE = ("SYNTHETIC DATA: the input package declares itself synthetic; no real person is in it and these "
                  "numbers are not research results.")


def for_readers(table: Table, synthetic: bool = False) -> Table:
    """The table as people read it: title, notes and headers in words; marked SYNTHETIC when the
    input is; row groups resolved (``group`` names the renamed column, or "" for none); stamped."""
    group = table.row_group()
    headers = {c: in_words(str(c)) for c in table.display.columns}
    title, notes = in_words(table.title), [in_words(n) for n in table.notes]
    if synthetic:
        title, notes = f"{SYNTHETIC_TITLE}: {title}", [SYNTHETIC_NOTE, *notes]
    notes.append(f"Made with {standard.signature()}.")
    return replace(table, title=title, notes=notes, display=table.display.rename(columns=headers),
                   group=headers[group] if group else "")


def to_csv(table: Table) -> str:
    return csv_frame(table.data).to_csv(index=False, lineterminator="\n")


def _md_cell(value) -> str:
    return md(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured pipe table; cells are escaped (pedcomm.validation.report.safe.md) unless they are
    ``Markdown`` pedcomm wrote (links to its own files)."""
    head = "| " + " | ".join(_md_cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"


def _grouped_rows(frame: pd.DataFrame, group: str) -> pd.DataFrame:
    """``frame`` without its group column, a bold row opening each group (Markdown has no row groups)."""
    rest = frame.drop(columns=[group])
    rows, last = [], None
    for label, row in zip(frame[group], rest.itertuples(index=False)):
        if label != last:
            last = label
            rows.append([Markdown(f"**{md(label)}**")] + [""] * (rest.shape[1] - 1))
        rows.append(list(row))
    return pd.DataFrame(rows, columns=rest.columns, dtype=object)  # object: keeps the Markdown cells Markdown


def to_markdown(table: Table) -> str:
    notes = "".join(f"- {md(n)}\n" for n in table.notes)
    body = _grouped_rows(table.display, table.group) if table.group else table.display
    return f"# {md(table.title)}\n\n{markdown_table(body)}\n{notes}"


def _gt(table: Table):
    from great_tables import GT

    gt = GT(table.display, groupname_col=table.group or None, id=table.name.replace("_", "-")).tab_header(title=table.title)
    for n in table.notes:
        gt = gt.tab_source_note(n)
    return gt


def to_html(table: Table) -> str:
    """great-tables' page, with the table's title as the page title and no favicon request."""
    import html

    page = _gt(table).as_raw_html(make_page=True)
    head = f'<head>\n<title>{html.escape(table.title)}</title>\n<link rel="icon" href="data:,">'
    return page.replace("<head>", head, 1)


def to_latex(table: Table) -> str:
    return latex.to_latex(table.title, table.display, table.notes, table.group or None)


RENDERERS = {"csv": to_csv, "md": to_markdown, "html": to_html, "tex": to_latex}


def write_table(table: Table, folder: Path, *, synthetic: bool = False) -> dict[str, str]:
    """Write every rendering of ``table`` into ``folder`` (the ones for people marked SYNTHETIC when
    ``synthetic``); returns format -> file name."""
    names = {}
    readable = for_readers(table, synthetic)
    for ext in FORMATS:
        name = f"{table.name}.{ext}"
        text = RENDERERS[ext](table if ext == "csv" else readable)
        (folder / name).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8", newline="")
        names[ext] = name
    return names
