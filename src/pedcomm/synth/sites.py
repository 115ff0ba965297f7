"""SYNTHETIC multi-site packages: K sites of one study, for demos and tests of pooling and meta-analysis.

Each registered study with a site generator (its record's ``generate_site``) can write sites: the
survey study draws each site from its model with realistic between-site differences, the coding
study runs its generator with each site's own seed. Every site is a complete package in
``OUT/<SITE_ID>/`` declaring its site id, so that ``pedcomm pool OUT/*`` and ``pedcomm summarize``
run on them as they would on real sites.
"""

from __future__ import annotations

from pathlib import Path

from .. import standard
from ..files.outputs import FOLDER, claim
from ..standard.writer import write_into

#: The most sites one run writes.
MAX_SITES = 99


def site_ids(k: int) -> list[str]:
    return [f"SITE{i}" for i in range(1, k + 1)]


def site_studies() -> list[str]:
    """The studies whose record has a site generator."""
    from ..studies import registered

    return [s.name for s in registered() if s.generate_site is not None]


def site_descriptor(study: str, site_id: str, names: list[str]) -> dict:
    return standard.build_descriptor(
        names, synthetic=True, name=f"pedcomm-synthetic-{study}-{site_id.lower()}",
        title=f"pedcomm synthetic {study} site {site_id} (SYNTHETIC data)",
        description=(f"One of several SYNTHETIC site packages of the {study} study written by `pedcomm synth "
                     f"{study} --sites`, for demonstrations and tests of pooling and meta-analysis. The sites "
                     "differ in size, case mix and baseline rates; they describe no real person or site."),
        site=site_id)


def write_sites(study: str, k: int, *, seed: int, out: str | Path, force: bool = False) -> list[Path]:
    """Write K synthetic site packages into OUT/<SITE_ID>/ (all at once); returns their folders."""
    from ..studies import get

    if study not in site_studies():
        raise ValueError(f"--sites is available for {', '.join(site_studies())}, not {study!r}")
    if not 1 <= k <= MAX_SITES:
        raise ValueError(f"--sites must be between 1 and {MAX_SITES}")
    generate_site = get(study).generate_site
    if generate_site is None:  # site_studies() lists only studies with one
        raise ValueError(f"the {study} study has no site generator")
    with claim(out, kind=FOLDER, command="synth", force=force) as dest, dest.staging() as tmp:
        for index, site_id in enumerate(site_ids(k), start=1):
            tables = generate_site(seed, index, site_id)
            names = [n for n in standard.resource_names() if n in tables]
            folder = tmp / site_id
            folder.mkdir()
            write_into(folder, tables, site_descriptor(study, site_id, names))
    return [Path(out) / s for s in site_ids(k)]
