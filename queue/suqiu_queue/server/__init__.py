"""The FastAPI server: persistence, policy, events. One folder per area."""
