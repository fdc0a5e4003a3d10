"""Procedures that run estimators many times: the checks a referee asks for.

- :mod:`~vagg.robustness.battery`: one baseline specification and declared
  variants (index method, outcome measure, weights, lags, subsamples, 2SLS),
  one tidy row each (:func:`robustness`);
- :mod:`~vagg.robustness.placebo`: permutation placebo tests (FE and SDM);
- :mod:`~vagg.robustness.heterogeneity`: by-group estimates and the
  permutation test of slope differences;
- :mod:`~vagg.robustness.contributions`: Shapley–Owen shares of the index
  dimensions;
- :mod:`~vagg.robustness.speccurve`: the specification curve and its joint test.

Names load lazily from their modules, as in :mod:`vagg.models`.
"""

from __future__ import annotations

from vagg._lazy import lazy_exports

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Spec": "vagg.robustness.battery",
    "robustness": "vagg.robustness.battery",
    "RobustnessResults": "vagg.robustness.battery",
    "index_variants": "vagg.robustness.battery",
    "outcome_variants": "vagg.robustness.battery",
    "weights_variants": "vagg.robustness.battery",
    "standard_variants": "vagg.robustness.battery",
    "drop_entities": "vagg.robustness.battery",
    "drop_groups": "vagg.robustness.battery",
    "period": "vagg.robustness.battery",
    "placebo_test": "vagg.robustness.placebo",
    "PlaceboResult": "vagg.robustness.placebo",
    "spatial_placebo_test": "vagg.robustness.placebo",
    "specification_curve": "vagg.robustness.speccurve",
    "SpecCurveResults": "vagg.robustness.speccurve",
    "group_heterogeneity": "vagg.robustness.heterogeneity",
    "HeterogeneityResults": "vagg.robustness.heterogeneity",
    "core_periphery": "vagg.robustness.heterogeneity",
    "dimension_contributions": "vagg.robustness.contributions",
    "Contributions": "vagg.robustness.contributions",
    "shapley_owen": "vagg.robustness.contributions",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
