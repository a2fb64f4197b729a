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


REDRAW_PROBE = [
    "import matplotlib.pyplot as plt\nfrom paranalysis import style\nN = []\n\n"
    "@style.styled\ndef draw():\n    fig, ax = plt.subplots()\n    ax.plot([0, 1], [0, 1])\n"
    "    fig.suptitle('Tiếp nhận hồ sơ')\n    return fig",
    "fig = draw()\ncid = fig.canvas.mpl_connect('draw_event', lambda e: N.append('skipped'))",
    "style.skip_repl_redraw = lambda fig: None  # as before the change\n"
    "fig = draw()\ncid = fig.canvas.mpl_connect('draw_event', lambda e: N.append('drawn'))",
    "print(N.count('skipped'), N.count('drawn'))",
    "fig, ax = plt.subplots()\nline = ax.plot([1, 2])  # the user's own figure after the package's",
]


def test_inline_backend_draws_a_styled_figure_once_less_and_the_same(tmp_path, monkeypatch):
    """In a real notebook kernel (inline backend) a figure of the package is drawn for its PNG
    only: pyplot's end-of-cell redraw is skipped (3 drawings before, 2 now), and the PNG is
    byte for byte the one drawn before. A figure of the user's own after it is still shown."""
    import nbformat
    import papermill as pm

    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in REDRAW_PROBE]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    src, dst = tmp_path / "probe.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, src)
    pm.execute_notebook(str(src), str(dst), kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    cells = nbformat.read(dst, as_version=4).cells
    pngs = [[o["data"]["image/png"] for o in c.outputs if "image/png" in o.get("data", {})] for c in cells[1:3]]
    assert len(pngs[0]) == 1 and len(pngs[1]) == 1
    assert pngs[0] == pngs[1]
    assert cells[3].outputs[0]["text"].split() == ["2", "3"]
    # the package's first figure loaded the inline backend inside its style context: the
    # interactive mode it turned on survives the context, so the user's figure is shown too
    assert any("image/png" in o.get("data", {}) for o in cells[4].outputs)


def test_other_backends_keep_the_figure_stale():
    matplotlib.use("Agg")

    @style.styled
    def draw():
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        return fig

    fig = draw()
    assert fig.stale is True
    plt.close(fig)
    assert style._inline_backend("module://matplotlib_inline.backend_inline")
    assert style._inline_backend("inline") and not style._inline_backend("agg")


def test_caption_wraps_exactly_as_matplotlib_does():
    """The caption's bisection finds the same line breaks as matplotlib's word-by-word
    wrapping, on random Vietnamese and English captions, figure widths and font sizes."""
    import random

    from matplotlib.text import Text

    matplotlib.use("Agg")
    rng = random.Random(20261203)
    words = ("Tỷ lệ hồ sơ giải quyết đúng hạn trước hạn trễ hạn đơn vị xã phường huyện Nghệ An "
             "records resolved on time late share of units per quarter 95% CI (Wilson) n = 21 "
             "Spearman ρ = 0.10, p = 0.678 — this is a correlation between units, not evidence "
             "Đây là mô tả tương quan giữa các đơn vị, không phải bằng chứng nhân quả.").split()
    checked = 0
    for _ in range(60):
        fig = plt.figure(figsize=(rng.uniform(2.5, 12), 3))
        n = rng.randint(1, 90)
        text = " ".join(rng.choice(words) for _ in range(n))
        if rng.random() < 0.3:
            text = text.replace(" ", "\n", 1)
        t = fig.text(rng.choice([0.0, 0.1, 0.5]), -0.02, text, ha=rng.choice(["left", "center", "right"]),
                     fontsize=rng.choice([7, 8.5, 10, 12]), wrap=True, transform=fig.transFigure)
        fig.canvas.draw()  # a renderer, as at drawing time
        expected = Text._get_wrapped_text(t)
        t.__class__ = style._caption_class()
        assert t._get_wrapped_text() == expected
        checked += expected.count("\n") > 0
        plt.close(fig)
    assert checked >= 30  # most captions were really wrapped


def test_a_finished_figure_draws_the_same_png_with_the_bisection_caption():
    import io

    matplotlib.use("Agg")
    caption = ("Mỗi điểm là một đơn vị (nhãn: tên). Hệ số tương quan hạng Spearman ρ = 0.10, p = 0.678 "
               "(hoán vị ngẫu nhiên, 9.999 lần); n = 21. Đây là mô tả tương quan giữa các đơn vị, "
               "không phải bằng chứng nhân quả. ") * 2
    png = []
    for bisect in (False, True):
        with style.context():
            fig, ax = plt.subplots(figsize=(8, 4))
            ax.plot([0, 1, 2], [1, 3, 2])
            style.finish(fig, title="Thay đổi điểm", caption=caption, xlabel="x", ylabel="y")
        if not bisect:
            from matplotlib.text import Text

            for t in fig.texts:
                t.__class__ = Text
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        png.append(buf.getvalue())
        assert any(type(t).__name__ == ("Caption" if bisect else "Text") for t in fig.texts)
        plt.close(fig)
    assert png[0] == png[1]
