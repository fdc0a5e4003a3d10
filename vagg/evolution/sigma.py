r"""Sigma convergence: the dispersion of a variable across regions, year by year.

For year t and the n_t values of a group (or of all entities):

.. math::

    \mathrm{sd}_t = \sqrt{\tfrac{1}{n_t} \sum_i (y_{it} - \bar y_t)^2},\qquad
    \mathrm{cv}_t = \mathrm{sd}_t / \bar y_t,\qquad
    \sigma_t = \sqrt{\tfrac{1}{n_t} \sum_i (\ln y_{it} - \overline{\ln y}_t)^2}

(population moments, ddof = 0).  Sigma convergence holds when the dispersion
falls over time (Barro, R. J. and Sala-i-Martin, X. (1992), "Convergence",
Journal of Political Economy 100: 223-251; Sala-i-Martin, X. (1996), Economic
Journal 106: 1019-1036).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vagg.evolution._inputs import group_labels, panel_series, require_positive, time_name

ALL = "all"


def sigma_convergence(panel: pd.DataFrame | pd.Series, column: str | None = None,
                      groups: str | pd.Series | None = None) -> pd.DataFrame:
    """Dispersion of ``column`` per year, for all entities and by group.

    Parameters
    ----------
    panel
        Panel indexed (entity, time) with ``column`` (or such a Series);
        values must be positive (for the logs).
    groups
        Optional column name, or Series indexed by entity or (entity, time),
        giving each entity's group; rows per group are added to the "all" rows.

    Returns
    -------
    DataFrame
        Indexed (time, group) with group "all" for the whole sample: ``n``,
        ``mean``, ``sd``, ``cv`` (coefficient of variation) and ``sd_log``
        (sigma, the standard deviation of logs); formulas in the module
        docstring.
    """
    series, _ = panel_series(panel, column)
    require_positive(series, "sigma convergence (logs)")
    time = time_name(series)
    frame = pd.DataFrame({time: series.index.get_level_values(1), "group": ALL,
                          "y": series.to_numpy(), "log_y": np.log(series.to_numpy())})
    if groups is not None:
        labels = group_labels(groups, panel, series)
        frame = pd.concat([frame, frame.assign(group=labels.to_numpy())], ignore_index=True)
    grouped = frame.groupby([time, "group"], sort=True)
    out = grouped["y"].agg(n="size", mean="mean", sd=lambda v: v.std(ddof=0))
    out["cv"] = out["sd"] / out["mean"]
    out["sd_log"] = grouped["log_y"].std(ddof=0)
    return out
