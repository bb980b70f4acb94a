"""suqiu_devices."""
