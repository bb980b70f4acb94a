"""Settings of the self-assessment at the kiosk: the ``[assessment]`` table of ``kiosk.toml``::

[assessment]
enabled = true                       # false: the kiosk offers no 心理自测 (e.g. no counselor on site)
center = "HQ"                        # where a crisis-lane ticket is issued (the kiosk's center)
counselor_on_duty = "王老师"          # shown on the crisis screen; default 值班心理咨询师
local_hotline = "0571-85029595"      # the city's psychological aid line, if the site has one
local_hotline_name = "杭州市心理援助热线"
care_place = "4 号窗口（心理关爱工作室）"  # where to find a counselor in this center
idle_seconds = 90                    # no touch this long: answers are forgotten, back to start
crisis_idle_seconds = 300            # the crisis screen waits longer for the counselor
issue_crisis_ticket = true           # false: the kiosk issues it on crisis_ticket_requested
                                     # (inside ``suqiu kiosk`` the kiosk always issues and prints it)
past_results = true                  # an identified person may look at their own earlier results
mine_idle_seconds = 60               # that list (and its privacy screen) closes after this long untouched
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

# 全国统一心理援助热线, in service nationwide since 2025-01-01 (24 hours).
NATIONAL_HOTLINE = "12356"
DEFAULT_COUNSELOR = "值班心理咨询师"


@dataclass
class AssessmentConfig:
    enabled: bool = True  # the kiosk shows its 心理自测 entry
    center: str = ""
    counselor_on_duty: str = DEFAULT_COUNSELOR
    national_hotline: str = NATIONAL_HOTLINE
    local_hotline: str = ""
    local_hotline_name: str = "本地心理援助热线"
    care_place: str = "心理关爱窗口"
    care_category: str = "care"
    idle_seconds: float = 90.0
    crisis_idle_seconds: float = 300.0
    alert_retry_seconds: float = 5.0  # the crisis alert could not be sent: try again this often
    issue_crisis_ticket: bool = True
    speech_rate: float = 1.0
    past_results: bool = True  # 查看我以前的自测结果, for a person the kiosk identified
    mine_idle_seconds: float = 60.0

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any] | None, **overrides: Any) -> AssessmentConfig:
        """From the ``[assessment]`` table (unknown keys are an error, so a typo is not silently ignored)."""
        config = cls()
        known = {f.name: f for f in fields(cls)}
        for name, value in {**(table or {}), **overrides}.items():
            if name not in known:
                raise ValueError(f"[assessment] 未知的设置 unknown setting: {name}")
            current = getattr(config, name)
            setattr(config, name, type(current)(value) if not isinstance(current, bool) else bool(value))
        return config
