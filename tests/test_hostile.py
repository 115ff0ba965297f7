"""Issue 16: a user's mistake never costs a site its data, under every command.

The command-level cases (validation/conformance/files/commands/*.yaml) run each writing and
reading command on prepared inputs: outputs aimed at inputs, existing, foreign and locked
outputs, special files and oversize files in every input role, invalid options. Each must end
with its code and exit status, without a traceback, with every input byte-identical and nothing
half-written (no temporary, no lock, no partial output).
"""

import time

import pytest

from pedcomm.commands.conformance import cases, run

CASES = cases()


def test_the_command_corpus_covers_every_writing_command():
    writers = {"reproduce", "synth", "export", "pool", "summarize", "meta", "validate", "redcap dictionary",
               "redcap import", "qda export-codebook", "qda export", "qda import"}
    overlap = {" ".join(c["run"][:2]) if c["run"][0] in ("redcap", "qda") else c["run"][0]
               for c in CASES if c["expect"] == "OUTPUT_OVERLAPS_INPUT"}
    assert writers - {"synth"} <= overlap, writers - overlap  # synth reads no input
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_command_case(case, tmp_path):
    started = time.monotonic()
    r = run(case["path"], tmp_path / "work")
    assert time.monotonic() - started < 30, "a command case must end within seconds"
    assert r.exit_code == case["exit"], r.output
    assert "Traceback" not in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    if case["expect"]:
        assert case["expect"] in r.codes(), r.output
    assert r.changed() == [], "an input changed"
    assert r.created() == [], "something was written where nothing should be"
    assert r.leftovers() == [], "a temporary or a lock was left behind"
    if case.get("secret"):  # the one masking path: no masked value in the output or in any file written
        assert case["secret"] not in r.output
        written = [v for rel, v in r.after.items() if r.before.get(rel) != v and isinstance(v, bytes)]
        assert not any(case["secret"].encode() in v for v in written)
