"""Importing this module registers the checks of the import commands (REDCap, REFI-QDA)."""

from . import qda_import, redcap_import  # noqa: F401
