"""Spatial panel models: SAR, SEM, SDM, SDEM and SLX by maximum likelihood, static or dynamic.

- :mod:`~vagg.models.spatial.logdet`: log|I - rho W| (eigenvalues or sparse LU), traces;
- :mod:`~vagg.models.spatial.likelihood`: within transformation, Lee-Yu, concentrated ML, information matrix;
- :mod:`~vagg.models.spatial.impacts`: LeSage-Pace direct, indirect and total effects;
- :mod:`~vagg.models.spatial.spectests`: LM tests, Wald and LR tests of the SDM;
- :mod:`~vagg.models.spatial.dynamic`: time and space-time lags, the Yu-de Jong-Lee bias correction,
  stability, short- and long-run effects;
- :mod:`~vagg.models.spatial.model` and :mod:`~vagg.models.spatial.results`: the public objects.
"""

from vagg.models.spatial.model import SpatialPanel
from vagg.models.spatial.results import DynamicSpatialPanelResults, SpatialPanelResults

__all__ = ["DynamicSpatialPanelResults", "SpatialPanel", "SpatialPanelResults"]
