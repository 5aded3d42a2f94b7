"""Paper figures (``wordinfo.report.figures``): information over training, drawn from an epoch table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wordinfo.errors import WordinfoError
from wordinfo.report.figures import epoch_figure


def _table():
    """Two series, three epochs (given out of order), two layers; kept bits and their standard errors."""
    rows = []
    for s, series in enumerate(("sst2-lstm", "sst2-cnn")):
        for epoch in (10, 0, 2):
            for layer in (1, 2):
                rows.append({"series": series, "epoch": epoch, "layer": layer, "kept": 10 * s + epoch + layer,
                             "kept_se": 0.1 * layer, "solver_se": 0.05, "words": 14})
    return pd.DataFrame(rows)


def test_one_panel_per_series_one_line_per_layer_with_error_bars(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = epoch_figure(_table(), path=tmp_path / "fig" / "epochs.png", title="information over training")
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["sst2-lstm", "sst2-cnn"]
    for s, ax in enumerate(axes):
        _, labels = ax.get_legend_handles_labels()
        assert labels == ["layer 1", "layer 2"]
        assert len(ax.containers) == 2                                  # one errorbar line per layer
        for layer, bars in zip((1, 2), ax.containers):
            line, _, (spans,) = bars.lines
            assert list(line.get_xdata()) == [0, 2, 10]                 # in epoch order
            assert list(line.get_ydata()) == [10 * s + e + layer for e in (0, 2, 10)]
            heights = [float(np.ptp([p[1] for p in seg])) for seg in spans.get_segments()]
            assert heights == pytest.approx([0.2 * layer] * 3)          # +- one standard error
        assert list(ax.get_xticks()) == [0, 2, 10] and ax.get_xlabel() == "epoch"
    assert fig._suptitle.get_text() == "information over training"
    assert (tmp_path / "fig" / "epochs.png").read_bytes()[:4] == b"\x89PNG"
    plt.close(fig)


def test_bad_figure_requests_are_one_line(tmp_path):
    with pytest.raises(WordinfoError, match=r"\.png, \.svg or \.pdf"):
        epoch_figure(_table(), path=tmp_path / "epochs.gif")
    with pytest.raises(WordinfoError, match="no kept per epoch"):
        epoch_figure(_table().iloc[:0])
    assert not list(tmp_path.iterdir())
