"""``Explanation.plot`` (``wordinfo.plotting``): a heatmap on matplotlib axes, saved as PNG."""

from __future__ import annotations

import pytest

# like every test of the adapters and explain: its own calibration cache, tmp_path / "cache"
pytestmark = pytest.mark.usefixtures("fresh_cache")


def test_plot_returns_axes_and_saves_png(explained, tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    try:
        ax = explained.plot()
        assert isinstance(ax, Axes)
        assert [t.get_text() for t in ax.get_xticklabels()] == explained.words()
        out = tmp_path / "heat.png"
        ax.figure.savefig(out)
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        ax2 = explained.plot(value="retained_bits")
        assert isinstance(ax2, Axes)
    finally:
        plt.close("all")
