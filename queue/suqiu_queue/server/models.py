"""Every table, imported once so the metadata (and Alembic) sees them all.

Each area folder's ``models.py`` is imported here automatically, so a new area only adds files.
"""

import importlib
import pkgutil

from suqiu_queue import server

from .accounts.models import Device, ServerSecret, User
from .audit.models import AuditEntry
from .cases.models import Case, CaseTimeline
from .db import Base
from .events.models import Event
from .org.models import Category, Center, Counter, OrgUnit, counter_categories
from .people.models import Employee
from .tickets.models import NumberSequence, Ticket

for _info in sorted(pkgutil.iter_modules(server.__path__), key=lambda m: m.name):
    if _info.ispkg:
        try:
            importlib.import_module(f"suqiu_queue.server.{_info.name}.models")
        except ModuleNotFoundError as _exc:
            if _exc.name != f"suqiu_queue.server.{_info.name}.models":
                raise

__all__ = [
    "AuditEntry",
    "Base",
    "Case",
    "CaseTimeline",
    "Category",
    "Center",
    "Counter",
    "Device",
    "Employee",
    "Event",
    "NumberSequence",
    "OrgUnit",
    "ServerSecret",
    "Ticket",
    "User",
    "counter_categories",
]
