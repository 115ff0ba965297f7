"""Forest plot of reproduced against published odds ratios (PNG, SVG and PDF), written deterministically.

Uses matplotlib's object API with the Agg canvas (no pyplot, no display); the SVG ids are salted
with a fixed string and no creation date, software version or producer is stored in any format, so
two runs write identical files. Every figure of `pedcomm reproduce` and `pedcomm meta` is drawn in
``STYLE`` and written by ``save_figure``, which marks it SYNTHETIC when its input declares itself so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

HASH_SALT = "pedcomm"
#: matplotlib settings of every figure (inside ``matplotlib.rc_context``, around drawing and saving).
STYLE: dict[Any, Any] = {"svg.hashsalt": HASH_SALT, "svg.fonttype": "path", "font.family": "DejaVu Sans", "font.size": 9}


def new_figure(width: float, height: float):
    """A matplotlib Figure on the Agg canvas (no pyplot state, no display)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


#: Resolution of the PNG figures (journals ask for at least 300 dpi for line art with text).
PNG_DPI = 300
#: The formats every figure is written in, in this order (the file names ``save_figure`` returns).
FIGURE_FORMATS = ("png", "svg", "pdf")
SYNTHETIC_LABEL = "SYNTHETIC DATA: not research results"


def _footer(fig, note: str, synthetic: bool) -> None:
    """Room below the plot for the figure's note and the SYNTHETIC label, laid out together."""
    import textwrap

    height_pt = fig.get_figheight() * 72
    lines = textwrap.wrap(note, max(int(fig.get_figwidth() * 72 / 3.6), 40)) if note else []
    label_h = 16 / height_pt if synthetic else 0.0
    note_h = (len(lines) * 7 * 1.35 + 6) / height_pt if lines else 0.0
    fig.tight_layout(rect=(0, label_h + note_h + 0.01, 1, 1))
    if lines:
        fig.text(0.02, label_h + 0.008, "\n".join(lines), ha="left", va="bottom", fontsize=7, color="#333333",
                 linespacing=1.35)
    if synthetic:
        mark_synthetic(fig)


def mark_synthetic(fig) -> None:
    """Say SYNTHETIC in the image: a label at the foot, and a faint diagonal word across each plot
    area (not across colour bars). Leave room at the foot first (``_footer``)."""
    fig.text(0.5, 0.006, SYNTHETIC_LABEL, ha="center", va="bottom", fontsize=9, fontweight="bold", color="#b00020")
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        ax.text(0.5, 0.5, "SYNTHETIC", transform=ax.transAxes, ha="center", va="center", rotation=30,
                fontsize=44, fontweight="bold", color="#b00020", alpha=0.10, zorder=10)


def save_figure(fig, folder: Path, stem: str, *, synthetic: bool = False, note: str = "") -> list[str]:
    """Write ``stem``.png (``PNG_DPI``), ``stem``.svg and ``stem``.pdf without dates, software
    versions or producers, with ``note`` under the plot and marked SYNTHETIC when ``synthetic``;
    returns the file names in ``FIGURE_FORMATS`` order. Call inside ``matplotlib.rc_context(STYLE)``,
    after tight_layout."""
    if note or synthetic:
        _footer(fig, note, synthetic)
    png, svg, pdf = (folder / f"{stem}.{ext}" for ext in FIGURE_FORMATS)
    fig.savefig(png, dpi=PNG_DPI, metadata={"Software": None})
    fig.savefig(svg, metadata={"Date": None, "Creator": None})
    fig.savefig(pdf, metadata={"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None})
    return [png.name, svg.name, pdf.name]


@dataclass(frozen=True)
class ForestRow:
    label: str
    published: tuple[float, float, float]  # odds ratio, lower, upper
    reproduced: tuple[float, float, float] | None
    status: str


def forest_plot(rows: list[ForestRow], folder: Path, stem: str = "forest", title: str = "", *,
                synthetic: bool = False) -> list[str]:
    """Write ``stem``.png, .svg and .pdf into ``folder``; returns the file names."""
    import textwrap

    import matplotlib
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    with matplotlib.rc_context(STYLE):
        n = len(rows)
        fig = new_figure(8.5, 1.6 + 0.6 * max(n, 1))
        ax = fig.add_subplot(1, 1, 1)
        ax.set_xscale("log")
        for i, r in enumerate(rows):
            y = n - 1 - i
            o, lo, hi = r.published
            ax.errorbar([o], [y + 0.15], xerr=[[o - lo], [hi - o]], fmt="s", color="black", capsize=2.5,
                        markersize=5, label="Published" if i == 0 else None)
            if r.reproduced is not None:
                o, lo, hi = r.reproduced
                ax.errorbar([o], [y - 0.15], xerr=[[o - lo], [hi - o]], fmt="o", color="#1f77b4",
                            capsize=2.5, markersize=5, label="Reproduced" if i == 0 else None)
            ax.text(1.02, y, r.status, transform=ax.get_yaxis_transform(), va="center", fontsize=8)
        ax.axvline(1.0, color="grey", linewidth=0.8, linestyle="--")
        ax.set_yticks(range(n))
        ax.set_yticklabels([textwrap.fill(r.label, 38) for r in reversed(rows)])
        ax.set_ylim(-0.7, n - 0.3)
        lo = min([r.published[1] for r in rows] + [r.reproduced[1] for r in rows if r.reproduced] + [1.0])
        hi = max([r.published[2] for r in rows] + [r.reproduced[2] for r in rows if r.reproduced] + [1.0])
        ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if lo / 1.5 <= t <= hi * 1.5]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.set_xlabel("Odds ratio (95% CI, log scale)")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
        if title:
            fig.suptitle(title, x=0.02, ha="left", fontsize=10, fontweight="bold")
        fig.tight_layout()
        return save_figure(fig, folder, stem, synthetic=synthetic)
