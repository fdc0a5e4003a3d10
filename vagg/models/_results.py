"""What every vagg result object offers to report tables.

A result object (PanelFE, a mediation stage, SpatialPanel, IV) has, in the
linearmodels shape:

- ``params``, ``std_errors``, ``tstats``, ``pvalues``: pandas Series indexed by
  regressor name;
- ``conf_int(level=0.95)``: DataFrame with columns ``lower``, ``upper``;
- ``nobs``: int; ``summary``: text;
- ``table_info``: dict read by :func:`vagg.report.regression_table`, with keys

  ========================  ==================================================
  ``dependent``             name of the dependent variable
  ``model``                 short label, e.g. "FE", "SDM", "2SLS"
  ``entity_effects``        bool
  ``time_effects``          bool
  ``cov_type``              e.g. "clustered (entity)", "Driscoll-Kraay"
  ``n_clusters``            int or None
  ``nobs``                  int
  ``rsquared_within``       float or None
  ``rsquared``              float or None (overall / pseudo R^2)
  ``loglik``                float or None
  ``extra``                 dict of further label -> value rows
  ========================  ==================================================
"""

from __future__ import annotations

TABLE_INFO_KEYS = (
    "dependent",
    "model",
    "entity_effects",
    "time_effects",
    "cov_type",
    "n_clusters",
    "nobs",
    "rsquared_within",
    "rsquared",
    "loglik",
    "extra",
)


def table_info(**values: object) -> dict[str, object]:
    """A complete ``table_info`` dict: unknown keys refused, absent ones None."""
    unknown = set(values) - set(TABLE_INFO_KEYS)
    if unknown:
        raise KeyError(f"unknown table_info keys: {sorted(unknown)}")
    info: dict[str, object] = {key: None for key in TABLE_INFO_KEYS}
    info["extra"] = {}
    info.update(values)
    return info
