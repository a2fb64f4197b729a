"""One plotting style for every figure of the project (matplotlib).

Every figure gets a title, axis labels with units, and a caption that doubles as alt
text (``fig.paranalysis_caption``), shown under the figure in notebooks and reports.
DejaVu Sans is used because it renders Vietnamese diacritics.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg") if matplotlib.get_backend().lower() == "agg" else None
import matplotlib.pyplot as plt  # noqa: E402

PALETTE = ["#1f4e79", "#c0392b", "#2e8b57", "#d68910", "#7d3c98", "#5d6d7e", "#17a589", "#a04000"]
SYNTHETIC_COLOR = "#7f8c8d"
FACT_COLOR = "#c0392b"

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "savefig.bbox": "tight",
    "figure.constrained_layout.use": True,
}


def apply_style() -> None:
    """Apply the project style to matplotlib (idempotent)."""
    plt.rcParams.update(RC)


def finish(fig, *, title: str, caption: str, xlabel: str | None = None, ylabel: str | None = None, ax=None,
           shared: bool = False):
    """Give a figure its title, axis labels (with units) and a caption usable as alt text.
    ``shared=True`` (small multiples) writes the axis labels once for the whole figure."""
    ax = ax if ax is not None else (fig.axes[0] if fig.axes else None)
    fig.suptitle(title)
    if shared:
        if xlabel is not None:
            fig.supxlabel(xlabel, fontsize=10)
        if ylabel is not None:
            fig.supylabel(ylabel, fontsize=10)
    elif ax is not None:
        if xlabel is not None:
            ax.set_xlabel(xlabel)
        if ylabel is not None:
            ax.set_ylabel(ylabel)
    fig.paranalysis_title = title
    fig.paranalysis_xlabel = xlabel
    fig.paranalysis_ylabel = ylabel
    fig.paranalysis_caption = caption
    fig.text(0.0, -0.02, caption, ha="left", va="top", fontsize=8.5, wrap=True, color="#333333",
             transform=fig.transFigure)
    return fig


apply_style()
