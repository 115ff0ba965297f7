"""Forest plot of a meta-analysis: each site's odds ratio and the pooled one, term by term.

Written like pedcomm.analysis.forest: matplotlib's object API on the Agg canvas, fixed SVG hash
salt and no dates, so two runs write identical PNG, SVG and PDF files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..analysis.forest import HASH_SALT, save_figure


@dataclass(frozen=True)
class TermRows:
    label: str
    sites: list[tuple[str, float, float, float]]  # site, odds ratio, lower, upper
    pooled: tuple[float, float, float] | None  # random-effects odds ratio, lower, upper
    heterogeneity: str  # e.g. "I² 12%, τ² 0.010"


def meta_forest(terms: list[TermRows], folder: Path, stem: str, title: str, *, synthetic: bool = False) -> list[str]:
    """Write ``stem``.png, .svg and .pdf (pedcomm.analysis.forest.save_figure); returns the file names."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    rows = sum(len(t.sites) + 2 for t in terms)
    style: dict[Any, Any] = {"svg.hashsalt": HASH_SALT, "svg.fonttype": "path", "font.family": "DejaVu Sans", "font.size": 8}
    with matplotlib.rc_context(style):
        fig = Figure(figsize=(8.5, 1.2 + 0.2 * rows))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        ax.set_xscale("log")
        y, ticks, labels, xs = rows, [], [], [1.0]
        for t in terms:
            y -= 1
            ticks.append(y)
            labels.append(t.label)
            ax.text(1.01, y, t.heterogeneity, transform=ax.get_yaxis_transform(), va="center", fontsize=7)
            for site, o, lo, hi in t.sites:
                y -= 1
                ax.errorbar([o], [y], xerr=[[o - lo], [hi - o]], fmt="s", color="#555555", capsize=2, markersize=3.5)
                ticks.append(y)
                labels.append(f"    {site}")
                xs += [lo, hi]
            y -= 1
            if t.pooled is not None:
                o, lo, hi = t.pooled
                ax.fill([lo, o, hi, o], [y, y + 0.35, y, y - 0.35], color="#1f77b4")
                xs += [lo, hi]
            ticks.append(y)
            labels.append("    Pooled (random effects)" if t.pooled is not None else "    not pooled")
        ax.axvline(1.0, color="grey", linewidth=0.8, linestyle="--")
        ax.set_yticks(ticks)
        ax.set_yticklabels(labels)
        for tick, label in zip(ax.get_yticklabels(), labels):
            if not label.startswith(" "):
                tick.set_fontweight("bold")
        ax.set_ylim(-0.7, rows - 0.3)
        lo, hi = max(min(xs), 1e-3), min(max(xs), 1e3)
        xt = [v for v in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if lo / 1.5 <= v <= hi * 1.5]
        ax.set_xlim(lo / 1.2, hi * 1.2)
        ax.xaxis.set_major_locator(FixedLocator(xt))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticklabels([f"{v:g}" for v in xt])
        ax.set_xlabel("Odds ratio (95% CI, log scale)")
        fig.suptitle(title, x=0.02, ha="left", fontsize=10, fontweight="bold")
        fig.tight_layout()
        return save_figure(fig, folder, stem, synthetic=synthetic)
