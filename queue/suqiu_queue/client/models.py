"""Typed results. Each keeps the raw JSON in ``raw`` so newer server fields are never lost."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Ticket:
    id: int
    display: str
    center: str
    center_name: str
    category: str
    category_name: str
    lane: str
    state: str
    issued_at: datetime
    people_ahead: int
    estimated_wait_minutes: int
    counter_number: int | None
    status_token: str
    print_failed: bool
    identified: bool
    created: bool
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ticket:
        return cls(
            id=int(data["id"]),
            display=data["display"],
            center=data.get("center", ""),
            center_name=data.get("center_name", ""),
            category=data["category"],
            category_name=data.get("category_name", ""),
            lane=data.get("lane", "normal"),
            state=data["state"],
            issued_at=_dt(data["issued_at"]) or datetime.min,
            people_ahead=int(data.get("people_ahead", 0)),
            estimated_wait_minutes=int(data.get("estimated_wait_minutes", 0)),
            counter_number=data.get("counter_number"),
            status_token=data.get("status_token", ""),
            print_failed=bool(data.get("print_failed", False)),
            identified=bool(data.get("identified", False)),
            created=bool(data.get("created", True)),
            raw=data,
        )


@dataclass(frozen=True)
class Category:
    code: str
    prefix: str
    name: str
    name_en: str
    description: str
    description_en: str
    icon: str
    default_lane: str
    active: bool
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Category:
        return cls(
            code=data["code"],
            prefix=data["prefix"],
            name=data["name"],
            name_en=data.get("name_en", ""),
            description=data.get("description", ""),
            description_en=data.get("description_en", ""),
            icon=data.get("icon", ""),
            default_lane=data.get("default_lane", "normal"),
            active=bool(data.get("active", True)),
            raw=data,
        )


@dataclass(frozen=True)
class WaitingInfo:
    category: str
    name: str
    name_en: str
    waiting: int
    estimated_wait_minutes: int
    open_counters: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WaitingInfo:
        return cls(
            category=data["category"],
            name=data.get("name", ""),
            name_en=data.get("name_en", ""),
            waiting=int(data["waiting"]),
            estimated_wait_minutes=int(data["estimated_wait_minutes"]),
            open_counters=int(data.get("open_counters", 0)),
        )


@dataclass(frozen=True)
class Identity:
    """What the kiosk may show: the masked name for the person to confirm."""

    employee_no: str
    masked_name: str


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    username: str
    display_name: str
    role: str
    center: str | None


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    center_id: int | None
    payload: dict[str, Any]
    created_at: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        return cls(
            int(data["id"]), data["kind"], data.get("center_id"), data.get("payload") or {}, data.get("created_at", "")
        )
