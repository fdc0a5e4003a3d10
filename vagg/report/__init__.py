"""vagg.report (see DESIGN.md)."""
