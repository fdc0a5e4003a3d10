"""vagg.models (see DESIGN.md)."""
