"""Server settings from the environment, optionally from a TOML config file.

Precedence: environment variable > config file (``SUQIU_CONFIG`` or ``<data dir>/suqiu.toml``)
> default. Documented in docs/configuration.md.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "suqiu"


@dataclass
class Settings:
    database_url: str = ""
    data_dir: Path = field(default_factory=default_data_dir)
    # Largest request body the API accepts (bytes); uploads that need more have their own limit.
    max_body_bytes: int = 1_000_000
    token_ttl_minutes: int = 12 * 60
    # Officer login throttling: this many failures in a window locks the account for the window.
    login_max_failures: int = 5
    login_window_minutes: int = 15
    log_level: str = "info"
    # Database connections per server process, and as many requests served at once per process:
    # more would only queue for a connection, and a pool that overflows opens and closes
    # PostgreSQL connections (a process each) under load. Workers × this ≤ max_connections.
    db_pool_size: int = 20
    # Ticket issue answered ahead of the framework's routing (tickets/fast.py); off only to compare.
    ticket_fast_path: bool = True
    # How many recent service durations feed the wait estimate.
    wait_sample_size: int = 30
    # The in-server scheduler (server/scheduler/): on for `suqiu server`, `SUQIU_SCHEDULER=0` turns it off.
    scheduler: bool = True
    # Overrides of the scheduler's job intervals: "crisis_escalation=30,supervision=off" (seconds or off).
    scheduler_jobs: str = ""
    # A crisis alert nobody acknowledged for this long goes to the supervisors (危机预警上报).
    crisis_escalation_minutes: float = 5.0

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {}
        config_path = os.environ.get("SUQIU_CONFIG")
        data_dir = Path(os.environ.get("SUQIU_DATA_DIR") or default_data_dir())
        path = Path(config_path) if config_path else data_dir / "suqiu.toml"
        if path.is_file():
            with path.open("rb") as fh:
                values.update(tomllib.load(fh).get("server", {}))
        for f in fields(cls):
            env = os.environ.get(f"SUQIU_{f.name.upper()}")
            if env is not None:
                values[f.name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls()
        for f in fields(cls):
            if f.name in values:
                current = getattr(settings, f.name)
                raw = values[f.name]
                if isinstance(current, Path):
                    raw = Path(str(raw))
                elif isinstance(current, bool):  # before int: a bool is an int to isinstance
                    raw = _flag(raw)
                elif isinstance(current, int):
                    raw = int(str(raw))
                elif isinstance(current, float):
                    raw = float(str(raw))
                setattr(settings, f.name, raw)
        if not settings.database_url:
            settings.database_url = f"sqlite:///{settings.data_dir / 'suqiu.db'}"
        return settings

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _flag(value: object) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case), or a TOML boolean."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a yes/no setting: {value!r}")
