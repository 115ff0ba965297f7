"""Semantic rules of the survey study (Mack et al. 2021), written as SQL in checks.sql beside this
module and run by the check engine (pedcomm.validation.engine); registered here with the study's
constants they name."""

from __future__ import annotations

from pathlib import Path

from ...validation.engine.sql import lit
from ...validation.registry import sql_checks
from .rules import INSTRUMENT_OF

#: The SQL file of the rules.
RULES = Path(__file__).with_name("checks.sql")
#: The constants the rules name: which instrument each respondent answers (rules.INSTRUMENT_OF),
#: as the rows (respondent, instrument, order) of a VALUES list.
CONSTANTS = {"instrument_of": ", ".join(f"({lit(who)}, {lit(inst)}, {i})"
                                        for i, (who, inst) in enumerate(INSTRUMENT_OF.items(), start=1))}
CODES = sql_checks(RULES, CONSTANTS)
