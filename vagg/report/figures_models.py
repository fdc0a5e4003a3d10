"""Figures of the nonlinear models and the index's spatial spread.

The threshold LR profile, the quantile process and the standard
deviational ellipse map.

Like :mod:`vagg.report.figures`, each function takes tidy output (here the
frames a results object exposes) and returns the figure; save it with
:func:`vagg.report.figures.save_figure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from vagg._errors import SpecificationError
from vagg.report.figures import PALETTE, plt, style, wrap


def threshold_lr_plot(profiles: Mapping[str, pd.DataFrame], critical_value: float, xlabel: str = "threshold",
                      title: str = "") -> plt.Figure:
    """LR(gamma) of each threshold with the critical value of its confidence set.

    Parameters
    ----------
    profiles
        Threshold name -> DataFrame with columns ``gamma`` and ``lr``, e.g.
        ``PanelThresholdResults.lr_profiles``.
    critical_value
        :math:`c(\\alpha) = -2\\log(1-\\sqrt{1-\\alpha})` (Hansen 2000), e.g.
        ``PanelThresholdResults.critical_value``; the confidence set is where
        the curve lies below this line (Hansen 1999, Figures 1-3).
    """
    if not profiles:
        raise SpecificationError("threshold_lr_plot needs at least one LR profile")
    with style():
        fig, axes = plt.subplots(1, len(profiles), figsize=(3.4 * len(profiles), 2.8), squeeze=False)
        for ax, (name, frame) in zip(axes[0], profiles.items()):
            missing = {"gamma", "lr"} - set(frame.columns)
            if missing:
                raise SpecificationError(f"LR profile {name!r} lacks column(s) {sorted(missing)}")
            ax.plot(frame["gamma"], frame["lr"], color=PALETTE[0], lw=1)
            ax.axhline(critical_value, color=PALETTE[1], ls="--", lw=0.8, label=f"c = {critical_value:.2f}")
            best = frame.loc[frame["lr"].idxmin(), "gamma"]
            ax.axvline(best, color="0.6", lw=0.6)
            ax.set_xlabel(xlabel)
            ax.set_ylabel("LR")
            ax.set_title(f"{name} = {best:.4g}")
            ax.legend(loc="upper right")
        if title:
            fig.suptitle(wrap(title, int(fig.get_figwidth() * 9)))
    return fig


def quantile_process_plot(process: pd.DataFrame, regressors: Sequence[str] | None = None,
                          title: str = "") -> plt.Figure:
    """Coefficients across quantiles with their confidence band, one panel per regressor.

    Parameters
    ----------
    process
        Long frame with columns ``quantile``, ``regressor``, ``estimate``,
        ``lower``, ``upper`` (e.g. ``PanelQuantileResults.process``).
    regressors
        Which to draw; all by default.
    """
    missing = {"quantile", "regressor", "estimate", "lower", "upper"} - set(process.columns)
    if missing:
        raise SpecificationError(f"the quantile process lacks column(s) {sorted(missing)}")
    names = list(dict.fromkeys(process["regressor"])) if regressors is None else list(regressors)
    unknown = [r for r in names if r not in set(process["regressor"])]
    if unknown:
        raise SpecificationError(f"regressor(s) not in the quantile process: {unknown}")
    with style():
        fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), squeeze=False)
        for ax, name in zip(axes[0], names):
            part = process[process["regressor"] == name].sort_values("quantile")
            ax.fill_between(part["quantile"], part["lower"], part["upper"], color=PALETTE[0], alpha=0.2, lw=0)
            ax.plot(part["quantile"], part["estimate"], color=PALETTE[0], marker="o", ms=3, lw=1)
            ax.axhline(0, color="0.5", lw=0.6)
            ax.set_xlabel("quantile")
            ax.set_title(name)
            ax.set_xlim(np.min(part["quantile"]) - 0.02, np.max(part["quantile"]) + 0.02)
        axes[0][0].set_ylabel("coefficient")
        if title:
            fig.suptitle(wrap(title, int(fig.get_figwidth() * 9)))
    return fig


def ellipse_map(gdf, ellipses, centres: pd.DataFrame | None = None, title: str = "") -> plt.Figure:
    """Standard deviational ellipses of an index over the city map, with the path of its gravity centre.

    Parameters
    ----------
    gdf
        City boundaries (GeoDataFrame), drawn in grey.
    ellipses
        GeoDataFrame of ellipses indexed by year, e.g.
        ``EllipseResult.ellipses()`` (reprojected to ``gdf``'s CRS when both have one).
    centres
        Optional frame indexed by year with ``lon``/``lat`` (or ``centre_x``/``centre_y``
        in ``gdf``'s units), e.g. ``EllipseResult.table``; drawn as a connected path.
    """
    if len(ellipses) == 0:
        raise SpecificationError("ellipse_map needs at least one ellipse")
    if gdf.crs is not None and ellipses.crs is not None:
        ellipses = ellipses.to_crs(gdf.crs)
    with style():
        fig, ax = plt.subplots(figsize=(6.0, 5.0))
        gdf.plot(ax=ax, color="#f2f3f4", edgecolor="#aab7b8", linewidth=0.4)
        colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(ellipses)))
        for colour, (year, row) in zip(colours, ellipses.iterrows()):
            xs, ys = row.geometry.exterior.xy
            ax.plot(xs, ys, color=colour, lw=1.1, label=str(year))
        if centres is not None:
            cols = ("lon", "lat") if {"lon", "lat"} <= set(centres.columns) else ("centre_x", "centre_y")
            ax.plot(centres[cols[0]], centres[cols[1]], color=PALETTE[1], lw=0.8, marker="o", ms=2.5,
                    label="gravity centre")
        ax.set_axis_off()
        ax.legend(loc="lower left", fontsize=7, ncol=2)
        ax.set_title(wrap(title, 48))
    return fig
