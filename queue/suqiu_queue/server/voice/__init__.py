"""Voice messages (语音留言): recordings a visitor leaves at the kiosk, attached to the ticket and its case."""
