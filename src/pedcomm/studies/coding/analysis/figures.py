"""Coding-study figures (PNG, SVG and PDF): the theme co-occurrence heatmap and themes across the illness
course. Drawn and written like the forest plot (forest.STYLE, forest.save_figure), so two runs write
identical files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from ....analysis.forest import STYLE, new_figure, save_figure

#: Colour-blind-safe palette (Okabe-Ito), one colour per theme in codebook order.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def heatmap(percent: np.ndarray, counts: np.ndarray, labels: list[str], folder: Path, stem: str,
            title: str = "", *, synthetic: bool = False) -> list[str]:
    """A square heatmap of percentages (0-100) annotated 'n' over '(p%)'; returns the file names."""
    import matplotlib

    k = len(labels)
    with matplotlib.rc_context(STYLE):
        fig = new_figure(1.6 + 0.95 * k, 1.2 + 0.8 * k)
        ax = fig.add_subplot(1, 1, 1)
        image = ax.imshow(percent, cmap="Blues", vmin=0, vmax=100, aspect="equal", interpolation="nearest")
        for i in range(k):
            for j in range(k):
                dark = percent[i, j] >= 55
                ax.text(j, i, f"{int(counts[i, j])}\n({percent[i, j]:.0f}%)", ha="center", va="center", fontsize=7.5,
                        color="white" if dark else "black", fontweight="bold" if i == j else "normal")
        wrapped = [textwrap.fill(s, 12) for s in labels]
        ax.set_xticks(range(k))
        ax.set_xticklabels(wrapped, rotation=45, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(k))
        ax.set_yticklabels(wrapped)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03)
        bar.set_label("% of coded discussions with both themes (diagonal: with the theme)")
        if title:
            fig.suptitle(title, x=0.02, ha="left", fontsize=10, fontweight="bold")
        fig.tight_layout()
        return save_figure(fig, folder, stem, synthetic=synthetic)


def course_plot(series: dict[str, list[tuple[float, float, float]]], xlabels: list[str], folder: Path, stem: str,
                title: str = "", *, synthetic: bool = False, note: str = "") -> list[str]:
    """One line per theme: % of discussions with the theme at each ordered position, with its
    interval (``series``: theme -> (percent, lower, upper) per position; the themes' points are set
    side by side so the bars do not hide each other); ``note`` under the plot. Returns the file names."""
    import matplotlib

    x = np.arange(len(xlabels))
    k = max(len(series), 1)
    spread = min(0.5, 0.08 * k)
    with matplotlib.rc_context(STYLE):
        fig = new_figure(9.0, 5.6 if note else 5.0)  # the note takes the extra height
        ax = fig.add_subplot(1, 1, 1)
        for i, (name, values) in enumerate(series.items()):
            v = np.asarray(values, dtype="float64").reshape(-1, 3)
            y, lo, hi = v[:, 0], v[:, 1], v[:, 2]
            xs = x + (i - (k - 1) / 2) * (spread / max(k - 1, 1))
            colour = PALETTE[i % len(PALETTE)]
            ax.errorbar(xs, y, yerr=[np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)], fmt="none", ecolor=colour,
                        elinewidth=0.9, capsize=2, alpha=0.75)
            ax.plot(xs, y, marker=MARKERS[i % len(MARKERS)], color=colour, linewidth=1.4, markersize=5, label=name)
        ax.set_xticks(x)
        ax.set_xticklabels(xlabels)
        ax.set_xlim(-0.4, len(xlabels) - 0.6)
        ax.set_ylim(0, 105)
        ax.set_yticks(range(0, 101, 20))
        ax.set_ylabel("% of coded discussions with the theme")
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="Theme")
        if title:
            fig.suptitle(title, x=0.02, ha="left", fontsize=10, fontweight="bold")
        fig.tight_layout()
        return save_figure(fig, folder, stem, synthetic=synthetic, note=note)
