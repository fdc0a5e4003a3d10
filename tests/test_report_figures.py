"""Figures: every builder writes a 300 dpi PNG and a PDF; the HTML report links only existing files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

import vagg
from vagg.report import Report, Section, frame_table
from vagg.report import figures as F


@pytest.fixture(scope="module")
def gdf():
    return vagg.data.load_guangdong()


def _check(paths, width_inches_min=2.0):
    png, pdf = paths
    assert pdf.read_bytes()[:4] == b"%PDF"
    image = imread(png)
    assert image.shape[1] >= 300 * width_inches_min  # 300 dpi


def test_every_figure_builder(tmp_path, gdf):
    rng = np.random.default_rng(0)
    table = vagg.data.load_seed_table1().set_index("adcode")
    values = table[["index_2011", "index_2020"]].set_axis([2011, 2020], axis=1)
    _check(F.save_figure(F.index_map(gdf, values, scheme="NaturalBreaks"), tmp_path, "map"))
    grid = np.linspace(0, 100, 50)
    dens = pd.DataFrame({y: np.exp(-((grid - 30 - 5 * k) ** 2) / 200) for k, y in enumerate(range(2011, 2015))},
                        index=grid)
    _check(F.save_figure(F.ridge_densities(dens), tmp_path, "kde"))
    frame = pd.DataFrame({"I": rng.random(10), "p": rng.random(10)}, index=range(2011, 2021))
    _check(F.save_figure(F.lines_over_time(frame, ["I"], significance="p"), tmp_path, "moran"))
    shares = pd.DataFrame({"within": [0.2] * 3, "between": [0.6] * 3, "trans": [0.2] * 3}, index=[1, 2, 3])
    _check(F.save_figure(F.stacked_shares(shares, list(shares.columns)), tmp_path, "dagum"))
    labels = pd.Series(["HH"] * 5 + ["LL"] * 5 + ["ns"] * 11, index=gdf.index)
    _check(F.save_figure(F.category_map(gdf, labels), tmp_path, "lisa"))
    flows = pd.DataFrame(rng.random((21, 21)), index=gdf.index, columns=gdf.index)
    _check(F.save_figure(F.network_map(gdf, flows, top=10), tmp_path, "net"))
    eff = pd.DataFrame({"est": [0.1, -0.2], "lo": [0.0, -0.4], "hi": [0.2, 0.0]}, index=["direct", "indirect"])
    _check(F.save_figure(F.interval_plot(eff, "est", "lo", "hi"), tmp_path, "effects"))
    _check(F.save_figure(F.placebo_density(rng.normal(size=300), 2.5), tmp_path, "placebo"))
    curve = pd.DataFrame({"estimate": rng.normal(size=30), "outcome": rng.choice(["a", "b"], 30)})
    curve["ci_low"], curve["ci_high"] = curve["estimate"] - 1, curve["estimate"] + 1
    _check(F.save_figure(F.specification_curve(curve, ["outcome"]), tmp_path, "curve"))
    _check(F.save_figure(F.share_bars(pd.Series([0.1, 0.3], index=["a", "b"])), tmp_path, "shapley"))


def test_figure_refusals(gdf):
    values = pd.DataFrame({2011: np.arange(21.0)}, index=gdf.index)
    with pytest.raises(vagg.SpecificationError, match=r"no values for years \[2020\]"):
        F.index_map(gdf, values, years=[2020])
    with pytest.raises(vagg.SpecificationError, match="unknown mapclassify scheme 'Nope'"):
        F.index_map(gdf, values, scheme="Nope")
    with pytest.raises(vagg.SpecificationError, match=r"no colour for categories \['XX'\]"):
        F.category_map(gdf, pd.Series(["XX"] * 21, index=gdf.index))


def test_report_links_only_existing_figures(tmp_path):
    report = Report(title="t", simulated=True)
    report.add(Section("Data", reading="one line", tables=[frame_table(pd.DataFrame({"a": [1.0]}))],
                       figures=[("figures/missing.png", "x")]))
    with pytest.raises(FileNotFoundError, match="missing.png"):
        report.write(tmp_path / "report.html")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "missing.png").write_bytes(b"png")
    text = report.write(tmp_path / "report.html").read_text()
    assert "SIMULATED" in text and "figures/missing.png" in text and "one line" in text
