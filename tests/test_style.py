"""The project's plot style is applied through a style context inside the package's own
plotting functions: importing the package, or drawing one of its figures, leaves the
user's matplotlib settings as they were."""

from __future__ import annotations

import json
import subprocess
import sys

import matplotlib
import matplotlib.pyplot as plt

from paranalysis import style

PROBE = """
import json, matplotlib
matplotlib.use("Agg")
keys = ["font.size", "axes.titleweight", "axes.spines.top", "axes.grid", "savefig.bbox",
        "figure.constrained_layout.use", "axes.prop_cycle"]
before = {k: str(matplotlib.rcParams[k]) for k in keys}
import paranalysis, paranalysis.style, paranalysis.plots, paranalysis.rankings, paranalysis.leadership
import paranalysis.overview, paranalysis.models.diagnostics, paranalysis.serviceindex.leadership
after = {k: str(matplotlib.rcParams[k]) for k in keys}
print(json.dumps({"changed": sorted(k for k in keys if before[k] != after[k])}))
"""


def test_importing_the_package_changes_no_matplotlib_setting():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"changed": []}


def test_style_context_applies_then_restores():
    matplotlib.use("Agg")
    with matplotlib.rc_context({"axes.spines.top": True, "font.size": 13.0}):
        with style.context():
            assert matplotlib.rcParams["axes.spines.top"] is False
            assert matplotlib.rcParams["font.size"] == 10
            fig, ax = plt.subplots()
        assert matplotlib.rcParams["axes.spines.top"] is True
        assert matplotlib.rcParams["font.size"] == 13.0
    assert ax.spines["top"].get_visible() is False
    plt.close(fig)


def test_styled_decorator_draws_in_style_and_restores():
    matplotlib.use("Agg")

    @style.styled
    def draw():
        fig, ax = plt.subplots()
        line, = ax.plot([0, 1], [0, 1])
        return fig, ax, line

    with matplotlib.rc_context({"axes.spines.right": True}):
        fig, ax, line = draw()
        assert matplotlib.rcParams["axes.spines.right"] is True
    assert ax.spines["right"].get_visible() is False
    assert matplotlib.colors.to_hex(line.get_color()) == style.PALETTE[0]
    plt.close(fig)


def test_date_ticks_chosen_once_draw_the_same_figure():
    """freeze_date_ticks keeps matplotlib's own choice of date ticks and labels (the PNG is
    byte for byte the same) and stops it choosing them again at every drawing."""
    import io

    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.dates import AutoDateLocator

    x = pd.period_range("2017Q1", "2026Q3", freq="Q").to_timestamp(how="start")

    def draw():
        with style.context():
            fig, axes = plt.subplots(2, 3, sharex=True, sharey=True)
            for i, ax in enumerate(axes.flat):
                ax.plot(x, [((j * (i + 3)) % 7) / 7 for j in range(len(x))])
        return fig

    plain, frozen = draw(), draw()
    style.freeze_date_ticks(frozen)
    assert all(not isinstance(ax.xaxis.get_major_locator(), AutoDateLocator) for ax in frozen.axes)
    assert [t.get_text() for t in frozen.axes[3].get_xticklabels()] == \
        [t.get_text() for t in plain.axes[3].get_xticklabels()]
    png = []
    for fig in (plain, frozen):
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        png.append(buf.getvalue())
        plt.close(fig)
    assert png[0] == png[1]
