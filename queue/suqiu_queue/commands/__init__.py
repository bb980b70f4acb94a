"""Extra ``suqiu`` subcommands. Each module here defines ``register(subparsers)``; cli.py finds them.

Keeping each area's commands in its own module lets areas grow without editing cli.py.
"""
