"""Loaders, panel validation, bundled Guangdong files and simulators."""

from vagg.data.bundled import (
    REGION_GROUPS,
    load_demo_panel,
    load_guangdong,
    load_queen_edges,
    load_seed_table1,
)
from vagg.data.demo import DEMO_SEED, DemoTruth, simulate_demo_panel
from vagg.data.simulate_mediation import MediationTruth, simulate_mediation_panel
from vagg.data.simulate_spatial import simulate_spatial_panel
from vagg.data.panel import (
    check_columns,
    check_panel_index,
    missing_city_years,
    panel_from_frame,
    panel_summary,
    read_panel,
    validate_panel,
)

__all__ = [
    "REGION_GROUPS",
    "DEMO_SEED",
    "DemoTruth",
    "MediationTruth",
    "check_columns",
    "check_panel_index",
    "load_demo_panel",
    "load_guangdong",
    "load_queen_edges",
    "load_seed_table1",
    "missing_city_years",
    "panel_from_frame",
    "panel_summary",
    "read_panel",
    "simulate_demo_panel",
    "simulate_mediation_panel",
    "simulate_spatial_panel",
    "validate_panel",
]
