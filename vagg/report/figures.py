"""Publication figures (matplotlib), one consistent style, saved as 300 dpi PNG and PDF.

Each function takes the tidy output of an analysis step, returns the
:class:`matplotlib.figure.Figure`, and leaves saving to :func:`save_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display is needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
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
    "figure.dpi": 100,
    "savefig.bbox": "tight",
}
PALETTE = ("#1b4f72", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#5d6d7e")
LISA_COLOURS = {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61", "LH": "#abd9e9", "ns": "#eeeeee"}


@contextmanager
def style():
    """The vagg figure style as a matplotlib rc context."""
    with plt.rc_context(STYLE):
        yield


def save_figure(fig: plt.Figure, folder: str | Path, name: str, dpi: int = 300) -> list[Path]:
    """Write ``folder/name.png`` (``dpi``) and ``folder/name.pdf``; close the figure."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.pdf"]
    fig.savefig(paths[0], dpi=dpi)
    fig.savefig(paths[1])
    plt.close(fig)
    return paths


def index_map(gdf, values: pd.DataFrame, years: Sequence[int] | None = None, k: int = 5,
              scheme: str = "Quantiles", title: str = "", legend_label: str = "index") -> plt.Figure:
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
    with style():
        fig, axes = plt.subplots(1, len(years), figsize=(3.2 * len(years), 3.2), squeeze=False)
        for ax, year in zip(axes[0], years):
            classes = np.searchsorted(bins, values.loc[gdf.index, year].to_numpy(dtype=float), side="left")
            gdf.assign(_class=np.minimum(classes, len(bins) - 1)).plot(
                column="_class", cmap=cmap, vmin=0, vmax=len(bins) - 1, linewidth=0.3, edgecolor="white", ax=ax)
            ax.set_title(str(year))
            ax.set_axis_off()
        lows = np.concatenate([[pooled.min()], bins[:-1]])
        handles = [Patch(facecolor=cmap(i), label=f"{lo:.1f}–{hi:.1f}")
                   for i, (lo, hi) in enumerate(zip(lows, bins))]
        fig.legend(handles=handles, loc="lower center", ncol=len(bins), title=legend_label,
                   bbox_to_anchor=(0.5, -0.02))
        if title:
            fig.suptitle(title)
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
        ax.set_title(title)
    return fig


def lines_over_time(frame: pd.DataFrame, columns: Sequence[str], title: str = "", ylabel: str = "",
                    significance: str | None = None, alpha: float = 0.05) -> plt.Figure:
    """Lines of ``columns`` against the index (years).

    With ``significance`` (a p-value column), years where p < ``alpha`` are
    marked with filled markers, others with open ones (Moran's I over time).
    """
    with style():
        fig, ax = plt.subplots(figsize=(5.5, 3.2))
        x = frame.index.to_numpy()
        for colour, column in zip(PALETTE, columns):
            ax.plot(x, frame[column].to_numpy(dtype=float), color=colour, label=column, linewidth=1.4)
            if significance is not None:
                sig = frame[significance].to_numpy(dtype=float) < alpha
                ax.scatter(x[sig], frame[column].to_numpy(dtype=float)[sig], color=colour, zorder=3,
                           label=f"p < {alpha:g}")
                ax.scatter(x[~sig], frame[column].to_numpy(dtype=float)[~sig], facecolor="white",
                           edgecolor=colour, zorder=3, label=f"p ≥ {alpha:g}")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend()
    return fig


def stacked_shares(frame: pd.DataFrame, columns: Sequence[str], title: str = "", ylabel: str = "share") -> plt.Figure:
    """Stacked areas of contribution shares over the index (Dagum contributions)."""
    with style():
        fig, ax = plt.subplots(figsize=(5.5, 3.2))
        ax.stackplot(frame.index.to_numpy(), *[frame[c].to_numpy(dtype=float) for c in columns],
                     labels=list(columns), colors=PALETTE[: len(columns)], alpha=0.85)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def category_map(gdf, categories: pd.Series, colours: dict[str, str] | None = None, title: str = "") -> plt.Figure:
    """Map of a categorical label per entity (LISA clusters HH / LL / HL / LH / ns)."""
    colours = dict(colours or LISA_COLOURS)
    labels = categories.reindex(gdf.index).fillna("ns").astype(str)
    unknown = sorted(set(labels) - set(colours))
    if unknown:
        raise SpecificationError(f"no colour for categories {unknown}")
    with style():
        fig, ax = plt.subplots(figsize=(4.2, 3.6))
        gdf.plot(color=[colours[c] for c in labels], edgecolor="white", linewidth=0.3, ax=ax)
        present = [c for c in colours if c in set(labels)]
        ax.legend(handles=[Patch(facecolor=colours[c], label=c) for c in present], loc="lower right")
        ax.set_axis_off()
        ax.set_title(title)
    return fig


def network_map(gdf, flows: pd.DataFrame, top: int = 40, title: str = "") -> plt.Figure:
    """Flow network drawn on the map: the ``top`` strongest directed flows as lines.

    ``flows``: square DataFrame (origin rows, destination columns) indexed by
    entity id; line width is proportional to the flow, node size to in-strength.
    """
    matrix = flows.reindex(index=gdf.index, columns=gdf.index).fillna(0.0).to_numpy(dtype=float, copy=True)
    np.fill_diagonal(matrix, 0.0)
    order = np.argsort(matrix, axis=None)[::-1][:top]
    rows, cols = np.unravel_index(order, matrix.shape)
    strongest = matrix[rows, cols].max() if len(order) else 1.0
    lon, lat = gdf["lon"].to_numpy(), gdf["lat"].to_numpy()
    strength = matrix.sum(axis=0)
    with style():
        fig, ax = plt.subplots(figsize=(4.8, 4.0))
        gdf.plot(color="#f2f3f4", edgecolor="#aab7b8", linewidth=0.4, ax=ax)
        for i, j in zip(rows, cols):
            if matrix[i, j] <= 0:
                continue
            ax.plot([lon[i], lon[j]], [lat[i], lat[j]], color=PALETTE[1], alpha=0.55,
                    linewidth=0.3 + 3.0 * matrix[i, j] / strongest)
        ax.scatter(lon, lat, s=10 + 150 * strength / max(strength.max(), 1e-12), color=PALETTE[0], zorder=3)
        ax.set_axis_off()
        ax.set_title(title)
    return fig


def interval_plot(frame: pd.DataFrame, estimate: str, low: str, high: str, title: str = "",
                  xlabel: str = "estimate") -> plt.Figure:
    """Point estimates with intervals, one row per index entry (effects, group estimates)."""
    with style():
        fig, ax = plt.subplots(figsize=(5.0, 0.45 * len(frame) + 1.2))
        y = np.arange(len(frame))[::-1]
        est = frame[estimate].to_numpy(dtype=float)
        ax.errorbar(est, y, xerr=[est - frame[low].to_numpy(dtype=float), frame[high].to_numpy(dtype=float) - est],
                    fmt="o", color=PALETTE[0], capsize=3)
        ax.axvline(0.0, color="grey", linewidth=0.8, linestyle="--")
        ax.set_yticks(y, [" / ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in frame.index])
        ax.set_xlabel(xlabel)
        ax.set_title(title)
    return fig


def placebo_density(estimates: np.ndarray, actual: float, title: str = "", xlabel: str = "placebo estimate") -> plt.Figure:
    """Density (histogram and Gaussian KDE) of placebo estimates, with the real estimate marked."""
    from scipy.stats import gaussian_kde

    estimates = np.asarray(estimates, dtype=float)
    with style():
        fig, ax = plt.subplots(figsize=(5.0, 3.2))
        ax.hist(estimates, bins=40, density=True, color=PALETTE[0], alpha=0.35)
        if np.ptp(estimates) > 0:
            grid = np.linspace(min(estimates.min(), actual), max(estimates.max(), actual), 300)
            ax.plot(grid, gaussian_kde(estimates)(grid), color=PALETTE[0])
        ax.axvline(actual, color=PALETTE[1], linewidth=1.5, label=f"estimate {actual:.3f}")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("density")
        ax.set_title(title)
        ax.legend()
    return fig


def specification_curve(curve: pd.DataFrame, choices: Sequence[str], estimate: str = "estimate",
                        low: str = "ci_low", high: str = "ci_high", title: str = "") -> plt.Figure:
    """Sorted estimates with intervals (top) and the indicator panel of choices (bottom).

    ``curve``: one row per specification with the estimate, its interval and
    one column per analytic choice (its value for that specification).
    """
    curve = curve.sort_values(estimate).reset_index(drop=True)
    x = np.arange(len(curve))
    levels = [(c, v) for c in choices for v in sorted(curve[c].astype(str).unique())]
    with style():
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.0, 3.0 + 0.18 * len(levels)), sharex=True,
                                          gridspec_kw={"height_ratios": [2.0, max(1.0, 0.12 * len(levels))]})
        significant = (curve[low] > 0) | (curve[high] < 0)
        colours = np.where(significant, PALETTE[1], "#7f8c8d")
        top.vlines(x, curve[low], curve[high], color=colours, linewidth=0.6, alpha=0.6)
        top.scatter(x, curve[estimate], c=colours, s=6, zorder=3)
        top.axhline(0.0, color="grey", linewidth=0.8, linestyle="--")
        top.set_ylabel("estimate")
        top.set_title(title)
        for row, (choice, value) in enumerate(levels):
            on = curve[choice].astype(str).to_numpy() == value
            bottom.scatter(x[on], np.full(on.sum(), row), marker="|", s=30, color=PALETTE[0])
        bottom.set_yticks(range(len(levels)), [f"{c}: {v}" for c, v in levels])
        bottom.invert_yaxis()
        bottom.set_xlabel("specification (sorted by estimate)")
    return fig


def share_bars(shares: pd.Series, title: str = "", xlabel: str = "share of within R²") -> plt.Figure:
    """Horizontal bars of contribution shares (Shapley-Owen decomposition)."""
    with style():
        fig, ax = plt.subplots(figsize=(5.0, 0.45 * len(shares) + 1.2))
        ordered = shares.sort_values()
        ax.barh([str(i) for i in ordered.index], ordered.to_numpy(dtype=float), color=PALETTE[0])
        for y, value in enumerate(ordered.to_numpy(dtype=float)):
            ax.text(value, y, f" {value:.3f}", va="center")
        ax.set_xlabel(xlabel)
        ax.set_title(title)
    return fig
