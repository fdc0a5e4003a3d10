"""Loaders, panel validation, id matching and the bundled files (simulators: :mod:`vagg.simulate`)."""

from vagg.data.bundled import (
    DEMO_SEED,
    REGION_GROUPS,
    load_demo_panel,
    load_guangdong,
    load_queen_edges,
    load_seed_table1,
)
from vagg.data.china import (
    CHINA_PROJECTED_CRS,
    MACRO_REGIONS,
    load_census,
    load_china,
    load_china_edges,
    provinces,
)
from vagg.data.ids import IdMatch, match_ids, normalise_id, normalise_ids
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
    "CHINA_PROJECTED_CRS",
    "IdMatch",
    "MACRO_REGIONS",
    "load_census",
    "load_china",
    "load_china_edges",
    "match_ids",
    "normalise_id",
    "normalise_ids",
    "provinces",
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
