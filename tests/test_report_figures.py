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


@pytest.fixture
def no_text_outside(monkeypatch):
    """save_figure checks, after saving, that every drawn text of the figure lies on the canvas."""
    real = F.save_figure
    checked = []

    def checking(fig, *args, **kwargs):
        paths = real(fig, *args, **kwargs)
        assert F.text_outside_canvas(fig) == [], paths[0].name
        checked.append(paths[0].name)
        return paths

    monkeypatch.setattr(F, "save_figure", checking)
    return checked


def test_text_outside_canvas_finds_clipped_labels():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))  # no constrained layout: the long label leaves the canvas
    ax.set_ylabel("a label far too long for a figure three inches wide " * 2)
    ax.text(1.5, 0.5, "beyond", transform=ax.transAxes)
    ax.set_xlim(0, 1)
    outside = F.text_outside_canvas(fig)
    assert any("far too long" in o for o in outside) and any("beyond" in o for o in outside)
    assert not any("'1.2'" in o for o in outside)  # ticks beyond the view limits are not drawn, not reported
    plt.close(fig)


def test_every_figure_builder(tmp_path, gdf, no_text_outside):
    rng = np.random.default_rng(0)
    table = vagg.data.load_seed_table1().set_index("adcode")
    values = table[["index_2011", "index_2020"]].set_axis([2011, 2020], axis=1)
    names = F.city_names(gdf)
    _check(F.save_figure(F.index_map(gdf, values, scheme="NaturalBreaks", names=names), tmp_path, "map"))
    grid = np.linspace(0, 100, 50)
    dens = pd.DataFrame({y: np.exp(-((grid - 30 - 5 * k) ** 2) / 200) for k, y in enumerate(range(2011, 2015))},
                        index=grid)
    _check(F.save_figure(F.ridge_densities(dens), tmp_path, "kde"))
    frame = pd.DataFrame({"I": rng.random(10), "p": rng.random(10)}, index=range(2011, 2021))
    _check(F.save_figure(F.lines_over_time(frame, ["I"], significance="p"), tmp_path, "moran"))
    shares = pd.DataFrame({"within": [0.2] * 3, "between": [0.6] * 3, "trans": [0.2] * 3}, index=[1, 2, 3])
    _check(F.save_figure(F.stacked_shares(shares, list(shares.columns)), tmp_path, "dagum"))
    labels = pd.Series(["HH"] * 5 + ["LL"] * 5 + ["ns"] * 11, index=gdf.index)
    _check(F.save_figure(F.category_map(gdf, labels, names=names), tmp_path, "lisa"))
    flows = pd.DataFrame(rng.random((21, 21)), index=gdf.index, columns=gdf.index)
    _check(F.save_figure(F.network_map(gdf, flows, top=10, names=names), tmp_path, "net"))
    eff = pd.DataFrame({"est": [0.1, -0.2], "lo": [0.0, -0.4], "hi": [0.2, 0.0]}, index=["direct", "indirect"])
    _check(F.save_figure(F.interval_plot(eff, "est", "lo", "hi"), tmp_path, "effects"))
    _check(F.save_figure(F.placebo_density(rng.normal(size=300), 2.5), tmp_path, "placebo"))
    curve = pd.DataFrame({"estimate": rng.normal(size=30), "outcome": rng.choice(["a", "b"], 30),
                          "treatment": rng.choice(["a rather long treatment construction name", "short"], 30)})
    curve["ci_low"], curve["ci_high"] = curve["estimate"] - 1, curve["estimate"] + 1
    _check(F.save_figure(F.specification_curve(curve, ["outcome", "treatment"], title="curve"), tmp_path, "curve"))
    _check(F.save_figure(F.share_bars(pd.Series([0.1, 0.3], index=["a", "b " * 30])), tmp_path, "shapley"))
    assert len(no_text_outside) == 10


def test_specification_curve_facets_outcomes_on_their_own_scales():
    # Known truth: two outcomes on scales 100x apart; each facet's y range must follow its own outcome.
    rng = np.random.default_rng(1)
    curve = pd.DataFrame({"estimate": np.r_[rng.normal(0.008, 0.001, 10), rng.normal(0.5, 0.1, 10)],
                          "outcome": ["synergy"] * 10 + ["construction_index"] * 10,
                          "controls": ["none", "controls"] * 10})
    curve["ci_low"], curve["ci_high"] = curve["estimate"] * 0.8, curve["estimate"] * 1.2
    fig = F.specification_curve(curve, ["outcome", "controls"], labels={"synergy": "Industrial synergy"})
    tops = fig.axes[:2]
    assert [ax.get_title() for ax in tops] == ["construction_index", "Industrial synergy"]
    assert tops[1].get_ylim()[1] < 0.02 < 0.4 < tops[0].get_ylim()[1]
    assert len(fig.axes[2].get_yticklabels()) == 2  # only "controls" levels: the facet is not a row


def test_simulated_mark_and_metadata(tmp_path, gdf):
    from PIL import Image

    for simulated in (True, False):
        fig = F.share_bars(pd.Series([0.1, 0.3], index=["a", "b"]), title="t")
        png, pdf = F.save_figure(fig, tmp_path, f"s{simulated}", simulated=simulated)
        texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
        assert (F.SIMULATED_MARK in texts) is simulated
        assert (b"SIMULATED" in pdf.read_bytes()) is simulated
        assert ("SIMULATED" in Image.open(png).text.get("Description", "")) is simulated
        assert F.text_outside_canvas(fig) == []


def test_city_names_in_chinese_with_a_cjk_font_or_a_clear_fallback(gdf, monkeypatch):
    import warnings

    english = F.city_names(gdf, "en")
    assert english.loc["440100"] == "Guangzhou"
    if F.cjk_font() is not None:  # Debian's fonts-noto-cjk, installed by .ci/run
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            chinese = F.city_names(gdf, "zh")
        assert chinese.loc["440100"] == gdf.loc["440100", "name_zh"] and not chinese.loc["440100"].isascii()
        fig = F.category_map(gdf, pd.Series(["ns"] * 21, index=gdf.index), names=chinese)
        families = {t.get_fontfamily()[0] for t in fig.axes[0].texts}
        assert families == {F.cjk_font()}
    monkeypatch.setattr(F, "cjk_font", lambda: None)
    with pytest.warns(UserWarning, match="no CJK font found"):
        fallback = F.city_names(gdf, "zh")
    assert fallback.equals(english)
    with pytest.raises(vagg.SpecificationError, match="'en' or 'zh'"):
        F.city_names(gdf, "fr")


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
    assert "SIMULATED" in text and "one line" in text
    assert "figures/missing.png" not in text and "src='data:image/png;base64,cG5n'" in text  # embedded


def test_index_map_fits_a_page_and_its_names_stay_legible(gdf):
    # Three years side by side drew a map 10.2 in wide, printed (report.pdf, a 7.2 in column) at 70%: city names set
    # at 4.5pt printed at 3.2pt.  Two maps a row (the legend in a spare panel) keep the figure within a page's width.
    import matplotlib.pyplot as plt

    table = vagg.data.load_seed_table1().set_index("adcode")
    names = F.city_names(gdf)
    for years in ([2020], [2011, 2015, 2020]):
        values = table[[f"index_{y}" for y in years]].set_axis(years, axis=1)
        fig = F.index_map(gdf, values, names=names, legend_label="Virtual agglomeration (classes)")
        width, _ = fig.get_size_inches()
        city_sizes = {t.get_fontsize() for ax in fig.axes for t in ax.texts if t.get_text() in set(names)}
        assert width <= 7.0 and min(city_sizes) >= 5.0, (years, width, city_sizes)
        assert sum(len(ax.texts) for ax in fig.axes) == len(years) * len(gdf)
        assert F.text_outside_canvas(fig) == [], years
        plt.close(fig)


def test_city_names_do_not_overlap(gdf):
    # adjustText moved overlapping names apart with too little room: on the LISA map "Jieyang" and "Shantou"
    # overlapped (text boxes intersecting); on the demo's flow maps they touched.
    import itertools

    import matplotlib.pyplot as plt

    names = F.city_names(gdf)
    categories = pd.Series(["HH"] * 5 + ["LL"] * 5 + ["ns"] * 11, index=gdf.index)
    flows = pd.DataFrame(np.random.default_rng(0).random((len(gdf), len(gdf))), index=gdf.index, columns=gdf.index)
    for fig in (F.category_map(gdf, categories, names=names), F.network_map(gdf, flows, names=names)):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for ax in fig.axes for t in ax.texts
                 if t.get_text() in set(names)]
        assert len(boxes) == len(gdf)
        assert [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)] == []
        plt.close(fig)
