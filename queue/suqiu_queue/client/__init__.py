"""The HTTP client the apps use (requests): see client/api.py and client/events.py."""
