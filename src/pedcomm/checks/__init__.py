"""Check implementations. Importing this package registers every check with the registry."""

from ..validation import structure  # noqa: F401
from . import survey
from . import coding  # noqa: F401  (after survey, so survey findings keep their order)
