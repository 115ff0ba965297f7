"""Check implementations. Importing this package registers every check with the registry."""

from . import structure, survey  # noqa: F401
from . import coding  # noqa: F401  (after survey, so survey findings keep their order)
