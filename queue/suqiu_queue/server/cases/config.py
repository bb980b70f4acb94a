"""Settings of the closed loop: repeat-appeal threshold, supervision ladder, quiet hours, channels.

They live in the same TOML file as the server settings (``SUQIU_CONFIG`` or ``<data dir>/suqiu.toml``)
under ``[cases]`` and ``[supervision]``; secrets can come from the environment instead
(``SUQIU_SMTP_PASSWORD``, ``SUQIU_WECOM_WEBHOOK``). Example in docs/cases.md::

    [cases]
    repeat_threshold = 0.25

    [supervision]
    quiet_hours = ["22:00", "07:00"]
    ladder = [
      {at = 0.5, level = "remind", notify = ["responsible"]},
      {at = 1.0, level = "breach", notify = ["responsible", "supervisor"]},
    ]
    [supervision.email]
    host = "smtp.example.com"
    port = 465
    ssl = true
    sender = "督办提醒 <duban@example.com>"
    [supervision.wecom]
    webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suqiu_queue.domain.errors import Invalid
from suqiu_queue.domain.similarity import DEFAULT_THRESHOLD
from suqiu_queue.domain.supervision import DEFAULT_LADDER, Ladder, QuietHours

from ..settings import Settings


@dataclass(frozen=True)
class EmailChannel:
    host: str
    port: int = 25
    sender: str = "suqiu@localhost"
    username: str = ""
    password: str = ""
    ssl: bool = False  # SMTPS (465)
    starttls: bool = False
    timeout: float = 10.0


@dataclass(frozen=True)
class WecomChannel:
    """企业微信 group robot: one default webhook, optionally one per center code."""

    webhook: str = ""
    centers: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0

    def url_for(self, center_code: str) -> str:
        return self.centers.get(center_code, self.webhook)


@dataclass(frozen=True)
class LoopConfig:
    repeat_threshold: float = DEFAULT_THRESHOLD
    repeat_pool: int = 1000  # the center's most recent cases compared with a new one (plus the person's own)
    repeat_window_days: int = 365
    repeat_limit: int = 5
    ladder: Ladder = DEFAULT_LADDER
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    email: EmailChannel | None = None
    wecom: WecomChannel | None = None
    # Retries of e-mail and 企业微信 messages before they are marked failed.
    max_attempts: int = 5


def config_path(settings: Settings) -> Path:
    explicit = os.environ.get("SUQIU_CONFIG")
    return Path(explicit) if explicit else Path(settings.data_dir) / "suqiu.toml"


def _invalid(what: str) -> Invalid:
    return Invalid("invalid_config", f"配置文件有误：{what}", f"Invalid configuration: {what}")


def parse(raw: dict[str, Any], env: dict[str, str] | None = None) -> LoopConfig:
    """A :class:`LoopConfig` from the parsed TOML (``[cases]`` and ``[supervision]``) and the environment."""
    env = dict(os.environ) if env is None else env
    cases = raw.get("cases", {}) or {}
    supervision = raw.get("supervision", {}) or {}
    threshold = float(env.get("SUQIU_REPEAT_THRESHOLD", cases.get("repeat_threshold", DEFAULT_THRESHOLD)))
    if not 0 < threshold <= 1:
        raise _invalid(f"repeat_threshold 应在 0 到 1 之间：{threshold}")
    ladder = Ladder.from_list(supervision["ladder"]) if "ladder" in supervision else DEFAULT_LADDER
    quiet = supervision.get("quiet_hours", ["22:00", "07:00"])
    if not isinstance(quiet, list) or len(quiet) != 2:
        raise _invalid("quiet_hours 应为 [开始, 结束]")
    email_raw = dict(supervision.get("email", {}) or {})
    if env.get("SUQIU_SMTP_HOST"):
        email_raw["host"] = env["SUQIU_SMTP_HOST"]
    if env.get("SUQIU_SMTP_PORT"):
        email_raw["port"] = int(env["SUQIU_SMTP_PORT"])
    if env.get("SUQIU_SMTP_PASSWORD"):
        email_raw["password"] = env["SUQIU_SMTP_PASSWORD"]
    email = None
    if email_raw.get("host"):
        known = set(EmailChannel.__dataclass_fields__)
        unknown = sorted(set(email_raw) - known)
        if unknown:
            raise _invalid(f"[supervision.email] 未知字段 {', '.join(unknown)}")
        email = EmailChannel(**email_raw)
    wecom_raw = dict(supervision.get("wecom", {}) or {})
    if env.get("SUQIU_WECOM_WEBHOOK"):
        wecom_raw["webhook"] = env["SUQIU_WECOM_WEBHOOK"]
    wecom = None
    if wecom_raw.get("webhook") or wecom_raw.get("centers"):
        wecom = WecomChannel(
            webhook=str(wecom_raw.get("webhook", "")),
            centers={str(k): str(v) for k, v in (wecom_raw.get("centers") or {}).items()},
            timeout=float(wecom_raw.get("timeout", 10.0)),
        )
    return LoopConfig(
        repeat_threshold=threshold,
        repeat_pool=int(cases.get("repeat_pool", 1000)),
        repeat_window_days=int(cases.get("repeat_window_days", 365)),
        repeat_limit=int(cases.get("repeat_limit", 5)),
        ladder=ladder,
        quiet_hours=QuietHours.parse(str(quiet[0]), str(quiet[1])),
        email=email,
        wecom=wecom,
        max_attempts=int(supervision.get("max_attempts", 5)),
    )


def load(settings: Settings) -> LoopConfig:
    path = config_path(settings)
    raw: dict[str, Any] = {}
    if path.is_file():
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    return parse(raw)


def for_app(state: Any) -> LoopConfig:
    """The app's config, read once (tests and admins' reloads replace ``state.loop_config``)."""
    config = getattr(state, "loop_config", None)
    if config is None:
        config = load(state.settings)
        state.loop_config = config
    return config
