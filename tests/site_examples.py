"""Builders of the coding site's example files in docs/examples/coding/ (shipped in the wheel; written by
`pedcomm example --out DIR` into DIR/site-files/coding/), for the coding site's guide.

``python -m tests.site_examples`` rewrites them; tests/test_site_examples.py checks that the committed files
are exactly what these builders make. A small transcript-coding site, as a site would have it:

- the five tables a site fills from the templates `pedcomm init` writes (patients, clinicians, coders,
  discussions, attendance), as plain CSV;
- its coded project as QualCoder writes a REFI-QDA export (lower-case ``sources/``, text files in
  UTF-8 with a byte-order mark, ``plainTextPath`` as the bare file name, selections named by their
  text, users by name), its sources named as the team named them, its transcripts with ``[hh:mm:ss]``
  stamps and speaker labels such as 'Dr. Lee';
- the three maps the site filled in (``maps/``) from the drafts `pedcomm qda maps` writes.

All of it is SYNTHETIC: made up for the example, no person's.
"""

from __future__ import annotations

import csv
import html
import io
import uuid
import zipfile
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[1] / "docs" / "examples" / "coding"
NS = "urn:QDA-XML:project:1.0"
DATE = (2025, 6, 2, 9, 0, 0)

PATIENTS = [
    ["patient_id", "sex", "race", "ethnicity", "age_years", "diagnosis_group", "projected_survival_50_or_less",
     "progressed", "analytic_sample", "died", "death_study_day"],
    ["PT01", "female", "white", "not_hispanic", "9", "solid", "true", "true", "true", "false", ""],
    ["PT02", "male", "black", "not_hispanic", "14", "cns", "true", "true", "true", "false", ""],
]
CLINICIANS = [["clinician_id", "role", "sex", "years_in_practice"],
              ["CL01", "oncologist", "female", "12"], ["CL02", "oncologist", "male", "6"]]
CODERS = [["coder_id", "discipline", "qualitative_years"], ["R1", "psychology", "8"], ["R2", "social_work", "4"]]
DISCUSSIONS = [
    ["discussion_id", "patient_id", "primary_oncologist_id", "study_day", "sequence", "setting", "duration_minutes",
     "disease_status", "primary_coder_id", "second_coder_id"],
    ["D01", "PT01", "CL01", "35", "1", "clinic", "12", "stable", "R1", "R2"],
    ["D02", "PT01", "CL01", "98", "2", "clinic", "10", "progression", "R1", ""],
    ["D03", "PT02", "CL02", "41", "1", "inpatient", "11", "response", "R2", ""],
]
ATTENDANCE = [["discussion_id", "role", "n_present"],
              ["D01", "patient", "1"], ["D01", "parent", "2"], ["D01", "primary_oncologist", "1"],
              ["D02", "parent", "1"], ["D02", "primary_oncologist", "1"], ["D02", "other_clinician", "1"],
              ["D03", "patient", "1"], ["D03", "parent", "1"], ["D03", "primary_oncologist", "1"]]

#: The recorded discussions as the team named them in QualCoder: discussion -> (source name, turns).
#: A turn: (seconds from the start, speaker label, text, [(words coded, code id, coder)...]).
TRANSCRIPTS = {
    "D01": ("Family meeting 1 - Jones", [
        (12, "Dr. Lee", "Thank you for coming in. How has the week been for Maya?", [("How has the week been", "HC01", "R1")]),
        (40, "Mom", "Tiring. She asked me again what the scan would show.", []),
        (95, "Dr. Lee", "The scan shows the tumour has not grown. That is good news, and I want to be clear about it.",
         [("the tumour has not grown", "HO01", "R1"), ("the tumour has not grown", "HO01", "R2")]),
        (180, "Maya", "So I can go back to school?", []),
        (205, "Dr. Lee", "We do not know yet how long this will last, but yes, school is a good plan.",
         [("We do not know yet", "HO02", "R1"), ("We do not know yet", "HO02", "R2")]),
        (330, "Dad", "That is a relief.", []),
    ]),
    "D02": ("Family meeting 2 - Jones", [
        (20, "Dr. Lee", "I have hard news today. The scan shows the tumour has grown.", [("the tumour has grown", "HO01", "R1")]),
        (75, "Mom", "What does that mean for her?", []),
        (120, "Dr. Lee", "I can see how frightening this is. We will go through the choices together.",
         [("I can see how frightening this is", "EM01", "R1"), ("We will go through the choices together", "PA01", "R1")]),
        (300, "Nurse Kim", "I will stay with you after the meeting for any questions.", [("I will stay with you", "PR01", "R1")]),
    ]),
    "D03": ("Ward round - Brown", [
        (8, "Dr. Ortiz", "Hi Sam, are you still beating everyone at chess?", [("still beating everyone at chess", "HU01", "R2")]),
        (30, "Sam", "Yes, I won twice yesterday.", []),
        (60, "Dr. Ortiz", "The treatment is working: the tumour is smaller on the scan.", [("the tumour is smaller", "HO01", "R2")]),
        (150, "Grandma", "Thank you for explaining it so clearly.", []),
    ]),
}
USERS = {"R1": ("Ana Silva", "0b9a7f0e-6f0c-4c55-9f0f-6a1c2f0f0a01"), "R2": ("Tom Berg", "0b9a7f0e-6f0c-4c55-9f0f-6a1c2f0f0a02")}
ROLES = {"Dr. Lee": "primary_oncologist", "Dr. Ortiz": "primary_oncologist", "Mom": "parent", "Dad": "parent",
         "Maya": "patient", "Sam": "patient", "Nurse Kim": "other_clinician", "Grandma": "other_family"}


def _guid(what: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pedcomm-site-example:{what}"))


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def _clock(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def transcript(turns) -> tuple[str, list[tuple[int, int, str, str]]]:
    """The text, and (start, end, code id, coder) of each coded span, in code points."""
    text, spans = "", []
    for at, who, said, coded in turns:
        head = f"[{_clock(at)}] {who}: "
        for words, code, coder in coded:
            a = len(text) + len(head) + said.index(words)
            spans.append((a, a + len(words), code, coder))
        text += head + said + "\n"
    return text, spans


def project() -> bytes:
    """The coded project as QualCoder exports it (see the module docstring)."""
    from pedcomm import standard
    from pedcomm.interop.package_io import read_text
    from pedcomm.interop.qda.codebook import code_elements, guid

    import xml.etree.ElementTree as ET

    example = standard.example_package()
    themes, codes = (read_text(example / "data" / f"{n}.csv") for n in ("coding_themes", "coding_codes"))
    book = ET.Element(f"{{{NS}}}Codes")
    code_elements(book, themes, codes, NS)
    ET.register_namespace("", NS)
    codes_xml = "".join(ET.tostring(el, encoding="unicode") for el in book).replace(f' xmlns="{NS}"', "")
    users = "".join(f'<User guid="{g}" name="{html.escape(n)}"/>' for n, g in USERS.values())
    sources, entries = [], {}
    for discussion, (name, turns) in TRANSCRIPTS.items():
        text, spans = transcript(turns)
        txt = f"{_guid('text:' + discussion)}.txt"
        entries[f"sources/{txt}"] = b"\xef\xbb\xbf" + text.encode("utf-8")
        sels = "".join(
            f'<PlainTextSelection guid="{_guid(f"sel:{discussion}:{k}")}" startPosition="{a}" endPosition="{b}" '
            f'name="{html.escape(text[a:b])}" creatingUser="{USERS[coder][1]}" creationDateTime="2025-06-02T09:00:00Z">\n'
            f'<Coding guid="{_guid(f"coding:{discussion}:{k}")}" creatingUser="{USERS[coder][1]}" >\n'
            f'<CodeRef targetGUID="{guid("code", code)}" />\n</Coding>\n</PlainTextSelection>\n'
            for k, (a, b, code, coder) in enumerate(spans))
        sources.append(f'<TextSource plainTextPath="{txt}" creatingUser="{USERS["R1"][1]}" '
                       f'creationDateTime="2025-06-01T10:00:00Z" guid="{_guid("source:" + discussion)}" '
                       f'name="{html.escape(name)}">\n{sels}</TextSource>\n')
    qde = (f'<?xml version="1.0" encoding="utf-8"?>\n<Project name="Reevaluation study" origin="QualCoder 3.6" '
           f'xmlns="{NS}">\n<Users>{users}</Users>\n<CodeBook><Codes>{codes_xml}</Codes></CodeBook>\n'
           f'<Sources>\n{"".join(sources)}</Sources>\n</Project>\n')
    entries = {"project.qde": qde.encode("utf-8"), **entries}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, data in entries.items():
            info = zipfile.ZipInfo(path, date_time=DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def maps() -> dict[str, bytes]:
    """The three maps, filled in by the site (the columns `pedcomm qda maps` drafts, blanks filled)."""
    labels = {}
    for _, (_, turns) in TRANSCRIPTS.items():
        for _, who, _, coded in turns:
            if coded:
                labels[who] = labels.get(who, 0) + len(coded)
    return {
        "maps/discussions.csv": _csv([["source", "discussion_id", "coded_selections"]]
                                     + [[name, d, str(len(transcript(t)[1]))] for d, (name, t) in TRANSCRIPTS.items()]),
        "maps/speakers.csv": _csv([["label", "role", "coded_selections"]]
                                  + [[who, ROLES[who], str(n)] for who, n in sorted(labels.items(), key=lambda kv: -kv[1])]),
        "maps/coders.csv": _csv([["user", "coder_id", "name", "codings"]]
                                + [[g, c, n, ""] for c, (n, g) in USERS.items()]),
    }


def files() -> dict[str, bytes]:
    out = {f"{name}.csv": _csv(rows) for name, rows in (
        ("coding_patients", PATIENTS), ("coding_clinicians", CLINICIANS), ("coding_coders", CODERS),
        ("coding_discussions", DISCUSSIONS), ("coding_attendance", ATTENDANCE))}
    out["project.qdpx"] = project()
    out.update(maps())
    return out


if __name__ == "__main__":
    for rel, data in files().items():
        (FOLDER / rel).parent.mkdir(parents=True, exist_ok=True)
        (FOLDER / rel).write_bytes(data)
        print(f"wrote {FOLDER / rel} ({len(data)} bytes)")
