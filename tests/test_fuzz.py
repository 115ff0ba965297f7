"""Issue 27: the fuzz harness (tests/fuzzing.py) on every outside-facing reader, for a bounded number of
inputs per target in `make test` (PEDCOMM_FUZZ_EXAMPLES, 6 by default: about a minute in all);
`make fuzz` runs it for an hour (benchmarks/fuzz.py). Every mutated input must end in a valid
result or a coded finding, within the time limit, with nothing written outside the output."""

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from . import fuzzing

EXAMPLES = int(os.environ.get("PEDCOMM_FUZZ_EXAMPLES", "6"))


@pytest.fixture(scope="session")
def seeds(tmp_path_factory) -> Path:
    return fuzzing.make_seeds(tmp_path_factory.mktemp("fuzz") / "seeds")


def test_the_seeds_are_valid_inputs(seeds, tmp_path):
    """Unmutated, every target ends with a valid result (a codebook alone makes a package of shared
    definitions only, valid since the check engine: its site declaration is listed as not run):
    the harness mutates working inputs."""
    for name in fuzzing.BOUNDED:
        assert fuzzing.check(fuzzing.TARGETS[name], [], seeds, tmp_path / name) == 0, name


def test_the_mutations_change_their_input():
    data = b'{"a": [1, 2, {"b": "c"}], "d": "e"}\n'
    for kind in ("flip", "insert", "token", "cut", "truncate", "dup_chunk", "node"):
        assert fuzzing.mutate(data, [(kind, 5, b"\x01", b"]]>", [None])]) != data, kind
    csv = b"a,b\n1,2\n3,4\n"
    assert fuzzing.mutate(csv, [("cell", 1, b"x", b"NaN", None)]).count(b"NaN") == 1


@pytest.mark.parametrize("name", fuzzing.BOUNDED)
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(ops=fuzzing.mutations)
def test_a_mutated_input_gives_a_result_or_a_coded_finding(seeds, name, ops):
    with tempfile.TemporaryDirectory(prefix="pedcomm-fuzz-") as d:
        fuzzing.check(fuzzing.TARGETS[name], ops, seeds, Path(d) / "work")
