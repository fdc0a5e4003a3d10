"""vagg.mechanisms (see DESIGN.md)."""
