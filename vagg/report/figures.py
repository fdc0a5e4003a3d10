"""Publication figures (matplotlib), one consistent style, saved as 300 dpi PNG and vector PDF.

Each function takes the tidy output of an analysis step, returns the
:class:`matplotlib.figure.Figure`, and leaves saving to :func:`save_figure`.
Every figure is drawn with constrained layout, so titles, tick labels, axis
labels and legends stay on the canvas (:func:`text_outside_canvas` checks
it); long labels are shortened through a label map and wrapped
(:func:`wrap`).  Maps name the cities (English, or Chinese with a CJK font,
:func:`cjk_font`), and a figure of simulated data carries a small
"SIMULATED DATA" mark (:func:`save_figure`).
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display is needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
import pandas as pd  # noqa: E402

from vagg._errors import SpecificationError  # noqa: E402

STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,
    "pdf.fonttype": 42,  # TrueType in the PDF: editable text, and CJK glyphs embed
}
PALETTE = ("#1b4f72", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#5d6d7e")
LISA_COLOURS = {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61", "LH": "#abd9e9", "ns": "#eeeeee"}
LISA_NAMES = {"HH": "High-High", "LL": "Low-Low", "HL": "High-Low", "LH": "Low-High", "ns": "not significant"}
#: the mark on every figure of simulated data
SIMULATED_MARK = "SIMULATED DATA"
#: CJK font families tried in order (Debian's fonts-noto-cjk first)
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "AR PL UMing CN")


@contextmanager
def style():
    """The vagg figure style as a matplotlib rc context."""
    with plt.rc_context(STYLE):
        yield


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of a font with Chinese glyphs, or None.

    Looks among matplotlib's known fonts, then registers the system's
    ``.ttc`` / ``.otf`` CJK collections (matplotlib does not list collections
    by itself), e.g. Debian's ``fonts-noto-cjk``.
    """
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    found = known()
    if found:
        return found
    for path in font_manager.findSystemFonts(fontext="ttf") + font_manager.findSystemFonts(fontext="otf"):
        lowered = path.lower()
        if any(key in lowered for key in ("cjk", "wqy", "wenquanyi", "sourcehan", "simhei", "yahei", "uming")):
            try:
                font_manager.fontManager.addfont(path)
            except (RuntimeError, OSError, ValueError):
                continue
    for path in Path("/usr/share/fonts").rglob("*CJK*.tt[cf]") if Path("/usr/share/fonts").is_dir() else []:
        try:
            font_manager.fontManager.addfont(str(path))
        except (RuntimeError, OSError, ValueError):
            continue
    return known()


def city_names(gdf, language: str = "en") -> pd.Series:
    """Display names of the cities: ``"en"`` (column ``name_en``) or ``"zh"`` (``name_zh``).

    Chinese names need a CJK font (:func:`cjk_font`); without one this warns
    and falls back to the English names (install Debian's ``fonts-noto-cjk``,
    or any font of :data:`CJK_FAMILIES`).
    """
    if language not in ("en", "zh"):
        raise SpecificationError(f"city name language must be 'en' or 'zh', got {language!r}")
    column = f"name_{language}"
    if column not in gdf.columns:
        raise SpecificationError(f"the boundaries have no column {column!r} for city names")
    if language == "zh" and cjk_font() is None:
        warnings.warn("no CJK font found (e.g. Debian's fonts-noto-cjk); maps name the cities in English",
                      stacklevel=2)
        column = "name_en"
    return gdf[column].astype(str)


def wrap(text: object, width: int = 22, labels: Mapping[str, str] | None = None) -> str:
    """The display label of ``text`` (through ``labels``), wrapped at ``width`` characters per line."""
    shown = str(labels.get(str(text), text)) if labels else str(text)
    return "\n".join(textwrap.wrap(shown, width=width, break_long_words=True)) or shown


def text_outside_canvas(fig: plt.Figure, tolerance: float = 1.0) -> list[str]:
    """The texts drawn on ``fig`` whose extent leaves the canvas (empty when all fit).

    Only texts that are actually drawn count (the renderer's ``draw_text`` is
    watched during one draw), so tick labels of a hidden axis or beyond the
    view limits are not reported.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)  # closed figures
    renderer = canvas.get_renderer()
    drawn = []
    original = renderer.draw_text

    def record(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if mtext is not None:
            drawn.append(mtext)
        return original(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    renderer.draw_text = record
    try:
        fig.draw(renderer)
    finally:
        del renderer.draw_text
    width, height = canvas.get_width_height()
    outside = []
    for artist in dict.fromkeys(drawn):
        if not artist.get_text().strip():
            continue
        box = artist.get_window_extent(renderer)
        if box.x0 < -tolerance or box.y0 < -tolerance or box.x1 > width + tolerance or box.y1 > height + tolerance:
            outside.append(f"{artist.get_text()!r} at ({box.x0:.0f}, {box.y0:.0f})-({box.x1:.0f}, {box.y1:.0f}) "
                           f"on a {width}x{height} canvas")
    return outside


def save_figure(fig: plt.Figure, folder: str | Path, name: str, dpi: int = 300,
                simulated: bool = False) -> list[Path]:
    """Write ``folder/name.png`` (``dpi``) and ``folder/name.pdf`` (vector); close the figure.

    With ``simulated`` a small "SIMULATED DATA" mark goes in the top right
    corner (the figure's ``suptitle``; its ``supxlabel``, bottom right, when
    it has a suptitle), so the layout keeps room for it, and into the files'
    metadata.  A text that leaves the canvas is a
    warning naming it.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if simulated:  # a figure-level label, so that constrained layout keeps room for it
        place = fig.suptitle if not fig.get_suptitle() else fig.supxlabel
        place(SIMULATED_MARK, x=0.995, ha="right", fontsize=6, color="#a04000", fontweight="bold")
    outside = text_outside_canvas(fig)
    if outside:
        warnings.warn(f"figure {name}: text outside the canvas: {outside}", stacklevel=2)
    paths = [folder / f"{name}.png", folder / f"{name}.pdf"]
    keywords = SIMULATED_MARK if simulated else ""
    fig.savefig(paths[0], dpi=dpi, metadata={"Title": name, **({"Description": keywords} if simulated else {})})
    fig.savefig(paths[1], metadata={"Title": name, **({"Subject": keywords, "Keywords": keywords} if simulated else {})})
    plt.close(fig)
    return paths


def label_cities(ax, gdf, names: pd.Series | None, fontsize: float = 5.0) -> None:
    """Write each city's name at a point inside its polygon (with a CJK font when the names need it).

    Overlapping names are moved apart by adjustText (deterministic), with a
    leader line to the city.
    """
    if names is None:
        return
    names = names.reindex(gdf.index).fillna("").astype(str)
    family = None
    if any(not n.isascii() for n in names):
        family = [f for f in (cjk_font(), "DejaVu Sans") if f]
    from adjustText import adjust_text

    points = gdf.geometry.representative_point()
    x, y = points.x.to_numpy(), points.y.to_numpy()
    texts = [ax.text(px, py, names[entity], ha="center", va="center", fontsize=fontsize, color="#1c2833",
                     family=family, clip_on=False,
                     bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.6})
             for entity, px, py in zip(points.index, x, y)]
    # move overlapping names apart (a thin leader line points to a moved name's city)
    adjust_text(texts, target_x=x, target_y=y, ax=ax, expand=(1.1, 1.3), ensure_inside_axes=True, iter_lim=250,
                arrowprops={"arrowstyle": "-", "color": "#566573", "linewidth": 0.3}, min_arrow_len=3)


def index_map(gdf, values: pd.DataFrame, years: Sequence[int] | None = None, k: int = 5,
              scheme: str = "Quantiles", title: str = "", legend_label: str = "index",
              names: pd.Series | None = None) -> plt.Figure:
    """Choropleth maps of a city-level value for chosen years, classes shared across years.

    Parameters
    ----------
    gdf
        GeoDataFrame indexed by entity id (e.g. :func:`vagg.data.load_guangdong`).
    values
        DataFrame indexed by entity with one column per year.
    scheme
        A mapclassify classifier name (``Quantiles``, ``NaturalBreaks``,
        ``EqualInterval``, ``FisherJenks``); classes come from the values of
        all shown years pooled, so colours mean the same in every panel.
    names
        City names to write on the maps (:func:`city_names`); None: no names.
    """
    import mapclassify

    years = list(values.columns if years is None else years)
    missing = [y for y in years if y not in values.columns]
    if missing:
        raise SpecificationError(f"no values for years {missing}")
    absent = sorted(set(gdf.index) - set(values.index))
    if absent:
        raise SpecificationError(f"no values for entities {absent[:10]}")
    pooled = values[years].to_numpy(dtype=float).ravel()
    try:
        classifier = getattr(mapclassify, scheme)(pooled, k=k)
    except AttributeError as exc:
        raise SpecificationError(f"unknown mapclassify scheme {scheme!r}") from exc
    bins = np.asarray(classifier.bins)
    cmap = plt.get_cmap("YlGnBu", len(bins))
    # two maps a row: 6.8 in, a journal page's width, so the figure prints at its size and the names stay legible
    ncols = min(len(years), 2)
    nrows = -(-len(years) // ncols)
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.9 * nrows + 0.8), squeeze=False)
        for ax, year in zip(axes.ravel(), years):
            classes = np.searchsorted(bins, values.loc[gdf.index, year].to_numpy(dtype=float), side="left")
            gdf.assign(_class=np.minimum(classes, len(bins) - 1)).plot(
                column="_class", cmap=cmap, vmin=0, vmax=len(bins) - 1, linewidth=0.3, edgecolor="white", ax=ax)
            label_cities(ax, gdf, names, fontsize=5.0 if len(years) > 1 else 6.0)
            ax.set_title(str(year))
            ax.set_axis_off()
        lows = np.concatenate([[pooled.min()], bins[:-1]])
        handles = [Patch(facecolor=cmap(i), label=f"{lo:.1f}–{hi:.1f}")
                   for i, (lo, hi) in enumerate(zip(lows, bins))]
        spare = axes.ravel()[len(years):]
        for ax in spare:
            ax.set_axis_off()
        if len(spare):  # the legend in the empty panel
            spare[0].legend(handles=handles, loc="center", title=wrap(legend_label, 30))
        else:
            fig.legend(handles=handles, loc="outside lower center", ncol=min(len(bins), 3 * ncols), title=legend_label)
        if title:
            fig.suptitle(wrap(title, 90))
    return fig


def ridge_densities(densities: pd.DataFrame, title: str = "", xlabel: str = "value") -> plt.Figure:
    """Kernel densities by year as a ridge plot.

    ``densities``: index = evaluation grid, one column per year.
    """
    with style():
        fig, ax = plt.subplots(figsize=(5.5, 4.0))
        grid = densities.index.to_numpy(dtype=float)
        peak = float(densities.to_numpy().max())
        cmap = plt.get_cmap("viridis", densities.shape[1])
        for offset, year in enumerate(densities.columns):
            y = densities[year].to_numpy(dtype=float) / peak * 1.6 + offset
            ax.fill_between(grid, offset, y, color=cmap(offset), alpha=0.7, linewidth=0)
            ax.plot(grid, y, color="black", linewidth=0.5)
        ax.set_yticks(range(densities.shape[1]), [str(c) for c in densities.columns])
        ax.set_xlabel(xlabel)
        ax.set_ylabel("year (density scaled)")
        ax.set_title(wrap(title, 48))
    return fig


def lines_over_time(frame: pd.DataFrame, columns: Sequence[str], title: str = "", ylabel: str = "",
                    significance: str | None = None, alpha: float = 0.05,
                    labels: Mapping[str, str] | None = None) -> plt.Figure:
    """Lines of ``columns`` against the index (years).

    With ``significance`` (a p-value column), years where p < ``alpha`` are
    marked with filled markers, others with open ones (Moran's I over time).
    """
    with style():
        fig, ax = plt.subplots(figsize=(5.5, 3.2))
        x = frame.index.to_numpy()
        for colour, column in zip(PALETTE, columns):
            y = frame[column].to_numpy(dtype=float)
            ax.plot(x, y, color=colour, label=wrap(column, 30, labels), linewidth=1.4)
            if significance is not None:
                sig = frame[significance].to_numpy(dtype=float) < alpha
                ax.scatter(x[sig], y[sig], color=colour, zorder=3, label=f"p < {alpha:g}")
                ax.scatter(x[~sig], y[~sig], facecolor="white", edgecolor=colour, zorder=3, label=f"p ≥ {alpha:g}")
        ax.set_xlabel("year")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel(ylabel)
        ax.set_title(wrap(title, 48))
        ax.legend()
    return fig


def stacked_shares(frame: pd.DataFrame, columns: Sequence[str], title: str = "", ylabel: str = "share",
                   labels: Mapping[str, str] | None = None) -> plt.Figure:
    """Stacked areas of contribution shares over the index (Dagum contributions); legend below the axes."""
    with style():
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        ax.stackplot(frame.index.to_numpy(), *[frame[c].to_numpy(dtype=float) for c in columns],
                     labels=[wrap(c, 26, labels) for c in columns], colors=PALETTE[: len(columns)], alpha=0.85)
        ax.set_xlabel("year")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel(ylabel)
        ax.set_title(wrap(title, 48))
        fig.legend(loc="outside lower center", ncol=min(len(columns), 3))
    return fig


def category_map(gdf, categories: pd.Series, colours: dict[str, str] | None = None, title: str = "",
                 names: pd.Series | None = None, category_labels: Mapping[str, str] | None = None) -> plt.Figure:
    """Map of a categorical label per entity (LISA clusters HH / LL / HL / LH / ns), legend beside the map."""
    colours = dict(colours or LISA_COLOURS)
    category_labels = dict(LISA_NAMES if category_labels is None else category_labels)
    labels = categories.reindex(gdf.index).fillna("ns").astype(str)
    unknown = sorted(set(labels) - set(colours))
    if unknown:
        raise SpecificationError(f"no colour for categories {unknown}")
    with style():
        fig, ax = plt.subplots(figsize=(5.4, 3.9))
        gdf.plot(color=[colours[c] for c in labels], edgecolor="#7f8c8d", linewidth=0.3, ax=ax)
        label_cities(ax, gdf, names, fontsize=5.5)
        present = [c for c in colours if c in set(labels)]
        fig.legend(handles=[Patch(facecolor=colours[c], edgecolor="#7f8c8d",
                                  label=category_labels.get(c, c)) for c in present],
                   loc="outside right center", title="cluster")
        ax.set_axis_off()
        ax.set_title(wrap(title, 48))
    return fig


def _compact(value: float) -> str:
    """A legend number: thousands separators above 100, three significant digits below."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def network_map(gdf, flows: pd.DataFrame, top: int = 40, title: str = "", names: pd.Series | None = None,
                unit: str = "flow") -> plt.Figure:
    """Flow network drawn on the map: the ``top`` strongest directed flows as lines.

    ``flows``: square DataFrame (origin rows, destination columns) indexed by
    entity id; line width is proportional to the flow, node size to
    in-strength (the column sum); a legend gives both scales.
    """
    matrix = flows.reindex(index=gdf.index, columns=gdf.index).fillna(0.0).to_numpy(dtype=float, copy=True)
    np.fill_diagonal(matrix, 0.0)
    order = np.argsort(matrix, axis=None)[::-1][:top]
    rows, cols = np.unravel_index(order, matrix.shape)
    strongest = matrix[rows, cols].max() if len(order) else 1.0
    strongest = strongest if strongest > 0 else 1.0
    lon, lat = gdf["lon"].to_numpy(), gdf["lat"].to_numpy()
    strength = matrix.sum(axis=0)
    peak = max(strength.max(), 1e-12)

    def width(value: float) -> float:
        return 0.3 + 3.0 * value / strongest

    def size(value: float) -> float:
        return 10 + 150 * value / peak

    with style():
        fig, ax = plt.subplots(figsize=(5.8, 4.2))
        gdf.plot(color="#f2f3f4", edgecolor="#aab7b8", linewidth=0.4, ax=ax)
        for i, j in zip(rows, cols):
            if matrix[i, j] <= 0:
                continue
            ax.plot([lon[i], lon[j]], [lat[i], lat[j]], color=PALETTE[1], alpha=0.55, linewidth=width(matrix[i, j]))
        ax.scatter(lon, lat, s=size(strength), color=PALETTE[0], zorder=3)
        label_cities(ax, gdf, names, fontsize=5.0)
        shown = matrix[rows, cols]
        flow_keys = np.unique(np.quantile(shown[shown > 0], [0.0, 0.5, 1.0])) if (shown > 0).any() else []
        handles = [Line2D([], [], color=PALETTE[1], alpha=0.55, linewidth=width(v), label=_compact(v))
                   for v in flow_keys]
        handles += [Line2D([], [], linestyle="", marker="o", color=PALETTE[0], markersize=np.sqrt(size(v)),
                           label=_compact(v)) for v in np.unique(np.quantile(strength, [0.5, 1.0]))]
        fig.legend(handles=handles, loc="outside right center", labelspacing=1.0,
                   title="line width:\n" + wrap(unit, 18) + "\ndot size: inflow")
        ax.set_axis_off()
        ax.set_title(wrap(title, 48))
    return fig


def interval_plot(frame: pd.DataFrame, estimate: str, low: str, high: str, title: str = "",
                  xlabel: str = "estimate", labels: Mapping[str, str] | None = None,
                  reference: str | None = None) -> plt.Figure:
    """Point estimates with intervals, one row per index entry (effects, group estimates).

    ``reference`` (an index entry) is drawn as a hollow marker and named in
    its tick label, and a dotted line marks its estimate.
    """
    rows = [" / ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in frame.index]
    ticks = [wrap(r, 28, labels) + ("\n(reference)" if r == reference else "") for r in rows]
    with style():
        fig, ax = plt.subplots(figsize=(5.2, 0.5 * sum(t.count("\n") + 1 for t in ticks) + 1.4))
        y = np.arange(len(frame))[::-1]
        est = frame[estimate].to_numpy(dtype=float)
        ax.errorbar(est, y, xerr=[est - frame[low].to_numpy(dtype=float), frame[high].to_numpy(dtype=float) - est],
                    fmt="o", color=PALETTE[0], capsize=3)
        ax.axvline(0.0, color="grey", linewidth=0.8, linestyle="--")
        if reference is not None and reference in rows:
            k = rows.index(reference)
            ax.scatter([est[k]], [y[k]], s=40, facecolor="white", edgecolor=PALETTE[0], zorder=4)
            ax.axvline(est[k], color=PALETTE[0], linewidth=0.8, linestyle=":")
        ax.set_yticks(y, ticks)
        ax.set_xlabel(xlabel)
        ax.set_title(wrap(title, 48))
    return fig


def placebo_density(estimates: np.ndarray, actual: float, title: str = "", xlabel: str = "placebo estimate") -> plt.Figure:
    """Density (histogram and Gaussian KDE) of placebo estimates, with the real estimate marked."""
    from scipy.stats import gaussian_kde

    estimates = np.asarray(estimates, dtype=float)
    with style():
        fig, ax = plt.subplots(figsize=(5.2, 3.4))
        ax.hist(estimates, bins=40, density=True, color=PALETTE[0], alpha=0.35, label="placebo estimates")
        if np.ptp(estimates) > 0:
            grid = np.linspace(min(estimates.min(), actual), max(estimates.max(), actual), 300)
            ax.plot(grid, gaussian_kde(estimates)(grid), color=PALETTE[0])
        ax.axvline(actual, color=PALETTE[1], linewidth=1.5, label=f"real estimate {actual:.3g}")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("density")
        ax.set_title(wrap(title, 48))
        ax.legend(loc="upper left")
    return fig


def specification_curve(curve: pd.DataFrame, choices: Sequence[str], estimate: str = "estimate",
                        low: str = "ci_low", high: str = "ci_high", title: str = "",
                        facet: str | None = "outcome", labels: Mapping[str, str] | None = None) -> plt.Figure:
    """Sorted estimates with intervals (top) and the indicator panel of choices (bottom), one facet per ``facet``.

    ``curve``: one row per specification with the estimate, its interval and
    one column per analytic choice (its value for that specification).
    With ``facet`` (default the outcome) the specifications of each value of
    that choice are sorted and drawn in their own column of panels, each on
    its own y scale, so outcomes measured on different scales are not pooled;
    ``facet=None`` draws one curve.  ``labels`` maps choice names and values
    to display labels (wrapped).
    """
    facets = [None]
    if facet is not None and facet in curve.columns and curve[facet].nunique() > 1:
        facets = sorted(curve[facet].astype(str).unique())
    shown = [c for c in choices if c != facet or facets == [None]]
    levels = [(c, v) for c in shown for v in sorted(curve[c].astype(str).unique())]
    tick_labels = [wrap(f"{wrap(c, 40, labels)}: {wrap(v, 40, labels if c == 'outcome' else None)}", 30)
                   for c, v in levels]
    with style():
        fig, axes = plt.subplots(2, len(facets), figsize=(3.0 * len(facets) + 1.8, 3.0 + 0.2 * len(levels)),
                                 sharex="col", squeeze=False,
                                 gridspec_kw={"height_ratios": [2.0, max(1.0, 0.14 * len(levels))]})
        for k, value in enumerate(facets):
            part = curve if value is None else curve[curve[facet].astype(str) == value]
            part = part.sort_values(estimate).reset_index(drop=True)
            x = np.arange(1, len(part) + 1)
            top, bottom = axes[0, k], axes[1, k]
            significant = (part[low] > 0) | (part[high] < 0)
            colours = np.where(significant, PALETTE[1], "#7f8c8d")
            top.vlines(x, part[low], part[high], color=colours, linewidth=0.8, alpha=0.6)
            top.scatter(x, part[estimate], c=colours, s=8, zorder=3)
            top.axhline(0.0, color="grey", linewidth=0.8, linestyle="--")
            top.set_title(wrap(value, 30, labels) if value is not None else "")
            for row, (choice, level) in enumerate(levels):
                on = part[choice].astype(str).to_numpy() == level
                bottom.scatter(x[on], np.full(on.sum(), row), marker="|", s=40, color=PALETTE[0])
            bottom.set_yticks(range(len(levels)), tick_labels if k == 0 else [""] * len(levels))
            bottom.set_ylim(len(levels) - 0.5, -0.5)
            bottom.set_xlabel("specification (sorted)")
            bottom.xaxis.get_major_locator().set_params(integer=True)
        axes[0, 0].set_ylabel("estimate\n(own scale per panel)" if len(facets) > 1 else "estimate")
        handles = [Line2D([], [], marker="o", linestyle="", color=PALETTE[1], label="95% CI excludes 0"),
                   Line2D([], [], marker="o", linestyle="", color="#7f8c8d", label="95% CI includes 0")]
        fig.legend(handles=handles, loc="outside lower center", ncol=2)
        if title:
            fig.suptitle(wrap(title, 90))
    return fig


def share_bars(shares: pd.Series, title: str = "", xlabel: str = "share of within R²",
               labels: Mapping[str, str] | None = None) -> plt.Figure:
    """Horizontal bars of contribution shares (Shapley-Owen decomposition), values written at the bar ends."""
    ordered = shares.sort_values()
    ticks = [wrap(i, 26, labels) for i in ordered.index]
    with style():
        fig, ax = plt.subplots(figsize=(5.2, 0.5 * sum(t.count("\n") + 1 for t in ticks) + 1.3))
        values = ordered.to_numpy(dtype=float)
        ax.barh(range(len(values)), values, color=PALETTE[0])
        ax.set_yticks(range(len(values)), ticks)
        for y, value in enumerate(values):
            ax.text(value, y, f" {value:.3f}", va="center", fontsize=8)
        span = max(values.max(), 0.0) - min(values.min(), 0.0)
        ax.set_xlim(min(values.min(), 0.0), max(values.max(), 0.0) + 0.22 * (span or 1.0))
        ax.set_xlabel(xlabel)
        ax.set_title(wrap(title, 48))
    return fig
