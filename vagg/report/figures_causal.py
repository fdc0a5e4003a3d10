"""Figures of the causal designs: event studies, Johnson-Neyman plots, Goodman-Bacon scatter.

Each function takes the tidy output of an estimator (``EventStudyResults.estimates``,
``JohnsonNeyman.curve``, ``BaconResult.comparisons``), returns the
:class:`matplotlib.figure.Figure`, and leaves saving to
:func:`vagg.report.figures.save_figure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from vagg._errors import SpecificationError
from vagg.report.figures import style, wrap

COLOURS = ("#1b4f72", "#c0392b", "#27ae60", "#8e44ad", "#d68910")


def _need(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SpecificationError(f"{what} needs columns {missing}; got {list(frame.columns)}")


def event_study_plot(estimates: pd.DataFrame | Mapping[str, pd.DataFrame], title: str = "",
                     ylabel: str = "effect on the outcome", xlabel: str = "years since adoption") -> plt.Figure:
    """Event-time estimates with confidence bands; several estimators side by side.

    Parameters
    ----------
    estimates
        One table indexed by event time with estimate, ci_low, ci_high (as
        ``EventStudyResults.estimates``), or a mapping label -> table (e.g.
        TWFE and the imputation estimator), drawn with small offsets.
    """
    tables = {"": estimates} if isinstance(estimates, pd.DataFrame) else dict(estimates)
    if not tables:
        raise SpecificationError("event_study_plot needs at least one table of estimates")
    with style():
        fig, ax = plt.subplots(figsize=(6.0, 3.4))
        width = 0.25 if len(tables) > 1 else 0.0
        for j, (label, table) in enumerate(tables.items()):
            _need(table, ["estimate", "ci_low", "ci_high"], "event_study_plot")
            k = np.asarray(table.index, dtype=float) + (j - (len(tables) - 1) / 2) * width
            colour = COLOURS[j % len(COLOURS)]
            ax.fill_between(k, table["ci_low"], table["ci_high"], color=colour, alpha=0.15, linewidth=0)
            ax.errorbar(k, table["estimate"], yerr=[table["estimate"] - table["ci_low"],
                                                    table["ci_high"] - table["estimate"]],
                        fmt="o-", color=colour, markersize=3.5, linewidth=1, capsize=2, label=label or None)
        ax.axhline(0.0, color="0.4", linewidth=0.8)
        ax.axvline(-0.5, color="0.4", linewidth=0.8, linestyle="--")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(wrap(title, 48))
        if len(tables) > 1:
            ax.legend()
    return fig


def conditional_effect_plot(curve: pd.DataFrame, points: Sequence[float] = (), title: str = "",
                            ylabel: str = "conditional effect") -> plt.Figure:
    """Effect of the focal variable across the moderator with its band and the Johnson-Neyman points.

    Parameters
    ----------
    curve
        Indexed by the moderator value with estimate, ci_low, ci_high
        (``JohnsonNeyman.curve``).
    points
        Johnson-Neyman points (``JohnsonNeyman.points``); those inside the
        curve's range are marked.
    """
    _need(curve, ["estimate", "ci_low", "ci_high"], "conditional_effect_plot")
    z = np.asarray(curve.index, dtype=float)
    with style():
        fig, ax = plt.subplots(figsize=(5.0, 3.4))
        ax.fill_between(z, curve["ci_low"], curve["ci_high"], color=COLOURS[0], alpha=0.2, linewidth=0)
        ax.plot(z, curve["estimate"], color=COLOURS[0], linewidth=1.5)
        ax.axhline(0.0, color="0.4", linewidth=0.8)
        for p in points:
            if z.min() <= p <= z.max():
                ax.axvline(p, color=COLOURS[1], linewidth=0.8, linestyle="--")
                ax.annotate(f"J-N {p:.3g}", (p, ax.get_ylim()[1]), fontsize=7, ha="left", va="top",
                            color=COLOURS[1])
        ax.set_xlabel(str(curve.index.name or "moderator"))
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(wrap(title, 48))
    return fig


def bacon_plot(comparisons: pd.DataFrame, title: str = "") -> plt.Figure:
    """Goodman-Bacon scatter: each 2x2 estimate against its weight, by comparison type.

    ``comparisons`` has type, estimate and weight (``BaconResult.comparisons``);
    the dashed line is the TWFE estimate, their weighted mean.
    """
    _need(comparisons, ["type", "estimate", "weight"], "bacon_plot")
    with style():
        fig, ax = plt.subplots(figsize=(5.0, 3.4))
        for j, (kind, rows) in enumerate(comparisons.groupby("type", sort=True)):
            ax.scatter(rows["weight"], rows["estimate"], s=22, color=COLOURS[j % len(COLOURS)], label=kind)
        twfe = float((comparisons["weight"] * comparisons["estimate"]).sum())
        ax.axhline(twfe, color="0.3", linewidth=0.8, linestyle="--", label=f"TWFE = {twfe:.3g}")
        ax.set_xlabel("weight")
        ax.set_ylabel("2x2 DID estimate")
        if title:
            ax.set_title(wrap(title, 48))
        ax.legend(fontsize=7)
    return fig
