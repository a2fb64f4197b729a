"""One plotting style for every figure of the project (matplotlib).

The style is applied only inside the package's own plotting functions (``@styled``, a
``matplotlib.rc_context``): importing the package never changes the user's matplotlib
settings. ``with style.context(): ...`` draws a figure of one's own in the same style.

Every figure gets a title, axis labels with units, and a caption that doubles as alt
text (``fig.paranalysis_caption``), shown under the figure in notebooks and reports.
DejaVu Sans is used because it renders Vietnamese diacritics.
"""

from __future__ import annotations

import contextlib
import functools

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
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "savefig.bbox": "tight",
    "figure.constrained_layout.use": True,
}


def rc() -> dict:
    """The project's matplotlib settings (``RC`` and the palette as the colour cycle)."""
    from cycler import cycler

    return {**RC, "axes.prop_cycle": cycler(color=PALETTE)}


@contextlib.contextmanager
def context():
    """The project style for the figures drawn inside ``with context(): ...``; the
    user's matplotlib settings are back as they were afterwards. Matplotlib's interactive
    mode stays as it is at the end: a notebook's inline backend, loaded with the first
    figure (which may be drawn here), turns it on, and the user's own figures after it
    must still be shown."""
    import matplotlib

    with matplotlib.rc_context(rc()):
        try:
            yield
        finally:
            interactive = matplotlib.is_interactive()
    matplotlib.interactive(interactive)


def styled(func):
    """Draw the figures of ``func`` in the project style (see :func:`context`)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with context():
            fig = func(*args, **kwargs)
        freeze_date_ticks(fig)
        skip_repl_redraw(fig)
        return fig
    return wrapper


def skip_repl_redraw(fig) -> None:
    """Under a notebook's inline backend, every figure still open at the end of a cell is
    rendered once to PNG (matplotlib_inline); pyplot's own end-of-cell hook would first draw it
    once more, for a screen there is not, and throw the drawing away (a quarter of a notebook's
    time). A finished figure is marked up to date for that hook, under that backend only; the
    PNG is drawn as before."""
    import matplotlib

    if hasattr(fig, "stale") and _inline_backend(matplotlib.get_backend()):
        fig.stale = False


def _inline_backend(name: str) -> bool:
    return name == "inline" or name.endswith("matplotlib_inline.backend_inline")


def freeze_date_ticks(fig) -> None:
    """Fix the date ticks of a finished figure where matplotlib would choose them again at
    every drawing (its automatic date locator, costly on many small panels): the same
    ticks and labels, chosen once."""
    axes = getattr(fig, "axes", None)
    if not axes:
        return
    from matplotlib.dates import AutoDateLocator
    from matplotlib.ticker import FixedFormatter, FixedLocator

    for ax in axes:
        for axis in (ax.xaxis, ax.yaxis):
            loc = axis.get_major_locator()
            if isinstance(loc, AutoDateLocator):
                ticks = loc()
                labels = axis.get_major_formatter().format_ticks(ticks)
                axis.set_major_locator(FixedLocator(ticks))  # shared axes share it: set once
                axis.set_major_formatter(FixedFormatter(labels))


def apply_style() -> None:
    """Make the project style the session's matplotlib default (an explicit choice for
    one's own notebook; the package itself never calls it)."""
    import matplotlib

    matplotlib.rcParams.update(rc())


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
    fig._repr_mimebundle_ = functools.partial(_alt_text, caption)  # shown at a cell's end: the caption is its alt
    text = fig.text(0.0, -0.02, caption, ha="left", va="top", fontsize=8.5, wrap=True, color="#333333",
                    transform=fig.transFigure)
    text.__class__ = _caption_class()  # the same text, wrapped the same way, with fewer measurements
    return fig


def _alt_text(caption: str, include=None, exclude=None):
    """What a finished figure adds when a notebook shows it: no picture of its own (the
    backend draws the PNG), the caption as the PNG's alt text, which the report's page uses."""
    return {}, {"image/png": {"alt": caption}}


@functools.lru_cache(maxsize=1)
def _caption_class():
    """``matplotlib.text.Text`` whose wrapping (``wrap=True``) finds each line's break by
    bisection: the same lines as matplotlib's own word-by-word search, which measures every
    longer prefix of the line in turn (a caption cost a quarter of a second per figure)."""
    from matplotlib.text import Text

    class Caption(Text):
        def _get_wrapped_text(self):
            if not self.get_wrap() or self.get_usetex() or not hasattr(self, "_get_wrap_line_width"):
                return super()._get_wrapped_text()
            return "\n".join(wrap_lines(self.get_text(), self._get_wrap_line_width(),
                                         self._get_rendered_text_width))

    return Caption


def wrap_lines(text: str, line_width: float, width_of) -> list[str]:
    """The lines of ``text`` broken at spaces (and at its own newlines) so that each is at
    most ``line_width`` wide as measured by ``width_of`` (a line of one word may be wider):
    matplotlib's rule for wrapped text, each break found by bisection over the line's words
    (widths grow with every word added)."""
    lines = []
    for paragraph in text.split("\n"):
        words = paragraph.split(" ")
        while words:
            if len(words) == 1:
                lines.append(words.pop())
                continue
            lo, hi = 2, len(words) + 1  # the fewest words (at least 2) too wide together; hi: none is
            while lo < hi:
                mid = (lo + hi) // 2
                if width_of(" ".join(words[:mid])) > line_width:
                    hi = mid
                else:
                    lo = mid + 1
            if lo > len(words):
                lines.append(" ".join(words))
                words = []
            else:
                lines.append(" ".join(words[:lo - 1]))
                words = words[lo - 1:]
    return lines
