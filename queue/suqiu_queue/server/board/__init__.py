"""board area."""
