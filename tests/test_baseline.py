"""Behaviour unchanged by the restructuring of issue 13: reproduce, synth all --seed 2021 and the JSON
report of every conformance case are byte-identical to the digests recorded before it began
(tests/baseline/digests.json, written by `python tests/baseline/snapshot.py record` on the tree
before the first move)."""

import json

from .baseline import snapshot


def test_outputs_are_byte_identical_to_the_recorded_baseline(tmp_path):
    """reproduce and synth (each conformance case's report: tests/test_conformance.py)."""
    base = json.loads(snapshot.DIGESTS.read_text(encoding="utf-8"))
    base["index_md"] = snapshot.INDEX.read_text(encoding="utf-8")
    now = snapshot.record_all(tmp_path, conformance=False)
    assert len(now["reproduce"]) == len(base["reproduce"]) > 50
    assert snapshot.differences(now, base, ("reproduce", "synth")) == []


def test_every_conformance_case_has_its_recorded_digest():
    from pedcomm.validation.conformance import cases

    base = json.loads(snapshot.DIGESTS.read_text(encoding="utf-8"))
    assert sorted(base["conformance"]) == sorted(c["id"] for c in cases()) and len(base["conformance"]) > 100


def test_the_comparison_sees_a_changed_byte():
    """The comparison can fail: one digest changed is reported."""
    base = json.loads(snapshot.DIGESTS.read_text(encoding="utf-8"))
    base["index_md"] = snapshot.INDEX.read_text(encoding="utf-8")
    now = json.loads(json.dumps(base))
    key = sorted(now["conformance"])[0]
    now["conformance"][key] = "0" * 64
    assert snapshot.differences(now, base) == [f"conformance: {key}: differs"]
