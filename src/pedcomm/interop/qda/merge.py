"""Bring a project's segments into an existing package without losing any.

The project replaces the segments of the discussions it codes (a source mapped to a discussion,
with at least one coded selection) and nothing else: the segments of every other discussion are
kept as they are, in their place. The import is refused (QDA_MERGE_REFUSED, nothing written) when
it would leave the package broken: a source mapped to a discussion the package does not list, or
kept segments coded with codes the project's codebook (which replaces the package's) no longer
has. What was added, replaced and kept is always reported (QDA_SEGMENTS_MERGED), and a discussion
left with fewer segments than it had is a warning (QDA_SEGMENTS_REDUCED).
"""

from __future__ import annotations

import pandas as pd

from ..display import listing
from .codebook import SOURCE


def assign_ids(rows: list[dict], taken: set[str]) -> int:
    """Give every row without a usable segment id a new one ('QDA000001', ...); returns how many."""
    used, n, assigned = set(taken), 0, 0
    for r in rows:
        sid = r.get("segment_id")
        if sid and sid not in used:
            used.add(sid)
            continue
        while True:
            n += 1
            sid = f"QDA{n:06d}"
            if sid not in used:
                break
        r["segment_id"] = sid
        used.add(sid)
        assigned += 1
    return assigned


def merge(old: pd.DataFrame | None, new: pd.DataFrame, coded: list[str], known_discussions: set[str] | None,
          codes: set[str], report) -> pd.DataFrame | None:
    """The package's segments with those of the ``coded`` discussions replaced by ``new``; None when refused."""
    old = old if old is not None else new.iloc[0:0]
    report.ran("QDA_MERGE_REFUSED", SOURCE, None, 1)
    problems = []
    if known_discussions is not None:
        unknown = [d for d in coded if d not in known_discussions]
        if unknown:
            problems.append(f"sources are mapped to {len(unknown)} discussions the package's coding_discussions does not "
                            f"list ({listing(unknown, private_values=False)})")
    kept = old[~old["discussion_id"].isin(coded)]
    orphans = kept[~kept["code_id"].isin(codes)]
    if len(orphans):
        problems.append(f"{len(orphans)} segments the import would keep (discussions the project does not code) use "
                        f"{orphans['code_id'].nunique()} codes the project's codebook lacks "
                        f"({listing(sorted(set(orphans['code_id'])), private_values=False)}), and the project's codebook "
                        "replaces the package's")
    if problems:
        report.add("QDA_MERGE_REFUSED", resource=SOURCE, field="coding_segments", detail="; ".join(problems))
        return None
    before = old.groupby("discussion_id", sort=False).size()
    after = new.groupby("discussion_id", sort=False).size()
    # kept rows stay where they are; a replaced discussion's new rows take the place of its first old row
    replacing = old["discussion_id"].isin(after.index).to_numpy()
    first = ~old["discussion_id"].duplicated().to_numpy()
    parts, run = [], []
    for i, disc in enumerate(old["discussion_id"]):
        if not replacing[i]:
            run.append(i)
            continue
        if first[i]:
            parts.append(old.iloc[run])
            parts.append(new[new["discussion_id"] == disc])
            run = []
    parts.append(old.iloc[run])
    parts.append(new[~new["discussion_id"].isin(old["discussion_id"])])
    merged = pd.concat(parts, ignore_index=True)
    replaced = [d for d in after.index if d in before.index]
    added = [d for d in after.index if d not in before.index]
    report.ran("QDA_SEGMENTS_MERGED", SOURCE, None, 1)
    done = []
    if added:
        done.append(f"{int(after[added].sum())} for {len(added)} discussions the package had no segments of")
    if replaced:
        done.append(f"{int(after[replaced].sum())} replacing the {int(before[replaced].sum())} segments of "
                    f"{len(replaced)} discussions")
    report.add("QDA_SEGMENTS_MERGED", resource=SOURCE, field="coding_segments",
               detail=(f"{len(new)} imported ({'; '.join(done)}); {len(kept)} segments of "
                       f"{kept['discussion_id'].nunique()} discussions the project does not code kept unchanged; "
                       f"{len(merged)} segments in all, {len(old)} before"))
    fewer = [d for d in replaced if after[d] < before[d]]
    report.ran("QDA_SEGMENTS_REDUCED", SOURCE, None, len(replaced))
    if fewer:
        report.add("QDA_SEGMENTS_REDUCED", resource=SOURCE, field="coding_segments",
                   detail=(f"{len(fewer)} discussions ({listing(fewer, private_values=False)}) now have "
                           f"{int(after[fewer].sum())} segments instead of {int(before[fewer].sum())}"))
    return merged
