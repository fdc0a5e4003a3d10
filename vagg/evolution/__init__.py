"""vagg.evolution (see DESIGN.md)."""
