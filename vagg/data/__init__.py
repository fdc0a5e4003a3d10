"""Loaders, panel validation and the bundled files (simulators: :mod:`vagg.simulate`)."""

from vagg.data.bundled import (
    DEMO_SEED,
    REGION_GROUPS,
    load_demo_panel,
    load_guangdong,
    load_queen_edges,
    load_seed_table1,
)
from vagg.data.missing import POLICIES, MissingReport, apply_missing_policy
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
    "POLICIES",
    "MissingReport",
    "apply_missing_policy",
    "REGION_GROUPS",
    "DEMO_SEED",
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
    "validate_panel",
]
