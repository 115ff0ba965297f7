"""The one masking path has two statements, Python (pedcomm.validation.masking, for the hosts' own
findings) and SQL (the check engine's macros, run by the CLI and by the browser validator on
DuckDB-WASM): both must mask the same values.

The expected values of the first tests are written out by hand from the rules of issue 27 (a name
typed into an identifier, a code or a number field; an age over 89 with units or decimals); the
later tests compare the two statements on the same texts, curated and generated.
"""

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pedcomm import standard
from pedcomm.validation import masking
from pedcomm.validation.engine import sql as q


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("SET VARIABLE reveal = false")
    for s in q.prelude():
        c.execute(s)
    return c


def _sql(con, macro: str, texts: list[str]) -> list[bool]:
    return [r[0] for r in con.execute(f"SELECT {macro}(t) FROM unnest(?::VARCHAR[]) WITH ORDINALITY u(t, i) ORDER BY i",
                                      [texts]).fetchall()]


# -- known answers -------------------------------------------------------------------------------

PERSON = {"Jane_Doe": True, "Mary.Major": True, "DOE_Jane": True, "jane.doe": False, "P0001": False,
          "Иван Петров": True, "José Pérez": True, "S1": False, "parent_01": False, "Smith": False, "": False}
TYPED = {"Jane Doe": True, "Smith": True, "5-Mar": True, "jane doe": True, "female": False, "12": False,
         "3.5": False, "1900-01-04": False, "x": False, "": False}
OLD = {"95": True, "95.0": True, "95 years": True, "about 95": True, "89": False, "89.0": False,
       "12 years": False, "89,5": True, "abc": False, "": False}


@pytest.mark.parametrize("macro,python,answers", [
    ("pc_person", masking.named_like_a_person, PERSON),
    ("pc_typed_words", masking.typed_words, TYPED),
    ("pc_too_old", masking.over_age, OLD),
])
def test_each_rule_has_its_known_answers_in_python_and_in_sql(con, macro, python, answers):
    texts = list(answers)
    assert [python(t) for t in texts] == list(answers.values())
    assert _sql(con, macro, texts) == list(answers.values())


def _field_sql(con, fd: dict, texts: list[str]) -> list[bool]:
    """The field's decision as a report makes it: the flag a check stores, then the rules the render defers."""
    value = q.shown_fields("t", [q.sensitive(fd, "t")])
    return [r[0] for r in con.execute(f"SELECT x.s OR pc_deferred(x.p, x.t) FROM (SELECT {value} AS x, i "
                                      f"FROM unnest(?::VARCHAR[]) WITH ORDINALITY u(t, i)) ORDER BY i",
                                      [texts]).fetchall()]


def test_a_field_masks_names_typed_into_it_and_not_its_own_codes(con):
    parent_id = standard.field("survey_parents", "parent_id")
    education = standard.field("survey_parents", "education")
    visits = standard.field("survey_relationships", "prior_visits")
    texts = ["Jane_Doe", "P0001", "Jane Doe", "high_school", "High school", "NA", "5-Mar", "7"]
    assert _field_sql(con, parent_id, texts)[:3] == [True, False, True]
    assert [masking.field_sensitive(parent_id, t) for t in texts[:3]] == [True, False, True]
    # a code in another spelling ('High school') or a spelling of missing is shown (its hint says what to write)
    assert _field_sql(con, education, texts) == [True, False, True, False, False, False, True, False]
    assert _field_sql(con, visits, ["5-Mar", "7", "NA", "yes", "seven visits"]) == [True, False, False, False, True]


def test_an_age_field_masks_every_age_over_89_however_written(con):
    ages = [f for r in standard.resource_names() for f in standard.schema(r)["fields"]
            if masking.field_sensitive(f, "95 years") and not masking.field_sensitive(f, "12 years")
            and "pattern" not in f.get("constraints", {})]
    assert ages, "the standard has an age field"
    for fd in ages:
        assert _field_sql(con, fd, ["95 years", "95.0", "12 years", "12"]) == [True, True, False, False]


# -- the two statements agree --------------------------------------------------------------------

CORPUS = [*PERSON, *TYPED, *OLD, "ǅemal Bijedić", "straße", "STRASSE", "ß", "ｊａｎｅ ｄｏｅ", "李雷", "a1b2",
          "O'Brien", "van der Berg", "  Jane  ", "Jane\tDoe", "yes", "Checked", "TRUE", "n/a", "Unknown",
          "9" * 30, "x" * 41, "P" + "0" * 45, "1e5", "+95", "-95", "95yo", "٩٥", "Ⅻ years", "prefer not to say"]


@pytest.mark.parametrize("macro,python", [("pc_person", masking.named_like_a_person),
                                          ("pc_typed_words", masking.typed_words),
                                          ("pc_too_old", masking.over_age)])
def test_python_and_sql_agree_on_the_corpus(con, macro, python):
    assert _sql(con, macro, CORPUS) == [python(t) for t in CORPUS]


def test_every_standard_field_masks_the_same_values_in_python_and_in_sql(con):
    for resource in standard.resource_names():
        for fd in standard.schema(resource)["fields"]:
            texts = [*CORPUS, *map(str, fd.get("constraints", {}).get("enum", []))]
            assert _field_sql(con, fd, texts) == [masking.field_sensitive(fd, t) for t in texts], (resource, fd["name"])


ALPHABET = st.sampled_from(list("aZjD _.-,/019 ") + ["é", "É", "ß", "Ж", "ж", "李", "ǅ", "ʰ", "\t", "\n", "٩", "Ⅻ"])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=24))
def test_python_and_sql_agree_on_generated_texts(con, text):
    got = con.execute("SELECT pc_person(?), pc_typed_words(?), pc_too_old(?)", [text] * 3).fetchone()
    assert got == (masking.named_like_a_person(text), masking.typed_words(text), masking.over_age(text))


PATHS = ["/data/Jane_Doe/site1", "C:\\Users\\Mary.Major\\export\\pkg", "sites/SITE1.json", "call 617-555-0199/pkg",
         "pkg", "/tmp/x/Doe Jane.csv", "./a/b", "", "/", "rel/Émile Zola/pkg"]


def test_a_path_is_shown_the_same_way_in_python_and_in_sql(con):
    assert masking.path_shown("/data/Jane_Doe/site1") == "/data/J******* (8 characters, masked)/site1"
    got = [r[0] for r in con.execute("SELECT pc_path(t) FROM unnest(?::VARCHAR[]) WITH ORDINALITY u(t, i) ORDER BY i",
                                     [PATHS]).fetchall()]
    assert got == [masking.path_shown(p) for p in PATHS]
