"""Suqiu's backbone: domain rules, the server, the HTTP client and the `suqiu` command."""

__version__ = "0.1.0"
