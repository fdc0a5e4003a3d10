"""Causal figures: each builder draws what it is given (checked on the axes) and saves a 300 dpi PNG and a PDF."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

import vagg
from vagg.report import figures_causal as FC
from vagg.report.figures import save_figure


def _saved(fig, tmp_path, name) -> None:
    png, pdf = save_figure(fig, tmp_path, name)
    assert pdf.read_bytes()[:4] == b"%PDF" and imread(png).shape[1] >= 600


def _table(shift: float) -> pd.DataFrame:
    k = np.arange(-3, 4)
    est = np.where(k >= 0, 1.0 + shift, 0.0)
    return pd.DataFrame({"estimate": est, "ci_low": est - 0.2, "ci_high": est + 0.2}, index=pd.Index(k,
                                                                                                   name="event_time"))


def test_event_study_plot_draws_every_estimator(tmp_path) -> None:
    fig = FC.event_study_plot({"TWFE": _table(0.0), "imputation": _table(0.5)}, title="policy")
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert len(lines) == 2
    np.testing.assert_allclose(np.asarray(lines[1].get_ydata(), dtype=float), _table(0.5)["estimate"])
    np.testing.assert_allclose(np.asarray(lines[0].get_xdata(), dtype=float), np.arange(-3, 4) - 0.125)  # offset side by side
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["TWFE", "imputation"]
    _saved(fig, tmp_path, "event_study")


def test_conditional_effect_plot_marks_points_in_range(tmp_path) -> None:
    z = np.linspace(0, 4, 41)
    curve = pd.DataFrame({"estimate": z - 2, "ci_low": z - 2.5, "ci_high": z - 1.5}, index=pd.Index(z, name="w"))
    fig = FC.conditional_effect_plot(curve, points=[1.5, 2.5, 9.0])
    ax = fig.axes[0]
    vertical = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert vertical == [1.5, 2.5]  # 9.0 is outside the observed range
    assert ax.get_xlabel() == "w"
    _saved(fig, tmp_path, "jn")


def test_bacon_plot_line_is_the_weighted_mean(tmp_path) -> None:
    comps = pd.DataFrame({"type": ["treated vs never treated", "later vs earlier treated"],
                          "estimate": [2.0, -1.0], "weight": [0.75, 0.25]})
    fig = FC.bacon_plot(comps)
    dashed = [line for line in fig.axes[0].get_lines() if line.get_linestyle() == "--"]
    assert dashed[0].get_ydata()[0] == pytest.approx(1.25)
    _saved(fig, tmp_path, "bacon")


def test_figures_refuse_missing_columns() -> None:
    with pytest.raises(vagg.SpecificationError, match="ci_low"):
        FC.event_study_plot(pd.DataFrame({"estimate": [1.0]}))
