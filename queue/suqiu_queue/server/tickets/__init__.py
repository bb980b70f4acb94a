"""tickets area."""
