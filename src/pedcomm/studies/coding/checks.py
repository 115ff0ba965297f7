"""Semantic rules of the transcript-coding study (Kaye et al. 2021), written as SQL in checks.sql
beside this module and run by the check engine (pedcomm.validation.engine); registered here with
the study's constants they name."""

from __future__ import annotations

from pathlib import Path

from ...validation.engine.sql import lit
from ...validation.registry import sql_checks

#: The role of a discussion's primary oncologist (coding_clinicians.role).
ONCOLOGIST_ROLE = "oncologist"
#: The SQL file of the rules.
RULES = Path(__file__).with_name("checks.sql")
CODES = sql_checks(RULES, {"oncologist_role": lit(ONCOLOGIST_ROLE)})
