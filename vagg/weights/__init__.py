"""Spatial weights matrices, shared by the evolution and model layers.

Every builder returns a :class:`libpysal.weights.W` whose ids are the panel's
entity ids (adcodes for Chinese cities), row-standardised unless told
otherwise (``standardise="row" | "spectral" | "none"``, recorded on the W as
``w.vagg_standardise`` and, with the kind, in :func:`describe`).
:func:`to_sparse` aligns any W to a panel's entity order by id, so the order of
rows in the data never matters.

Builders refuse what would give a silently wrong model: a non-square or
non-finite matrix, negative weights, and islands (a unit with no neighbour)
unless told how to treat them (``islands="keep" | "nearest"``).

Modules: :mod:`~vagg.weights.contiguity` (queen, rook, edge lists),
:mod:`~vagg.weights.distance` (inverse distance, band, kNN; great-circle or
projected), :mod:`~vagg.weights.economic` (economic distance, nested,
asymmetric), :mod:`~vagg.weights.files` (GAL/GWT, matrices, edge lists,
boundary files), :mod:`~vagg.weights.bundled` (Guangdong, China) and
:mod:`~vagg.weights.spec` (:func:`from_spec`, for configs).
"""

from vagg.weights._core import STANDARDISATIONS, describe, from_matrix, relabel, spectral_radius, to_sparse
from vagg.weights.bundled import china, guangdong
from vagg.weights.contiguity import contiguity, from_edges
from vagg.weights.distance import (
    EARTH_RADIUS_KM,
    distance_band,
    distance_matrix,
    great_circle_km,
    inverse_distance,
    knn,
)
from vagg.weights.economic import economic, economic_asymmetric, economic_distance, economic_geographic
from vagg.weights.files import read_edges, read_gal_gwt, read_matrix, read_weights, write_gal_gwt, write_matrix
from vagg.weights.spec import KINDS, from_geography, from_spec

__all__ = [
    "EARTH_RADIUS_KM",
    "KINDS",
    "STANDARDISATIONS",
    "china",
    "contiguity",
    "describe",
    "distance_band",
    "distance_matrix",
    "economic",
    "economic_asymmetric",
    "economic_distance",
    "economic_geographic",
    "from_edges",
    "from_geography",
    "from_matrix",
    "from_spec",
    "great_circle_km",
    "guangdong",
    "inverse_distance",
    "knn",
    "read_edges",
    "read_gal_gwt",
    "read_matrix",
    "read_weights",
    "relabel",
    "spectral_radius",
    "to_sparse",
    "write_gal_gwt",
    "write_matrix",
]
