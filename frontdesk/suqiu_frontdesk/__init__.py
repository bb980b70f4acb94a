"""suqiu_frontdesk."""
