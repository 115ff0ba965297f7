"""Importing this module registers every check implementation with the registry, wherever it lives.

The one list of implementing modules, for what needs them all at once (`pedcomm selftest`, the
registry tests, the check catalogue); commands import only what they run.
"""

from . import checks  # noqa: F401  (the study rules)
from .analysis import clusters  # noqa: F401  (cluster counts of the analyses)
from .interop import registered as _interop  # noqa: F401  (REDCap and QDA imports)
from .sites import registered as _sites  # noqa: F401  (pooling, meta-analysis)
from .validation import config, declaration, identifiers, package, read, refusals, run, structure  # noqa: F401
