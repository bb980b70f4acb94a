"""Consent-based face recognition: consent records, encrypted templates, enrol/confirm/match/withdraw."""
