"""The survey study's record: how the survey study (Mack et al. 2021) plugs into pedcomm."""

from __future__ import annotations

from pathlib import Path

from ..record import Study

HERE = Path(__file__).resolve().parent


def _checks():
    from . import checks

    return checks


def _rules():
    from . import rules

    return rules


def _reproduce(tables, options):
    from .analysis.run import run

    return run(tables, options)


def _check_options(options) -> None:
    from .analysis.run import check_options

    check_options(options)


def _generate(seed: int):
    from .synth import generate

    return generate(seed)


def _generate_site(seed: int, index: int, site_id: str):
    from .sites import survey_site

    return survey_site(seed, index, site_id)


def _synth_help() -> str:
    from ...standard.targets import count

    return (f"A synthetic survey-study package ({count('survey.parents.n')} parents, {count('survey.clinicians.n')} "
            f"clinicians, {count('survey.relationships.n')} relationships), or K synthetic sites.")


def _summary():
    from .summary import DEFINITION

    return DEFINITION


STUDY = Study(
    name="survey",
    prefix="survey_",
    title=("Survey study: Mack JW, et al. Parent and clinician perspectives on challenging parent-clinician "
           "relationships in pediatric oncology. JAMA Netw Open. 2021;4(11):e2132138."),
    definitions=("survey_items",),
    checks=_checks,
    rules=_rules,
    analysis_config=HERE / "survey.yaml",
    reproduce=_reproduce,
    check_options=_check_options,
    generate=_generate,
    generate_site=_generate_site,
    package=("pedcomm-example-survey", "pedcomm example package, survey study (SYNTHETIC data)"),
    synth_help=_synth_help,
    sites_help=("Write this many site packages (OUT/SITE1 ...) with realistic between-site differences, instead "
                "of one calibrated package."),
    summary=_summary,
)
