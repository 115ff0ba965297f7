"""Check implementations. Importing this package registers every check with the registry."""

from . import structure, survey  # noqa: F401
