"""pedcomm: data standard, validator and reference analyses for pediatric-oncology communication research."""

__version__ = "0.1.0"
