"""pedcomm: data standard, validator and reference analyses for pediatric-oncology communication research."""

__version__ = "0.1.0"


class StandardMissing(RuntimeError):
    """The standard's files are not where an installed or checked-out pedcomm keeps them (a broken install)."""


def load(path):
    """Validate a package and return its typed tables (dict of pandas DataFrames).

    Raises ``ValueError`` with the validation summary when the package has errors.
    """
    from . import checks  # noqa: F401  (registers the checks)
    from .validate import validate

    result = validate(path)
    if result.report.status != "valid":
        counts = result.report.totals()
        raise ValueError(f"{path}: {counts['error']} validation errors; run `pedcomm validate {path}` for details")
    return result.tables
