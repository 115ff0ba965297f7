"""Digests of pedcomm's outputs, to show a restructuring changed no behaviour (issue 13).

Three outputs, each produced through the command line (the interface users see, which no internal
move changes):

- ``reproduce``: every file `pedcomm reproduce --out OUT` writes for the shipped package;
- ``synth``: every file `pedcomm synth all --seed 2021 --out OUT` writes;
- ``conformance``: the JSON validation report (`pedcomm validate pkg --format json`, run inside
  the case's working folder so the report names the package ``pkg``) of every conformance case.

``python tests/baseline/snapshot.py record`` writes ``digests.json`` beside this file (and the text
of reproduce's index.md, so a documented change to it can be read line by line);
``python tests/baseline/snapshot.py check`` recomputes everything and prints each difference.

Issue 17 changed the validation report on purpose (record ids, grouped hints, the checks that
could not run, table completeness, findings sorted by resource and row, the SITE_IDENTITY_EXAMPLE
check, foreign keys checked on tables missing other columns): the ``conformance`` digests were
re-recorded on that branch, after `snapshot.py check` showed that only they differed (the
``reproduce`` and ``synth`` digests are the ones recorded before issue 13).
RELATIONSHIP_VISIT_RATE became a warning (standard 0.2.0 may only add warnings): every survey report's
check list names its severity, so the conformance digests were re-recorded again at the merge.
Issue 28 changed two reproduce outputs on purpose and re-recorded the ``reproduce`` digests after
`snapshot.py check` showed only they differed: survey_models.csv gains the columns ``estimator``
and ``status`` (a separated term's bias-reduced fit, a term or model not estimated, with its code)
and its ``ci_method`` is written per row; the notes of coding_agreement (.md, .html, .tex) name the
Donner-Eliasziw interval used where coders never disagree. No number of the shipped package changed.
Issue 25 changed two reproduce outputs on purpose, and only them (`snapshot.py check` listed nothing
else): index.html keeps a phone's width (each table in a box that scrolls sideways, long words
wrap: its style and the table wrappers), and index.md's coding assumption names the fewest clusters
in words ("the fewest clusters pedcomm accepts, CLUSTERS_TOO_FEW" instead of "CLUSTERS_TOO_FEW's
minimum"); the reproduce digests were re-recorded on that branch.
Issue 23 (the check engine: every data check as SQL run by DuckDB) re-recorded the ``conformance``
digests after `snapshot.py check` showed that only they differed (``reproduce`` and ``synth`` are
byte-identical: the analyses read the same typed tables from the engine). What changed in the JSON
reports, on purpose: the order of ``checks`` (the engine's order: per table the screen and the
cell checks in Table Schema order, then the keys, the foreign keys, the studies' rules); a table
missing columns lists its key and the checks of each missing column as not run (``skipped``);
a code with spaces around it is no longer a "labels instead of codes" hint. Every finding (code,
table, column, row, record id, severity, shown value) is the same on every case
(benchmarks/compare_engines.py against the previous main).
Issue 27 masks, in a field of codes or of a type, a failing value that reads like words a person
typed (a capitalised word or two words): the one conformance report that changed is
``input-excel-date-in-integer``, whose value '5-Mar' (a day and a month, which Excel made of a
count) is now shown masked; the ``conformance`` digests were re-recorded after `snapshot.py check`
showed that only it differed. At the merge of the check engine (issue 23) into issue 27 the same rules
were ported to the engine's SQL masking macros and the same single report changed again the same way
(re-recorded after `snapshot.py check` listed only ``input-excel-date-in-integer``). (The markers'
digests, never compared, were left as they were: a
marker now carries a seal made with each user's own key.)
The calibration fix that makes the shipped example the same on every processor (a swap is kept only
when it lowers the loss by more than ``ACCEPT_MARGIN``) regenerated four survey tables: the ``synth``
and ``reproduce`` digests were re-recorded after `snapshot.py check` showed that only those four
tables and the survey's reproduced outputs differed (every ``conformance`` report was unchanged).
tests/test_baseline.py runs the same comparison in the test suite: reproduce and synth there, each
conformance case's report in tests/test_conformance.py (test_case_through_the_command_line).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DIGESTS = HERE / "digests.json"
INDEX = HERE / "reproduce-index.md"
#: Files whose content names where pedcomm keeps its sources, with each documented difference:
#: (file, text in the baseline, text now), each explained where it is added.
DOCUMENTED_CHANGES: list[tuple[str, str, str]] = [
    # issue 13: each study's analysis configuration moved into its study's folder; index.md names its path
    ("index.md", "(src/pedcomm/analysis/survey.yaml)", "(src/pedcomm/studies/survey/survey.yaml)"),
    ("index.md", "(src/pedcomm/analysis/coding.yaml)", "(src/pedcomm/studies/coding/coding.yaml)"),
    # issue 13, facts once: two actions name the fact they repeated from its one home (a registry
    # parameter; the missing-value codes of the Table Schema) instead of retyping it
    ("conformance", "each parent reported on 1 or 2 primary oncology clinicians.",
     "each parent reported on 1 to 2 primary oncology clinicians."),
    ("conformance", "(use a missing-value code such as -7 for refused)",
     "(an unanswered item takes a missing-value code: -7 refused, -8 don't know, -9 not applicable)"),
]
#: The marker lists the SHA-256 of every other file: it follows from them and is compared through them.
DERIVED = {".pedcomm-output.json"}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): _sha(p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _cli(*args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from pedcomm.cli import app

    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.stdout


def reproduce(out: Path) -> Path:
    code, output = _cli("reproduce", "--out", str(out))
    assert code == 0, output
    return out


def synth(out: Path) -> Path:
    code, output = _cli("synth", "all", "--seed", "2021", "--out", str(out))
    assert code == 0, output
    return out


def conformance_cases() -> list[dict]:
    from pedcomm.validation.conformance import cases

    return cases()


def conformance_report(case: dict, work: Path) -> bytes:
    """The JSON report of one case, validated as `pedcomm validate pkg --format json` in ``work``."""
    from pedcomm.validation.conformance import materialize

    materialize(case, work)
    with contextlib.chdir(work):
        _, output = _cli("validate", "pkg", "--format", "json")
    return output.encode("utf-8")


def conformance_digest(report: bytes) -> str:
    """The digest of one case's JSON report, as the baseline records it (documented changes undone)."""
    return _sha(as_baseline("conformance", report.decode()).encode())


def record_all(tmp: Path, conformance: bool = True) -> dict:
    """Every digest; without ``conformance`` only reproduce's and synth's (the test suite compares each
    case's report in tests/test_conformance.py, where the case is validated anyway)."""
    out = {"reproduce": files_digest(reproduce(tmp / "reproduce")),
           "synth": files_digest(synth(tmp / "synth")),
           "conformance": {}}
    for i, case in enumerate(conformance_cases() if conformance else []):
        work = tmp / "cases" / str(i)
        work.mkdir(parents=True)
        out["conformance"][case["id"]] = conformance_digest(conformance_report(case, work))
    out["index_md"] = (tmp / "reproduce" / "index.md").read_text(encoding="utf-8")
    return out


def as_baseline(part: str, text: str) -> str:
    """Today's output with each documented change of ``part`` undone (what the baseline's must equal)."""
    for name, before, now in DOCUMENTED_CHANGES:
        if name == part:
            text = text.replace(now, before)
    return text


def differences(now: dict, base: dict, parts: tuple[str, ...] = ("reproduce", "synth", "conformance")) -> list[str]:
    out = []
    for part in parts:
        a, b = now[part], base[part]
        for key in sorted(set(a) | set(b)):
            if key in DERIVED or (part == "reproduce" and key == "index.md"):
                continue
            if a.get(key) != b.get(key):
                out.append(f"{part}: {key}: {'missing now' if key not in a else 'new' if key not in b else 'differs'}")
    if as_baseline("index.md", now["index_md"]) != base["index_md"]:
        out.append("reproduce: index.md differs beyond the documented changes")
    return out


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="pedcomm-baseline-") as tmp:
        now = record_all(Path(tmp))
    if argv[1:] == ["record"]:
        index = as_baseline("index.md", now.pop("index_md"))  # stored as the comparison reads it: documented changes undone
        DIGESTS.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        INDEX.write_text(index, encoding="utf-8", newline="")
        print(f"recorded {sum(len(v) for v in now.values())} digests")
        return 0
    base = json.loads(DIGESTS.read_text(encoding="utf-8"))
    base["index_md"] = INDEX.read_text(encoding="utf-8")
    diffs = differences(now, base)
    for d in diffs:
        print(d)
    n = sum(len(now[k]) for k in ("reproduce", "synth", "conformance"))
    print(f"{n} outputs compared: {'identical' if not diffs else f'{len(diffs)} differ'}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
