"""FAQ (常见问题) knowledge base: entries, ranking, kiosk outcome counts."""
