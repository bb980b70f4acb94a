"""Every table, imported once so the metadata (and Alembic) sees them all."""

from .accounts.models import Device, ServerSecret, User
from .audit.models import AuditEntry
from .cases.models import Case, CaseTimeline
from .db import Base
from .events.models import Event
from .org.models import Category, Center, Counter, OrgUnit, counter_categories
from .people.models import Employee
from .tickets.models import NumberSequence, Ticket

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
