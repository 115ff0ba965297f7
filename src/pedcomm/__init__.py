"""pedcomm: data standard, validator and reference analyses for pediatric-oncology communication research."""

from ._base import StandardMissing, __version__

__all__ = ["StandardMissing", "__version__", "load"]


def load(path):
    """Validate a package and return its typed tables (dict of pandas DataFrames).

    Raises ``ValueError`` with the validation summary when the package has errors.
    """
    from .validation import validate

    result = validate(path)
    if result.report.status != "valid":
        counts = result.report.totals()
        raise ValueError(f"{path}: {counts['error']} validation errors; run `pedcomm validate {path}` for details")
    return result.tables
