"""Estimators: two-way fixed effects, mediation, spatial panels, robustness.

Names load lazily from their modules (listed in ``_EXPORTS``), so importing
one estimator does not import the others.  Every result object follows the
linearmodels shape (``params``, ``std_errors``, ``tstats``, ``pvalues``,
``conf_int()``, ``nobs``, ``summary``) and carries ``table_info``, a dict that
report tables read (see :mod:`vagg.models._results`).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "PanelFE": "vagg.models.panel_fe",
    "PanelFEResults": "vagg.models.panel_fe",
    "within_ols": "vagg.models.panel_fe",
    "wild_cluster_bootstrap": "vagg.models.wild_bootstrap",
    "Mediation": "vagg.models.mediation",
    "MediationResults": "vagg.models.mediation",
    "PanelIV": "vagg.models.iv",
    "PanelIVResults": "vagg.models.iv",
    "RandomEffects": "vagg.models.specification",
    "RandomEffectsResults": "vagg.models.specification",
    "hausman": "vagg.models.specification",
    "mundlak": "vagg.models.specification",
    "SpatialPanel": "vagg.models.spatial",
    "SpatialPanelResults": "vagg.models.spatial",
    "Spec": "vagg.models.robustness",
    "robustness": "vagg.models.robustness",
    "RobustnessResults": "vagg.models.robustness",
    "index_variants": "vagg.models.robustness",
    "outcome_variants": "vagg.models.robustness",
    "weights_variants": "vagg.models.robustness",
    "standard_variants": "vagg.models.robustness",
    "drop_entities": "vagg.models.robustness",
    "drop_groups": "vagg.models.robustness",
    "period": "vagg.models.robustness",
    "placebo_test": "vagg.models.placebo",
    "PlaceboResult": "vagg.models.placebo",
    "spatial_placebo_test": "vagg.models.placebo",
    "specification_curve": "vagg.models.speccurve",
    "SpecCurveResults": "vagg.models.speccurve",
    "group_heterogeneity": "vagg.models.heterogeneity",
    "HeterogeneityResults": "vagg.models.heterogeneity",
    "core_periphery": "vagg.models.heterogeneity",
    "dimension_contributions": "vagg.models.contributions",
    "Contributions": "vagg.models.contributions",
    "shapley_owen": "vagg.models.contributions",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'vagg.models' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
