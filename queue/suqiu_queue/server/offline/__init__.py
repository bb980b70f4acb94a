"""Offline number blocks leased by kiosks, and the upload of tickets issued while offline."""
