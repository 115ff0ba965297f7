"""Multi-site work: site declarations and configurations, pooling rows, and privacy-preserving
site summaries combined by meta-analysis.

- ``declaration``: the site id and standard version a package declares (``pedcomm`` property).
- ``config``: a site's configuration (site.yaml): justified severity overrides.
- ``pool``: stack validated site packages into one pooled package.
- ``suppress``, ``summarize``: what a site may share instead of rows.
- ``meta``, ``onestage``: random-effects meta-analysis of the summaries; the one-stage check.
"""
