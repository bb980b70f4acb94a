"""Pure rules of the service center.

Nothing here imports a framework or another ``suqiu_*`` package (checked by import-linter), so
anyone can read and test the rules without a database, a server or a screen.
"""
