"""Estimators and their results: two-way fixed effects, IV, mediation, spatial panels,
staggered DID and event studies (also spatial), moderation and moderated or spatial mediation,
panel threshold (Hansen 1999), MM-QR panel quantiles and dynamic spatial Durbin panels.

Procedures that run these estimators many times (robustness battery, placebo,
heterogeneity, contributions, specification curve) live in :mod:`vagg.robustness`.

Names load lazily from their modules (listed in ``_EXPORTS``), so importing
one estimator does not import the others.  Every result object follows the
linearmodels shape (``params``, ``std_errors``, ``tstats``, ``pvalues``,
``conf_int()``, ``nobs``, ``summary``) and carries ``table_info``, a dict that
report tables read (see :mod:`vagg.models._results`).
"""

from __future__ import annotations

from vagg._lazy import lazy_exports

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
    "policy_timing": "vagg.models.did",
    "EventStudy": "vagg.models.event_study",
    "EventStudyResults": "vagg.models.event_study",
    "robust_event_study": "vagg.models.event_study",
    "bacon_decomposition": "vagg.models.bacon",
    "BaconResult": "vagg.models.bacon",
    "ModeratedMediation": "vagg.models.moderated",
    "ModeratedMediationResults": "vagg.models.moderated",
    "conditional_effects": "vagg.models.moderation",
    "johnson_neyman": "vagg.models.moderation",
    "conditional_impacts": "vagg.models.moderation",
    "spatial_from_formula": "vagg.models.moderation",
    "spatial_did": "vagg.models.spatial_did",
    "spatial_event_study": "vagg.models.spatial_did",
    "exposure_effects": "vagg.models.spatial_did",
    "SpatialMediation": "vagg.models.spatial_mediation",
    "SpatialMediationResults": "vagg.models.spatial_mediation",
    "PanelThreshold": "vagg.models.threshold",
    "PanelThresholdResults": "vagg.models.threshold",
    "PanelQuantile": "vagg.models.quantile",
    "PanelQuantileResults": "vagg.models.quantile",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
