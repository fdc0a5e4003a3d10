"""Goodman-Bacon decomposition of the two-way fixed-effects difference-in-differences estimate.

On a balanced panel with staggered adoption and no controls, the TWFE
coefficient of the treatment dummy is a weighted average of every 2x2
difference-in-differences between timing groups (Goodman-Bacon 2021,
"Difference-in-differences with variation in treatment timing",
*J. Econometrics* 225: 254-277, Theorem 1):

.. math::  \\hat\\beta^{DD} = \\sum_k s_{kU} \\hat\\beta_{kU}
           + \\sum_{e < l} \\left(s^e_{el} \\hat\\beta^e_{el} + s^l_{el} \\hat\\beta^l_{el}\\right),

treated vs never treated (:math:`kU`), earlier vs later treated (the later
group not yet treated, :math:`e`) and later vs earlier treated (the earlier
group already treated, :math:`l`: the "forbidden" comparison that biases TWFE
when effects change over time).  The weights are shares of the treatment
variance, non-negative and summing to one.  Computed by the ``diff-diff``
package (exact weights).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from vagg._errors import DataError
from vagg.data.panel import check_panel_index, missing_city_years
from vagg.models.event_study import _long_frame

_TYPES = {"treated_vs_never": "treated vs never treated", "earlier_vs_later": "earlier vs later treated",
          "later_vs_earlier": "later vs earlier treated"}


class BaconResult:
    """The 2x2 comparisons, their weights, and the TWFE estimate they reproduce.

    Attributes
    ----------
    comparisons
        DataFrame: treated (cohort), control (cohort or "never"), type,
        estimate, weight.
    by_type
        DataFrame indexed by comparison type: weight (summed) and estimate
        (weight-averaged).
    twfe_estimate
        :math:`\\sum` weight x estimate, the TWFE coefficient.
    """

    def __init__(self, comparisons: pd.DataFrame, outcome: str) -> None:
        self.comparisons, self.outcome = comparisons, outcome
        self.twfe_estimate = float((comparisons["weight"] * comparisons["estimate"]).sum())
        grouped = comparisons.assign(we=comparisons["weight"] * comparisons["estimate"]).groupby("type", sort=False)
        sums = grouped[["weight", "we"]].sum()
        self.by_type = pd.DataFrame({"weight": sums["weight"], "estimate": sums["we"] / sums["weight"]})

    @property
    def summary(self) -> str:
        return "\n".join([f"Goodman-Bacon decomposition of the TWFE DID estimate of {self.outcome}: "
                          f"{self.twfe_estimate:.4f}",
                          self.by_type.to_string(float_format=lambda v: f"{v:.4f}")])

    def __repr__(self) -> str:
        return self.summary


def bacon_decomposition(data: pd.DataFrame, outcome: str, cohort: str = "cohort") -> BaconResult:
    """Decompose the TWFE estimate of ``outcome`` on the treatment dummy implied by ``cohort``.

    Parameters
    ----------
    data
        Balanced panel indexed by (entity, time).
    outcome
        Outcome column (complete).
    cohort
        Adoption year per city, 0 for never treated (see
        :func:`vagg.models.policy_timing`).

    Returns
    -------
    :class:`BaconResult`; its ``twfe_estimate`` equals the coefficient of
    ``treated`` in ``PanelFE.from_formula(f"{outcome} ~ treated", data)``.
    """
    import diff_diff as dd

    check_panel_index(data)
    gaps = missing_city_years(data)
    if gaps:
        raise DataError(f"the Bacon decomposition needs a balanced panel; missing city-year {gaps[0]} "
                        f"({len(gaps)} missing)")
    frame = _long_frame(data, outcome, cohort, [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        fit = dd.BaconDecomposition(weights="exact").fit(frame, outcome="y", unit="unit", time="time",
                                                         first_treat="first_treat")
    raw = fit.to_dataframe()
    comparisons = pd.DataFrame({
        "treated": raw["treated_group"].to_numpy(),
        "control": np.where(raw["control_group"].astype(str) == "never_treated", "never",
                            raw["control_group"].astype(str)),
        "type": raw["comparison_type"].map(_TYPES).fillna(raw["comparison_type"]).to_numpy(),
        "estimate": raw["estimate"].to_numpy(dtype=float),
        "weight": raw["weight"].to_numpy(dtype=float)})
    return BaconResult(comparisons, outcome)
