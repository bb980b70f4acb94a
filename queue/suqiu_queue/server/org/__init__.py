"""org area."""
