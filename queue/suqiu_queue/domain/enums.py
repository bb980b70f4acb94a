"""The closed vocabularies of the center, named as in the glossary (docs/glossary.md)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Lane(StrEnum):
    """通道: how urgently a ticket must be served."""

    NORMAL = "normal"
    PRIORITY = "priority"  # 长辈·残障
    URGENT = "urgent"
    CRISIS = "crisis"


LANE_LABELS_ZH: dict[Lane, str] = {
    Lane.NORMAL: "普通",
    Lane.PRIORITY: "长辈·残障优先",
    Lane.URGENT: "紧急",
    Lane.CRISIS: "危机",
}


class TicketState(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"  # transient marker kept only in the timeline; see queueing.py
    PARKED = "parked"
    CANCELLED = "cancelled"


class CaseState(StrEnum):
    """受理 → 分流 → 办理 → 反馈 → 评价 → 归档."""

    ACCEPTED = "accepted"
    ROUTED = "routed"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    RATED = "rated"
    ARCHIVED = "archived"


CASE_STATE_LABELS_ZH: dict[CaseState, str] = {
    CaseState.ACCEPTED: "受理",
    CaseState.ROUTED: "分流",
    CaseState.IN_PROGRESS: "办理",
    CaseState.ANSWERED: "反馈",
    CaseState.RATED: "评价",
    CaseState.ARCHIVED: "归档",
}


class Channel(StrEnum):
    VISIT = "visit"  # 来访
    LETTER = "letter"  # 来信
    PHONE = "phone"  # 来电
    ONLINE = "online"  # 网上


CHANNEL_LABELS_ZH: dict[Channel, str] = {
    Channel.VISIT: "来访",
    Channel.LETTER: "来信",
    Channel.PHONE: "来电",
    Channel.ONLINE: "网上",
}


class Role(StrEnum):
    """Officer roles. Devices are not roles: they authenticate with keys (DeviceKind)."""

    RECEPTION = "reception"
    HANDLER = "handler"
    COUNSELOR = "counselor"
    LEGAL = "legal"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class DeviceKind(StrEnum):
    KIOSK = "kiosk"
    BOARD = "board"
    ANNOUNCER = "announcer"


class OrgLevel(IntEnum):
    """单位 levels: 总部 / 二级单位 / 基层单位."""

    HEADQUARTERS = 1
    SECOND_LEVEL = 2
    GRASSROOTS = 3
