"""The transcript-coding study (Kaye et al. 2021) as one reproducible unit: validated tables in,
tables, figures and reproduced target values out."""

from __future__ import annotations

import pandas as pd

from ....analysis.agreement import KAPPA_CI
from ....analysis.clusters import check_clusters
from ....analysis.result import Options, StudyResult
from .agreement import agreement, agreement_findings
from .codebook import codebook
from .cohort import cohort
from .cooccurrence import cooccurrence
from .course import course
from .design import assumptions, config, frame, positions
from .discussions import discussions
from .frequencies import frequencies


def run(t: dict[str, pd.DataFrame], options: Options) -> StudyResult:
    c = frame(t)
    cohort_table, values = cohort(c)
    discussion_table, discussion_values = discussions(c)
    codebook_table, codebook_values = codebook(c)
    values |= discussion_values | codebook_values
    cooccurrence_table, heatmap = cooccurrence(c)
    course_table, course_plot = course(c)
    tables = [cohort_table, discussion_table, codebook_table, frequencies(c), cooccurrence_table, course_table,
              agreement(c)]
    cfg = config()
    shown = {
        "analysed population": f"{len(c.patients)} patients of the analytic sample ({cfg['population']['rule']}) "
                               f"of {len(c.enrolled)} enrolled; their {len(c.discussions)} recorded discussions",
        "analysed codings": f"each discussion's primary coder ({len(c.coded)} coded discussions, {len(c.segments)} "
                            "segments); the second coder's only for agreement",
        "illness course positions": "; ".join(positions().values()),
        "intercoder agreement": f"{len(c.double)} double-coded discussions; percent agreement and Cohen's kappa on "
                                f"presence per discussion ({KAPPA_CI}, {float(cfg['agreement']['level']):.0%}); "
                                "pooled kappa also with a design-based interval clustered by discussion; "
                                "span overlap as pooled intersection over union of seconds covered",
        "quartiles": f"{cfg['quartiles']['method']} interpolation between order statistics",
    }
    judged = check_clusters({"pooled intercoder kappa": {"discussion_id": len(c.double)}}) if len(c.double) else None
    findings = [] if judged is None else list(judged.findings)  # CLUSTERS_FEW, or TOO_FEW: interval not given
    findings += agreement_findings(tables[-1].data)  # AGREEMENT_DEGENERATE
    return StudyResult("coding", tables, values, shown, assumptions(), "src/pedcomm/studies/coding/coding.yaml",
                       [heatmap, course_plot], findings)

