"""`pedcomm reproduce`: validate a package, then reproduce each study's published tables beside the
published numbers, written atomically into one folder.

Nothing is written when the package has errors, when no study can be reproduced, or when anything
fails on the way (pedcomm.files.outputs).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.compare import COLUMNS, Reproduced, Row, compare
from ..analysis.forest import FIGURE_FORMATS, ForestRow, forest_plot
from ..analysis.render_tables import write_table
from ..analysis.result import Options
from ..analysis.rounding import fmt
from ..analysis.table import Table
from ..files.inputs import package_files
from ..files.outputs import FOLDER, claim
from ..standard import is_synthetic
from ..validation.run import validate
from .index_html import index_html
from .index_page import index_markdown
from .outcome import NothingToReproduce, Outcome  # noqa: F401  (NothingToReproduce: what callers catch)


def comparison_table(rows: list[Row], titles: dict[str, str] | None = None) -> Table:
    """Every published target beside its reproduced value: the CSV keeps the machine keys (study,
    target) and adds the target's label and source; the renderings for people show the label, grouped
    by study (``titles``: study name -> its title), and the source."""
    titles = titles or {}
    data = pd.DataFrame([r.as_record() for r in rows], columns=COLUMNS)
    data.insert(2, "label", [r.target_spec.label for r in rows])
    data["source"] = [r.target_spec.source for r in rows]
    display = pd.DataFrame({
        "Study": [titles.get(r.study, r.study).split(":")[0] for r in rows],
        "Published number": [r.target_spec.label for r in rows],
        "Published": [r.published for r in rows],
        "Reproduced": [r.reproduced for r in rows],
        "Status": [r.status for r in rows],
        "Source": [r.target_spec.source for r in rows],
    }).astype(str)
    notes = ["Published and reproduced values at the published rounding (validation/targets.csv `decimals`); "
             "statuses are explained in index.md. Source: where the number is published. The CSV also gives each "
             "number's key in validation/targets.csv."]
    notes += [f"{r.target_spec.label}: {r.target_spec.note}" for r in rows if r.status == "published_inconsistent"]
    return Table("comparison", "Published and reproduced values", data, display, notes, group="Study")


def odds_ratio_rows(rows: list[Row]) -> list[Row]:
    return [r for r in rows if r.target_spec.statistic == "odds ratio"]


def _complete(v: Reproduced | None) -> tuple[float, float, float] | None:
    """A reproduced odds ratio with its CI (odds ratio, lower, upper), or None."""
    if v is None or v.value is None or v.ci_lower is None or v.ci_upper is None:
        return None
    return float(v.value), v.ci_lower, v.ci_upper


def odds_ratio_table(rows: list[Row]) -> Table:
    """Published and reproduced odds ratios with their CIs (the data of the forest plot)."""
    recs: list[dict[str, Any]] = []
    for r in odds_ratio_rows(rows):
        t, v = r.target_spec, _complete(r.value)
        recs.append({
            "study": r.study, "target": r.target, "model": t.model, "term": t.term, "label": t.note or t.term,
            "section": t.section,
            "published": t.published, "published_ci_lower": t.ci_lower, "published_ci_upper": t.ci_upper,
            "reproduced": None if v is None else round(v[0], 6),
            "reproduced_ci_lower": None if v is None else round(v[1], 6),
            "reproduced_ci_upper": None if v is None else round(v[2], 6),
            "relative_difference": None if v is None else round(v[0] / t.published - 1, 6),
            "status": r.status,
            "reproduced_ci_method": "" if v is None or r.value is None else (r.value.ci_method or ""),
        })
    data = pd.DataFrame(recs)

    def ci(o, lo, hi, d):
        return "" if o is None or pd.isna(o) else f"{fmt(o, d)} ({fmt(lo, d)}-{fmt(hi, d)})"

    display = pd.DataFrame({
        "Model": [r["section"] for r in recs],
        "Characteristic": [r["label"] for r in recs],
        "Published OR (95% CI)": [ci(r["published"], r["published_ci_lower"], r["published_ci_upper"], 2) for r in recs],
        "Reproduced OR (95% CI)": [ci(r["reproduced"], r["reproduced_ci_lower"], r["reproduced_ci_upper"], 2) for r in recs],
        "Difference": ["" if r["relative_difference"] is None else f"{100 * r['relative_difference']:+.1f}%" for r in recs],
        "Status": [r["status"] for r in recs],
    })
    notes = ["Difference: reproduced / published - 1, on the odds-ratio scale.",
             "Published 95% CIs: as printed (Wald, symmetric on the log scale). Reproduced 95% CIs: "
             + ("; ".join(sorted({r["reproduced_ci_method"] for r in recs if r["reproduced_ci_method"]})) or "none")
             + " (the CSV gives each row's method)."]
    data = data.drop(columns=["section"]) if "section" in data else data
    return Table("comparison_odds_ratios", "Published and reproduced odds ratios", data, display, notes, group="Model")


def _forest_rows(rows: list[Row]) -> list[ForestRow]:
    out = []
    for r in odds_ratio_rows(rows):
        t, rep = r.target_spec, _complete(r.value)
        if t.ci_lower is None or t.ci_upper is None:
            raise ValueError(f"the published odds ratio {r.target} has no confidence interval in targets.csv")
        out.append(ForestRow(f"{t.note or t.label} ({t.section[:1].lower() + t.section[1:]})",
                             (t.published, t.ci_lower, t.ci_upper), rep, r.status))
    return out


def reproduce(path: str | Path, out: str | Path, *, options: Options = Options(), force: bool = False,
              progress: Callable[[str], None] | None = None, config=None, protect=()) -> Outcome:
    """Validate ``path`` (with the site configuration ``config``, if any); if it has no errors,
    reproduce every study it holds into ``out``.

    Raises ValueError for an unknown option and pedcomm.files.outputs.OutputRefused for an output
    that touches the package (or ``protect``, the configuration's file), exists without ``force``
    or was not written by pedcomm (both before reading anything), NothingToReproduce when no
    study's resources are present. Returns an Outcome whose ``out`` is None when validation found
    errors (nothing is written).
    """
    from ..studies import registered

    registry = [s for s in registered() if s.reproduce is not None]
    for s in registry:
        s.check_options(options)
    with claim(out, kind=FOLDER, command="reproduce", force=force, protect=[*package_files(path), *protect]) as dest:
        return _reproduce(path, dest, options, progress, config, registry)


def _reproduce(path, dest, options, progress, config, registry) -> Outcome:
    say = progress or (lambda message: None)
    out = dest.given
    say("validating")
    validated = validate(path, progress=lambda m: say(f"validating: {m}"), config=config)
    outcome = Outcome(validated)
    if validated.report.exit_code != 0 or validated.package is None:
        return outcome
    present = validated.package.studies
    for s in registry:
        if s.name not in present:
            outcome.skipped.append(s.name)
            continue
        say(f"reproducing the {s.name} study")
        result = s.reproduce(validated.tables, options)
        outcome.results.append(result)
        outcome.comparison += compare(s.name, result.values)
    if not outcome.results:
        raise NothingToReproduce("the package holds the resources of none of the studies: "
                                 + ", ".join(s.name for s in registry))
    for name in sorted(present - {s.name for s in registry}):
        outcome.unimplemented.append(name)  # in the package, but no reproduction yet: say so
        outcome.comparison += compare(name, {})
    say("writing tables")
    titles = {s.name: s.title for s in registry}
    synthetic = is_synthetic(validated.package.descriptor)  # every table and figure then says so
    with dest.staging() as tmp:
        for result in outcome.results:
            for table in result.tables:
                outcome.files[table.name] = write_table(table, tmp, synthetic=synthetic)
            for figure in result.figures:
                say(f"drawing {figure.name}")
                outcome.files[figure.name] = dict(zip(FIGURE_FORMATS, figure.draw(tmp, synthetic)))
        outcome.files["comparison"] = write_table(comparison_table(outcome.comparison, titles), tmp, synthetic=synthetic)
        forest = _forest_rows(outcome.comparison)
        if forest:
            outcome.files["comparison_odds_ratios"] = write_table(odds_ratio_table(outcome.comparison), tmp,
                                                                  synthetic=synthetic)
            say("drawing the forest plot")
            outcome.files["forest"] = dict(zip(FIGURE_FORMATS, forest_plot(
                forest, tmp, title="Odds ratios: published and reproduced", synthetic=synthetic)))
        say("writing index.md and index.html")
        index = index_markdown(outcome, titles, str(path))
        (tmp / "index.md").write_text(index, encoding="utf-8", newline="")
        (tmp / "index.html").write_text(index_html(index), encoding="utf-8", newline="")
    outcome.out = out
    return outcome
