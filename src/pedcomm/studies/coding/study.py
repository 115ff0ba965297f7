"""The transcript-coding study's record: how the coding study (Kaye et al. 2021) plugs into pedcomm."""

from __future__ import annotations

from pathlib import Path

from ..record import Study

HERE = Path(__file__).resolve().parent


def _checks():
    from . import checks

    return checks


def _reproduce(tables, options):
    from .analysis.run import run

    return run(tables, options)


def _generate(seed: int):
    from .synth import generate

    return generate(seed)


def _generate_site(seed: int, index: int, site_id: str):
    """One synthetic coding site: the coding generator with the site's own seed."""
    from .synth import generate

    return generate(seed * 1000 + index)


def _synth_help() -> str:
    from ...standard.targets import count

    return (f"A synthetic transcript-coding package ({count('coding.dyads.enrolled.n')} dyads, "
            f"{count('coding.patients.analytic.n')} analysed, {count('coding.discussions.n')} discussions, "
            f"{count('coding.codebook.codes.n')} codes in {count('coding.codebook.themes.n')} themes), or K synthetic sites.")


def _summary():
    from .summary import DEFINITION

    return DEFINITION


STUDY = Study(
    name="coding",
    prefix="coding_",
    title=("Transcript-coding study: Kaye EC, et al. Facilitators associated with building and sustaining "
           "therapeutic alliance in advanced pediatric cancer. JAMA Netw Open. 2021;4(8):e2120925."),
    definitions=("coding_themes", "coding_codes"),
    checks=_checks,
    analysis_config=HERE / "coding.yaml",
    reproduce=_reproduce,
    generate=_generate,
    generate_site=_generate_site,
    package=("pedcomm-example-coding", "pedcomm example package, transcript-coding study (SYNTHETIC data)"),
    synth_help=_synth_help,
    summary=_summary,
)
