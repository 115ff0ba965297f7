"""The one-stage estimate on pooled rows, to set beside the two-stage (meta-analytic) one.

Each survey model of survey.yaml on all sites' relationships at once, with the site as a fixed
effect (one indicator per site but the first: sites keep their own baseline odds, as they do when
each site fits its own model) and the same estimator and clustering as the site summaries. With
the same effects at every site, the two approaches estimate the same log odds ratios; they differ
by how they weight the sites.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SITE_PREFIX = "site_"


def site_indicators(sites: pd.Series, levels: list[str] | None = None) -> pd.DataFrame:
    """One 0/1 column per site except the first (in sorted order) of ``levels`` (by default the
    sites in ``sites``; a federated fit gives every site's id, since each site sees only its own)."""
    levels = sorted(sites.astype(str).unique() if levels is None else set(levels))
    return pd.DataFrame({f"{SITE_PREFIX}{s}": (sites.astype(str) == s).astype("float64") for s in levels[1:]})


def one_stage(tables: dict[str, pd.DataFrame], method: str | None = None, cluster: str | None = None,
              correction: str | None = None) -> pd.DataFrame:
    """Log odds ratios and standard errors of every covariate of both models, site-adjusted.

    Fitted as every model pedcomm shows (pedcomm.analysis.guarded.fit_guarded): a separated model by
    bias reduction, a model without events or a term the rows cannot estimate left as NaN. The
    ``status`` column says which; the findings that say why are in ``frame.attrs["findings"]``."""
    from ...analysis.guarded import fit_guarded
    from .analysis.design import analysis_frame, config, design
    from .analysis.models import ModelSettings

    settings = ModelSettings.from_config(method, cluster, correction)
    frame = analysis_frame(tables)
    rows, findings = [], []
    for name in config()["models"]:
        X, y, groups = design(frame, name)
        dummies = site_indicators(groups["site_id"])
        Xs = pd.concat([X, dummies.set_index(X.index)], axis=1)
        fit = fit_guarded(Xs, y, groups[settings.dimensions], model=name, method=settings.method,
                          correlation=settings.correlation, correction=settings.correction,
                          analysis=f"one-stage {name} model")
        findings.extend(fit.findings)
        coef, se = np.asarray(fit.coef, dtype=float), np.asarray(fit.se, dtype=float)
        for k, term in enumerate(Xs.columns):
            if term == "const" or term.startswith(SITE_PREFIX):
                continue
            status = ("not estimated" if not fit.fitted or term in fit.not_estimable
                      else "bias-reduced (separated)" if term in fit.separated
                      else "bias-reduced" if fit.bias_reduced else "fitted")
            rows.append({"model": name, "term": term, "log_or": coef[k], "se": se[k],
                         "n_relationships": len(y), "n_sites": groups["site_id"].nunique(), "status": status})
    out = pd.DataFrame(rows)
    out.attrs["findings"] = findings
    return out
