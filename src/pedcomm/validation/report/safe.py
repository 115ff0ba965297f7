"""Text made safe for the files people open: Markdown pages and CSV tables meant for spreadsheets.

Values in these files can come from a site's data (a code's definition, a site's name, a file
name) or from a site summary received from elsewhere. Every one of them is rendered through here:

- ``md``: Markdown inline text: control characters neutralised (pedcomm.validation.masking.neutralise),
  whatever could start HTML escaped (``<`` before a letter, ``/``, ``!`` or ``?``; ``&`` before a
  letter or ``#``: ``<script>`` shows as text, never runs in a Markdown viewer or a docs site,
  while ``<0.001`` stays as journals print it), link
  brackets, pipes and backslashes escaped, line breaks folded, so a value cannot open a link,
  break a table or inject markup;
- ``csv_frame``: a table for people whose text cells starting with a spreadsheet formula trigger
  (``=``, ``+``, ``-``, ``@``, a tab or a carriage return) get a leading apostrophe, so Excel or
  LibreOffice show them instead of evaluating them (OWASP's advice for CSV injection). Numbers,
  including negative ones, are left as they are.

Data packages (pedcomm.standard.writer) are never altered: they hold the data exactly; only the tables
written for reading are protected.
"""

from __future__ import annotations

import re

import pandas as pd

from ..masking import neutralise

_MD_SPECIAL = re.compile(r"([\\|\[\]`])")
#: What CommonMark may read as the start of raw HTML, an autolink or an entity (and nothing else).
_HTML_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_START = re.compile(r"&(?=[A-Za-z#])")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class Markdown(str):
    """Markdown pedcomm wrote itself (a link to one of its files): emitted as it is."""


def md(value) -> str:
    """Inline Markdown text showing ``value`` literally (a table cell, a list item)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, Markdown):
        return str(value)
    s = str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    s = _HTML_START.sub("&lt;", _ENTITY_START.sub("&amp;", neutralise(s)))
    return _MD_SPECIAL.sub(r"\\\1", s)


def csv_cell(value):
    """A cell of a table for people, defused if a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _NUMBER.fullmatch(value.strip()):
        return "'" + value
    return value


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell through ``csv_cell`` (column names too); numbers untouched."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(csv_cell, na_action="ignore")
    out.columns = [csv_cell(c) for c in out.columns]
    return out
