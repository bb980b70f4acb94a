"""The ``suqiu`` command: accounts, device keys, audit verification, migrations."""

from __future__ import annotations

import io
import shutil
import stat
import tomllib
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from support import World

from suqiu_queue.cli import main as suqiu
from suqiu_queue.server import migrate
from suqiu_queue.server.accounts.models import Device, User
from suqiu_queue.server.db import make_engine
from suqiu_queue.server.security import key_digest, verify_password

# Tests where the database plays no part (validation, messages, argument handling) run on SQLite
# only; everything that depends on storage, transactions or concurrency runs on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@SQLITE_ONLY
def test_user_add_reads_the_password_from_stdin(
    migrated_engine: Engine,
    sessions: sessionmaker[Session],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-very-long-password\n"))
    code = suqiu(
        [
            "--database-url",
            url_of(migrated_engine),
            "user",
            "add",
            "--username",
            "liuxm",
            "--role",
            "reception",
            "--name",
            "刘晓梅",
            "--center",
            "T1",
            "--password-stdin",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "已创建账号 liuxm" in out
    assert "a-very-long-password" not in out
    with sessions() as session:
        user = session.scalar(select(User).where(User.username == "liuxm"))
        assert user is not None
        assert (user.display_name, user.role, user.center_id) == ("刘晓梅", "reception", world.center_id)
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, "a-very-long-password")  # the newline is not part of it


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("extra", "stdin", "message"),
    [
        (["--center", "T1"], "short\n", "密码至少 8 位"),
        (["--center", "NOPE"], "a-very-long-password\n", "找不到服务中心"),
    ],
    ids=["weak-password", "unknown-center"],
)
def test_user_add_refuses_with_a_readable_message(
    migrated_engine: Engine,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    stdin: str,
    message: str,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    args = ["--database-url", url_of(migrated_engine), "user", "add", "--username", "x1", "--role", "handler"]
    assert suqiu([*args, *extra, "--password-stdin"]) == 2
    assert message in capsys.readouterr().err


@SQLITE_ONLY
def test_device_add_prints_the_key_once_and_writes_a_private_config(
    migrated_engine: Engine,
    sessions: sessionmaker[Session],
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "etc" / "kiosk.toml"
    code = suqiu(
        [
            "--database-url",
            url_of(migrated_engine),
            "device",
            "add",
            "--center",
            "T1",
            "--kind",
            "kiosk",
            "--name",
            "大厅1号机",
            "--write-config",
            str(config),
            "--server-url",
            "https://suqiu.example.cn",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    keys = [line for line in out.splitlines() if line.startswith("sqk_")]
    assert len(keys) == 1
    key = keys[0]
    assert out.count(key) == 1  # shown once, and only the key line shows it
    assert "只显示这一次" in out

    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    written = tomllib.loads(config.read_text(encoding="utf-8"))["device"]
    assert written == {"server": "https://suqiu.example.cn", "key": key, "center": "T1", "kind": "kiosk"}

    with sessions() as session:
        device = session.scalar(select(Device).where(Device.name == "大厅1号机"))
        assert device is not None
        assert device.key_hash == key_digest(key)  # only the digest is stored
        assert key not in device.key_hash


@SQLITE_ONLY
def test_device_add_tightens_an_existing_config_file(
    migrated_engine: Engine, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "board.toml"
    config.write_text("old contents", encoding="utf-8")
    config.chmod(0o644)
    args = ["device", "add", "--center", "T1", "--kind", "board", "--write-config", str(config)]
    assert suqiu(["--database-url", url_of(migrated_engine), *args]) == 0
    capsys.readouterr()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "old contents" not in config.read_text(encoding="utf-8")


@SQLITE_ONLY
def test_audit_verify_on_an_intact_log(
    migrated_engine: Engine, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert suqiu(["--database-url", url_of(migrated_engine), "audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "审计日志完整" in out
    assert f"{len(world.usernames) + 4} rows" in out  # one officer per role and four devices were created


def test_db_upgrade_and_current(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    head = migrate.head_revision()
    assert suqiu(["--database-url", db_url, "db", "current"]) == 0
    assert capsys.readouterr().out.strip() == f"current=None head={head}"
    assert suqiu(["--database-url", db_url, "db", "upgrade"]) == 0
    assert f"数据库已升级到 {head}" in capsys.readouterr().out
    assert suqiu(["--database-url", db_url, "db", "current"]) == 0
    assert capsys.readouterr().out.strip() == f"current={head} head={head}"


def test_db_commands_cope_with_unmerged_branches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Areas add migrations off the same parent until the lead linearises them: two heads at once."""
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "zz_branch_test.py").write_text(
        '"""a second branch off 0001, as another area would add"""\n'
        'revision = "zz_branch_test"\ndown_revision = "0001"\nbranch_labels = None\ndepends_on = None\n\n\n'
        "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(migrate, "MIGRATIONS", scripts)
    heads = sorted(ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads())
    assert len(heads) >= 2 and "zz_branch_test" in heads

    url = f"sqlite:///{tmp_path / 'branches.db'}"
    assert suqiu(["--database-url", url, "db", "upgrade"]) == 0
    capsys.readouterr()
    assert suqiu(["--database-url", url, "db", "current"]) == 0
    assert capsys.readouterr().out.strip() == f"current={','.join(heads)} head={','.join(heads)}"
    engine = make_engine(url)
    assert migrate.current_revision(engine) == ",".join(heads)
    engine.dispose()
