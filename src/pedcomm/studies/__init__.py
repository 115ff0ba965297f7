"""The studies pedcomm knows: one registration line each.

Each line names a folder of this package whose ``study.py`` exports ``STUDY``, the study's record
(pedcomm.studies.record.Study). The order here is the order of every list of studies (validation,
reproduction, the docs). pyproject.toml's entry point ``pedcomm.studies`` names ``STUDIES``: that
is how the standard layer finds them without importing this layer (pedcomm.standard.studies).
"""

from .record import Study, get, load, registered

__all__ = ["STUDIES", "Study", "get", "registered"]

STUDIES = load(
    __name__,
    "survey",  # Mack et al. 2021: parents' and clinicians' surveys of their relationships
    "coding",  # Kaye et al. 2021: coded transcripts of disease-reevaluation discussions
)
