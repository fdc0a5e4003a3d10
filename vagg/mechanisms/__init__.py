"""Mechanisms: indicator systems, composite indices, synergy outcomes and flow networks.

Build the key variables of the analysis from raw indicators:

- :class:`IndicatorSystem` (dimensions -> indicators, from TOML; bundled
  ``virtual_agglomeration``, ``industrial_synergy`` and ``construction``);
- weights and scores: :func:`entropy_weights`, :func:`critic_weights`,
  :func:`equal_weights`, :func:`normalise`, :func:`topsis`, :func:`pca_index`, and
  :func:`composite_index` (overall score, weights, dimension sub-indices);
- :func:`index_table` (Table 1 layout) and :func:`audit_ranking`;
- synergy: :func:`coupling_coordination`, :func:`location_quotient`,
  :func:`coagglomeration`, :func:`structure_similarity`, :func:`synergy_outcome`;
- :func:`obstacle_degree` and :func:`top_obstacles` (which indicators hold an index back);
- networks: :func:`gravity_network`, :func:`flow_networks`,
  :func:`centrality`, :func:`coreness`, :func:`network_mediators`.
"""

from vagg.mechanisms.agglomeration import coagglomeration, location_quotient, structure_similarity
from vagg.mechanisms.composite import METHODS, IndexResult, composite_index
from vagg.mechanisms.coupling import COORDINATION_LEVELS, coordination_level, coupling_coordination
from vagg.mechanisms.indicators import BUNDLED_SYSTEMS, Indicator, IndicatorSystem, as_system, bundled_system_path
from vagg.mechanisms.networks import centrality, coreness, flow_networks, gravity_network, great_circle_distances
from vagg.mechanisms.obstacle import ObstacleResult, obstacle_degree, top_obstacles
from vagg.mechanisms.outcomes import DEFAULT_CHANNELS, network_mediators, synergy_outcome
from vagg.mechanisms.pca import PCAIndex, bartlett_sphericity, kmo, pca_index
from vagg.mechanisms.ranking import audit_ranking, index_table
from vagg.mechanisms.topsis import topsis
from vagg.mechanisms.weighting import critic_weights, entropy_weights, equal_weights, normalise

__all__ = [
    "BUNDLED_SYSTEMS",
    "COORDINATION_LEVELS",
    "DEFAULT_CHANNELS",
    "METHODS",
    "Indicator",
    "IndicatorSystem",
    "IndexResult",
    "ObstacleResult",
    "PCAIndex",
    "as_system",
    "audit_ranking",
    "bartlett_sphericity",
    "bundled_system_path",
    "centrality",
    "coagglomeration",
    "composite_index",
    "coordination_level",
    "coreness",
    "coupling_coordination",
    "critic_weights",
    "entropy_weights",
    "equal_weights",
    "flow_networks",
    "gravity_network",
    "great_circle_distances",
    "index_table",
    "kmo",
    "location_quotient",
    "network_mediators",
    "normalise",
    "obstacle_degree",
    "pca_index",
    "structure_similarity",
    "synergy_outcome",
    "top_obstacles",
    "topsis",
]
