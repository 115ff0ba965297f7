"""SQL text the check engine is made of: quoting, the shared macros (the prelude) and the typed and
shown expressions of one field, all generated from their one home (the Table Schemas, the registry,
pedcomm.validation.identifiers, pedcomm.standard.cells).

Everything here is plain SQL of the DuckDB core (RE2 regular expressions, no extension, no Python
function), so the browser validator runs the same text on @duckdb/duckdb-wasm. Two session
variables set by the host shape every statement: ``getvariable('reveal')`` (--show-values) and
``getvariable('max_listed')`` (findings listed per check).
"""

from __future__ import annotations

import json
import re

from ...standard.cells import FALSE_VALUES, TRUE_VALUES
from .. import identifiers
from ..cast import DATE, INT64_MAX, INTEGER, LABEL_BOOLEANS, NA_SPELLINGS, NUMBER, TYPE_NAMES, in_words, is_free_text
from ..masking import MAX_SHOWN

#: The columns of the engine's results (pc.results), in order (docs/architecture.md, "The check engine").
RESULT_COLUMNS = ("kind", "code", "resource", "field", "row", "record", "value", "detail", "expected", "hint",
                  "who", "n", "checked", "failed", "reason")
#: A value on its way to a person: the text and how it is shown (s true: masked; false: through the
#: identifier screen; NULL: the check's own words, shown as they are). pc_render shows it. The rules that
#: need the costly word patterns (Unicode letter classes, about 5 ms to compile each time a statement
#: names them) are deferred to the render, which compiles them once: p lists texts masked when named
#: like a person (pc_person), t texts masked when they read like typed words (pc_typed_words).
SHOWN = "STRUCT(v VARCHAR, s BOOLEAN, p VARCHAR[], t VARCHAR[])"
SHOWN_COLUMNS = ("record", "value", "detail", "expected")
TYPES = {"row": "BIGINT", "checked": "BIGINT", "failed": "BIGINT", **{c: SHOWN for c in SHOWN_COLUMNS}}


def lit(value) -> str:
    """A SQL literal: text quoted, numbers as written, None as NULL, booleans as true/false."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier (a resource or column name)."""
    return '"' + str(name).replace('"', '""') + '"'


def list_lit(values) -> str:
    return "[" + ", ".join(lit(v) for v in values) + "]::VARCHAR[]"


def in_list(values) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def row(kind: str, **cols) -> str:
    """A SELECT list in the result shape: the named columns, NULL for the others."""
    out = []
    for c in RESULT_COLUMNS:
        if c == "kind":
            out.append(f"{lit(kind)} AS kind")
        else:
            out.append(f"CAST({cols.get(c, 'NULL')} AS {TYPES.get(c, 'VARCHAR')}) AS {c}")
    return ", ".join(out)


def results_table() -> str:
    cols = ", ".join(f"{c} {TYPES.get(c, 'VARCHAR')}" for c in RESULT_COLUMNS)
    return f"CREATE OR REPLACE TABLE pc.results (seq INTEGER, {cols})"


# -- the prelude: macros every statement may use ------------------------------------------------

#: Characters shown as visible escapes (pedcomm.validation.masking.neutralise), as an RE2 class.
CONTROL_CLASS = r"[\x00-\x1f\x7f-\x{9f}\x{61c}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}]"
#: What Python's str.strip() removes (Unicode whitespace), as an RE2 class.
SPACE_CLASS = r"[\t-\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"


#: A word of letters, two or more (masking.words); a capital letter; a lower-case one (masking._capital).
WORD = r"\pL{2,}"
#: Two words or more: the end of a word (two letters, then a non-letter), and later two letters.
TWO_WORDS = r"(?s)\pL{2}\PL.*\pL{2}"
#: A capitalised word: a capital (upper or title case) next to another letter, or a word of two
#: letters or more none of which is lower case (the letters of a script without case: '李雷').
CAPITALISED = r"\pL[\p{Lu}\p{Lt}]|[\p{Lu}\p{Lt}]\pL|(?:^|\PL)[\p{Lu}\p{Lt}\p{Lm}\p{Lo}]{2,}(?:\PL|$)"
#: A path's separators and the names between them; a file name's extension (masking.path_shown).
PATH_PART = r"[/\\]|[^/\\]+"
EXTENSION = r"\.[a-z0-9]{1,5}$"
#: A number in a text (masking.over_age): ASCII digits, a decimal point or comma.
AGE_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"


def _screen_any() -> str:
    return "|".join(f"(?:{p})" for _, p in identifiers.IDENTIFIER_PATTERNS)


def _kinds(expr: str) -> str:
    parts = ", ".join(f"CASE WHEN regexp_matches({expr}, {lit(p)}) THEN {lit(label)} END"
                      for label, p in identifiers.IDENTIFIER_PATTERNS)
    return f"concat_ws(' and ', {parts})"


def prelude() -> list[str]:
    """The macros (one statement each), created once per connection before any step."""
    oldest = identifiers.MAX_AGE
    return [
        # neutralise: control characters and bidirectional overrides as visible escapes
        f"""CREATE OR REPLACE MACRO pc_neutralise(s) AS CASE WHEN s IS NULL THEN NULL
            WHEN NOT regexp_matches(s, {lit(CONTROL_CLASS)}) THEN s
            ELSE array_to_string(list_transform(string_split(s, ''), c -> CASE
                WHEN regexp_full_match(c, {lit(CONTROL_CLASS)}) THEN
                  (CASE WHEN ord(c) < 256 THEN '\\x' || lpad(lower(hex(ord(c))), 2, '0')
                        ELSE '\\u' || lpad(lower(hex(ord(c))), 4, '0') END)
                ELSE c END), '') END""",
        # bounded: at most MAX_SHOWN characters (masking.bounded)
        """CREATE OR REPLACE MACRO pc_bounded(s, lim) AS CASE WHEN s IS NULL OR length(s) <= lim THEN s
            ELSE left(s, lim - 30) || '... (' || CAST(length(s) AS VARCHAR) || ' characters)' END""",
        # mask: the shape of a value without the value (masking.mask)
        """CREATE OR REPLACE MACRO pc_mask(s) AS CASE WHEN length(s) <= 1 THEN '*'
            ELSE pc_neutralise(left(s, 1)) || repeat('*', least(length(s) - 1, 8)) || ' ('
                 || CAST(length(s) AS VARCHAR) || ' characters, masked)' END""",
        # the identifier screen (identifiers.IDENTIFIER_PATTERNS): any hit, and the kinds found
        f"CREATE OR REPLACE MACRO pc_screen(s) AS coalesce(regexp_matches(s, {lit(_screen_any())}), false)",
        f"CREATE OR REPLACE MACRO pc_kinds(s) AS {_kinds('s')}",
        # a text holding a number older than the oldest age that may be shown (masking.over_age:
        # '95', '95.0', '95 years', 'about 95'); a number over 89 has two digits at least
        f"""CREATE OR REPLACE MACRO pc_too_old(s) AS coalesce(regexp_matches(s, '[0-9][0-9]') AND list_bool_or(list_transform(
            regexp_extract_all(s, {lit(AGE_NUMBER)}), n -> TRY_CAST(replace(n, ',', '.') AS DOUBLE) > {oldest})), false)""",
        # words of letters (masking.words), each rule one regular expression (one pass over the text):
        # two words or more; a capitalised word (masking._capital: a capital next to a letter, or a
        # word without a lower-case letter); named like a person (masking.named_like_a_person:
        # 'Jane_Doe') or typed by one (masking.typed_words: 'Smith', '5-Mar')
        f"CREATE OR REPLACE MACRO pc_words(s) AS regexp_extract_all(s, {lit(WORD)})",
        f"CREATE OR REPLACE MACRO pc_two_words(s) AS coalesce(regexp_matches(s, {lit(TWO_WORDS)}), false)",
        f"CREATE OR REPLACE MACRO pc_capitalised(s) AS coalesce(regexp_matches(s, {lit(CAPITALISED)}), false)",
        "CREATE OR REPLACE MACRO pc_person(s) AS pc_two_words(s) AND pc_capitalised(s)",
        "CREATE OR REPLACE MACRO pc_typed_words(s) AS pc_two_words(s) OR pc_capitalised(s)",
        # shown: the one masking path (masking.shown): masked when sensitive or screened, else bounded
        f"""CREATE OR REPLACE MACRO pc_show(s, sensitive) AS CASE WHEN s IS NULL THEN NULL
            WHEN NOT getvariable('reveal') AND (sensitive OR pc_screen(s)) THEN pc_mask(s)
            ELSE list_transform([pc_neutralise(s)], x -> pc_bounded(x, {MAX_SHOWN}))[1] END""",
        # a path fit to show (masking.path_shown: the package a report is about): each folder or file
        # name that the screen flags or that is named like a person (its extension aside) is masked
        f"""CREATE OR REPLACE MACRO pc_path(s) AS CASE WHEN s IS NULL THEN NULL
            WHEN getvariable('reveal') THEN pc_bounded(pc_neutralise(s), {MAX_SHOWN})
            ELSE pc_bounded(pc_neutralise(coalesce(array_to_string(list_transform(regexp_extract_all(s, {lit(PATH_PART)}),
                p -> CASE WHEN p IN ('/', '\\') THEN p
                          WHEN pc_screen(p) OR pc_person(regexp_replace(p, {lit(EXTENSION)}, '')) THEN pc_mask(p)
                          ELSE p END), ''), '')), {MAX_SHOWN}) END""",
        # a value on its way to a person (SHOWN), and how the three kinds are made
        "CREATE OR REPLACE MACRO pc_deferred(p, t) AS coalesce(list_bool_or(list_transform(p, e -> pc_person(e))), false) "
        "OR coalesce(list_bool_or(list_transform(t, e -> pc_typed_words(e))), false)",
        "CREATE OR REPLACE MACRO pc_render(x) AS CASE WHEN x.s IS NULL THEN x.v "
        "ELSE pc_show(x.v, x.s OR pc_deferred(x.p, x.t)) END",
        f"CREATE OR REPLACE MACRO plain(x) AS {shown('CAST(x AS VARCHAR)', 'false')}",
        f"CREATE OR REPLACE MACRO secret(x) AS {shown('CAST(x AS VARCHAR)', 'true')}",
        f"CREATE OR REPLACE MACRO words(x) AS {shown('CAST(x AS VARCHAR)', 'CAST(NULL AS BOOLEAN)')}",
        # Python's str.strip(): Unicode whitespace at both ends
        f"CREATE OR REPLACE MACRO pc_strip(s) AS regexp_replace(s, '^{SPACE_CLASS}+|{SPACE_CLASS}+$', '', 'g')",
        # format(float(v), 'g') of the coding rules ('blank' when missing)
        "CREATE OR REPLACE MACRO pc_num(v) AS CASE WHEN v IS NULL THEN 'blank' ELSE printf('%g', CAST(v AS DOUBLE)) END",
        # a nullable boolean as text ('true', 'false', 'blank')
        "CREATE OR REPLACE MACRO pc_bool(v) AS CASE WHEN v IS NULL THEN 'blank' WHEN v THEN 'true' ELSE 'false' END",
        # an integer cell (cast.INTEGER within int64) and its value
        # (a whole number as DuckDB writes it is one, without the regular expression: the common case)
        f"""CREATE OR REPLACE MACRO pc_int_ok(s) AS coalesce(CAST(TRY_CAST(s AS BIGINT) AS VARCHAR) = s, false)
            OR (regexp_full_match(s, {lit(INTEGER)}) AND length(s) <= 19 AND NOT (length(s) = 19 AND s > {lit(INT64_MAX)}))""",
        f"CREATE OR REPLACE MACRO pc_number_ok(s) AS regexp_full_match(s, {lit(NUMBER)}) AND isfinite(TRY_CAST(s AS DOUBLE))",
        f"CREATE OR REPLACE MACRO pc_date_ok(s) AS regexp_full_match(s, {lit(DATE)}) AND TRY_CAST(s AS DATE) IS NOT NULL",
        f"CREATE OR REPLACE MACRO pc_true(s) AS s IN {in_list(TRUE_VALUES)}",
        f"CREATE OR REPLACE MACRO pc_false(s) AS s IN {in_list(FALSE_VALUES)}",
    ]


# -- one field ----------------------------------------------------------------------------------

def missing(col: str, codes: dict[str, str]) -> str:
    """The cell holds no value: blank (or absent) or one of the resource's missing-value codes."""
    return f"({col} IS NULL OR {col} IN {in_list(list(codes) or [''])})"


def type_ok(col: str, type_: str) -> str:
    """The cell (not missing) reads as the field's type."""
    return {"integer": f"pc_int_ok({col})", "number": f"pc_number_ok({col})",
            "boolean": f"(pc_true({col}) OR pc_false({col}))", "date": f"pc_date_ok({col})",
            "string": "true"}[type_]


def typed(col: str, type_: str, codes: dict[str, str]) -> str:
    """The typed value of a cell: NULL when missing or unreadable (a bad cell is CELL_TYPE's finding)."""
    value = {"integer": f"CAST(ltrim({col}, '+') AS BIGINT)", "number": f"CAST({col} AS DOUBLE)",
             "boolean": f"pc_true({col})", "date": f"CAST({col} AS DATE)", "string": col}[type_]
    if type_ == "string":
        return f"CASE WHEN NOT {missing(col, codes)} THEN {col} END"
    if type_ == "integer":  # the common case first: a whole number as DuckDB writes it, read once
        return (f"CASE WHEN {col} IN {in_list(list(codes) or [''])} THEN NULL "
                f"WHEN CAST(TRY_CAST({col} AS BIGINT) AS VARCHAR) = {col} THEN TRY_CAST({col} AS BIGINT) "
                f"WHEN {type_ok(col, type_)} THEN {value} END")
    return f"CASE WHEN NOT {missing(col, codes)} AND {type_ok(col, type_)} THEN {value} END"


def sql_type(type_: str) -> str:
    return {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE", "string": "VARCHAR"}[type_]


def shown(text: str, flag: str, person: list[str] | None = None, typed: list[str] | None = None) -> str:
    """A SHOWN struct: the text, its flag, and the texts whose deferred word rules the render applies."""
    def texts(xs: list[str] | None) -> str:
        return f"[{', '.join(xs)}]::VARCHAR[]" if xs else "CAST(NULL AS VARCHAR[])"
    return f"struct_pack(v := {text}, s := {flag}, p := {texts(person)}, t := {texts(typed)})"


def sensitive(fd: dict | None, expr: str) -> tuple[str, str | None, str | None]:
    """When a value of the field is masked in every finding (masking.field_sensitive, the same rule
    in Python): free text; in an identifier field a value failing its pattern or named like a person;
    a value over 40 characters; in an age field a value holding an age over the oldest shown age;
    in a field of codes or of a type a value that reads like words a person typed, unless it is a
    code in another spelling or a spelling of missing or of true/false/yes/no.

    Returns the flag decided here, the text to test for a person's name and the text to test for typed
    words (None when the rule does not apply): those two are decided by the render (SHOWN's p and t)."""
    if fd is None:
        return "true", None, None
    c = fd.get("constraints", {})
    old = f" OR pc_too_old({expr})" if identifiers.is_age_field(fd["name"]) else ""
    if is_free_text(fd):
        return "true", None, None
    if "pattern" in c:
        return f"(NOT coalesce(regexp_full_match({expr}, {lit(c['pattern'])}), false){old})", expr, None
    typed = None
    if "enum" in c or fd.get("type", "string") != "string":
        codes = sorted({re.sub(r"[\t\n\f\r -]+", "_", str(x).strip().lower()) for x in c.get("enum", [])})
        spellings = sorted({x.lower() for x in (*TRUE_VALUES, *FALSE_VALUES, *LABEL_BOOLEANS)})
        known = f"{normalised_code(expr)} IN {in_list(codes)} OR " if codes else ""
        typed = (f"CASE WHEN coalesce(NOT ({known}regexp_full_match(pc_strip({expr}), {lit(NA_PATTERN)}) "
                 f"OR lower(pc_strip({expr})) IN {in_list(spellings)}), false) THEN pc_strip({expr}) END")
    return f"(length({expr}) > 40{old})", None, typed


def shown_fields(text: str, parts: list[tuple[str, str | None, str | None]]) -> str:
    """A SHOWN struct of a text made of one or more fields' values, each with its sensitive() rule."""
    flag = " OR ".join(f for f, _, _ in parts)
    return shown(text, flag, [p for _, p, _ in parts if p], [t for _, _, t in parts if t])


def show_macro(resource: str, fd: dict) -> str:
    """A value of one field on its way to a person: masked where the field says so (``sensitive``)."""
    return (f"CREATE OR REPLACE MACRO {show_name(resource, fd['name'])}(x) AS "
            f"{shown_fields('CAST(x AS VARCHAR)', [sensitive(fd, 'CAST(x AS VARCHAR)')])}")


def show_name(resource: str, field: str) -> str:
    """The macro showing a value of one field through the masking path: show__<resource>__<field>."""
    return f"show__{re.sub(r'[^A-Za-z0-9_]', '_', resource)}__{re.sub(r'[^A-Za-z0-9_]', '_', field)}"


# -- hints (cast.type_hint, cast.enum_hint) as CASE expressions ----------------------------------

#: Spellings of 'missing' (cast.NA_SPELLINGS), matched whole and regardless of case.
NA_PATTERN = "(?i)(?:" + NA_SPELLINGS.pattern.removeprefix("(?i)") + ")"
SCIENTIFIC = r"\d(\.\d+)?[eE]\+?\d+"
DATEISH = r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}-[A-Za-z]{3}(-\d{2,4})?|[A-Za-z]{3}-\d{1,2}"
THOUSANDS = r"\d{1,3}(,\d{3})+(\.\d+)?"
DECIMAL_COMMA = r"\d+,\d+"
POINT_ZERO = r"[+-]?\d+\.0+"


def _blank_or(codes: dict[str, str], labelled: bool) -> str:
    words = in_words(codes, labelled)
    return "leave the cell blank" + (f" or use {words}" if words else "")


def type_hint(col: str, type_: str, codes: dict[str, str]) -> str:
    s = f"pc_strip({col})"
    branches = [(f"regexp_full_match({s}, {lit(NA_PATTERN)})",
                 " Spellings of 'missing' such as NA are not missing-value codes here: "
                 f"{_blank_or(codes, labelled=True)}."),
                (f"{s} <> {col}", " It has spaces around it; remove them.")]
    if type_ in ("integer", "string"):
        branches.append((f"regexp_full_match({s}, {lit(SCIENTIFIC)})",
                         " This looks like Excel scientific notation (1.0E+05): format the column as text before saving "
                         "so identifiers and long numbers keep all digits."))
    branches.append((f"regexp_full_match({s}, {lit(DATEISH)})",
                     " Dates must be written YYYY-MM-DD." if type_ == "date"
                     else " This looks like a date: Excel may have turned a code or number into a date."))
    if type_ in ("integer", "number"):
        branches.append((f"regexp_full_match({s}, {lit(THOUSANDS)})", " Remove the thousands separators."))
    if type_ == "number":
        branches.append((f"regexp_full_match({s}, {lit(DECIMAL_COMMA)})", " Use a decimal point, not a decimal comma."))
    if type_ == "integer":
        branches.append((f"regexp_full_match({s}, {lit(POINT_ZERO)})",
                         " Whole numbers must not have decimals (a spreadsheet may have added '.0')."))
        branches.append((f"regexp_full_match({s}, {lit(NUMBER)})", " A whole number is expected here."))
    if type_ == "number":
        branches.append((f"regexp_full_match({s}, {lit(NUMBER)})", " The number is too large to represent."))
    if type_ == "boolean":
        branches.append(("true", " Use true or false."))
    return "CASE " + " ".join(f"WHEN {w} THEN {lit(t)}" for w, t in branches) + " ELSE '' END"


SPACES_HYPHENS = r"[\s-]+"


def normalised_code(expr: str) -> str:
    """A value spelled as a code might be: stripped, lower case, spaces and hyphens as '_'."""
    return f"regexp_replace(lower(pc_strip({expr})), {lit(SPACES_HYPHENS)}, '_', 'g')"


def enum_hint(col: str, codes_allowed: list, missing_codes: dict[str, str]) -> str:
    norm = normalised_code(col)
    said = " Did you mean '{}'? Codes must match exactly (case and spaces)."
    branches = [f"WHEN {norm} = {lit(str(c).lower())} THEN {lit(said.format(c))}" for c in codes_allowed]
    na = f"regexp_full_match(pc_strip({col}), {lit(NA_PATTERN)})"
    branches.append(f"WHEN {na} THEN {lit(' To record a missing value ' + _blank_or(missing_codes, labelled=False) + '.')}")
    return "CASE " + " ".join(branches) + " ELSE '' END"


def expected_type(type_: str) -> str:
    return TYPE_NAMES[type_]


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
