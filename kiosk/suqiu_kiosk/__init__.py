"""suqiu_kiosk."""
