"""What every layer may use of the package itself: the tool's version and the error of a broken installation.

The version is read from here by the build (pyproject.toml, ``[tool.hatch.version]``) and re-exported as
``pedcomm.__version__``. Kept apart from ``pedcomm/__init__.py`` so that no lower layer imports the
package root, which is the public facade (``pedcomm.load``) above every layer.
"""

__version__ = "0.1.0"


class StandardMissing(RuntimeError):
    """The standard's files are not where an installed or checked-out pedcomm keeps them (a broken install)."""
