"""Documented data-generating processes: the demo panel and Monte Carlo designs.

These sit above :mod:`vagg.data` and :mod:`vagg.weights` (they draw on the
bundled boundaries and build weights matrices) and below the estimators,
whose tests use them as simulations with known truth.
"""

from vagg.data.bundled import DEMO_SEED
from vagg.simulate.demo import DemoTruth, simulate_demo_panel
from vagg.simulate.mediation import MediationTruth, simulate_mediation_panel
from vagg.simulate.spatial import simulate_spatial_panel

__all__ = [
    "DEMO_SEED",
    "DemoTruth",
    "MediationTruth",
    "simulate_demo_panel",
    "simulate_mediation_panel",
    "simulate_spatial_panel",
]
