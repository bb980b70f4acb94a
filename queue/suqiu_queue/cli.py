"""The ``suqiu`` command: server, database, accounts, devices, people, audit, demo.

Each subcommand imports what it needs when it runs, so ``suqiu --help`` stays fast and the
server's dependencies are not loaded by the apps.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Handler = Callable[[argparse.Namespace], int]


def _settings(args: argparse.Namespace) -> Any:
    from suqiu_queue.server.settings import Settings

    return Settings.load(database_url=getattr(args, "database_url", None))


def _engine(args: argparse.Namespace) -> Any:
    from suqiu_queue.server.db import make_engine

    return make_engine(_settings(args).database_url)


def _migrated_sessions(args: argparse.Namespace) -> Any:
    from suqiu_queue.server.db import make_sessionmaker
    from suqiu_queue.server.migrate import upgrade

    engine = _engine(args)
    upgrade(engine)
    return make_sessionmaker(engine)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


# --- server and database ----------------------------------------------------------------------


def cmd_server(args: argparse.Namespace) -> int:
    import uvicorn

    from suqiu_queue.server.migrate import upgrade

    settings = _settings(args)
    if not args.no_migrate:
        from suqiu_queue.server.db import make_engine

        engine = make_engine(settings.database_url)
        upgrade(engine)
        engine.dispose()
    os.environ["SUQIU_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        "suqiu_queue.server.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=args.access_log,
        timeout_graceful_shutdown=3,
    )
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from suqiu_queue.server.migrate import current_revision, head_revision, upgrade

    engine = _engine(args)
    if args.db_command == "upgrade":
        upgrade(engine, args.revision)
        print(f"数据库已升级到 {current_revision(engine)} (database at revision {current_revision(engine)})")
    else:
        print(f"current={current_revision(engine)} head={head_revision()}")
    return 0


# --- accounts and devices -----------------------------------------------------------------------


def cmd_user_add(args: argparse.Namespace) -> int:
    from suqiu_queue.domain.errors import SuqiuError
    from suqiu_queue.server.accounts.service import create_user
    from suqiu_queue.server.org.service import center_by_code

    password = args.password
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not password:
        password = getpass.getpass("密码 Password: ")
    sessions = _migrated_sessions(args)
    try:
        with sessions() as session, session.begin():
            center = center_by_code(session, args.center) if args.center else None
            user = create_user(
                session,
                username=args.username,
                password=password,
                role=args.role,
                display_name=args.name or args.username,
                center=center,
                actor="cli",
            )
            print(f"已创建账号 {user.username}（{user.role}） created user {user.username} ({user.role})")
    except SuqiuError as exc:
        return _fail(f"{exc.message} ({exc.message_en})")
    return 0


def cmd_device_add(args: argparse.Namespace) -> int:
    from suqiu_queue.domain.errors import SuqiuError
    from suqiu_queue.server.accounts.service import create_device
    from suqiu_queue.server.org.service import center_by_code

    sessions = _migrated_sessions(args)
    try:
        with sessions() as session, session.begin():
            center = center_by_code(session, args.center)
            device, key = create_device(session, center=center, kind=args.kind, name=args.name or "", actor="cli")
    except SuqiuError as exc:
        return _fail(f"{exc.message} ({exc.message_en})")
    print(f"设备 #{device.id}（{device.kind}，{args.center}）的密钥只显示这一次，请妥善保存：")
    print(f"Device #{device.id} key (shown once):")
    print(key)
    if args.write_config:
        path = Path(args.write_config)
        path.parent.mkdir(parents=True, exist_ok=True)
        values = {"server": args.server_url, "key": key, "center": args.center, "kind": device.kind}
        # JSON strings are valid TOML basic strings, so a quote in a value cannot break the file.
        text = "[device]\n" + "".join(
            f"{name} = {json.dumps(value, ensure_ascii=False)}\n" for name, value in values.items()
        )
        # Created 0600 from the first byte (and tightened if it already existed): the key is a secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"已写入配置文件 written to {path}")
    return 0


# --- people ---------------------------------------------------------------------------------------


def cmd_people_import(args: argparse.Namespace) -> int:
    from suqiu_queue.server.people.importing import ImportFailed, import_csv

    sessions = _migrated_sessions(args)
    try:
        with sessions() as session, session.begin():
            report = import_csv(session, Path(args.file), actor="cli")
    except ImportFailed as exc:
        print(
            f"导入失败，未写入任何数据 (import refused, nothing was written): {len(exc.errors)} 处错误", file=sys.stderr
        )
        for err in exc.errors[:200]:
            print(f"  第 {err.line} 行 line {err.line}: {err.message}", file=sys.stderr)
        return 1
    print(
        f"导入完成：新增 {report.created}，更新 {report.updated}，未变 {report.unchanged} (created/updated/unchanged)"
    )
    return 0


def cmd_people_sync(args: argparse.Namespace) -> int:
    from suqiu_queue.server.people.hr_sync import HrSyncError, sync_from_http

    sessions = _migrated_sessions(args)
    try:
        with sessions() as session, session.begin():
            report = sync_from_http(
                session, args.url, token=args.token, actor="cli", deactivate_missing=args.deactivate_missing
            )
    except HrSyncError as exc:
        return _fail(f"人事目录同步失败，未写入任何数据 (HR sync failed, nothing written): {exc}")
    print(f"同步完成：新增 {report.created}，更新 {report.updated}，停用 {report.deactivated}，未变 {report.unchanged}")
    return 0


# --- audit ----------------------------------------------------------------------------------------


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from suqiu_queue.server.audit.service import verify
    from suqiu_queue.server.db import make_sessionmaker

    with make_sessionmaker(_engine(args))() as session:
        result = verify(session)
    if result.ok:
        print(f"审计日志完整：{result.checked} 条记录校验通过 (audit chain intact: {result.checked} rows)")
        return 0
    print(
        f"审计日志被篡改！第一条异常记录 id={result.first_bad_id}：{result.reason} (audit chain BROKEN)",
        file=sys.stderr,
    )
    return 1


# --- seed and demo --------------------------------------------------------------------------------


def cmd_seed(args: argparse.Namespace) -> int:
    from suqiu_queue.server.seed import seed_categories

    sessions = _migrated_sessions(args)
    with sessions() as session, session.begin():
        added = seed_categories(session)
    print(f"已添加 {added} 个业务类别 (categories added: {added})")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from suqiu_queue import demo

    return demo.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="suqiu", description="Suqiu 职工诉求服务中心")
    parser.add_argument("--database-url", help="overrides SUQIU_DATABASE_URL")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("server", help="run the API server (migrates the database first)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (PostgreSQL for more than one)")
    p.add_argument("--log-level", default="info")
    p.add_argument("--access-log", action="store_true")
    p.add_argument("--no-migrate", action="store_true")
    p.set_defaults(func=cmd_server)

    p = sub.add_parser("db", help="database migrations")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade")
    up.add_argument("revision", nargs="?", default="heads")
    dbsub.add_parser("current")
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("user", help="officer accounts")
    usub = p.add_subparsers(dest="user_command", required=True)
    add = usub.add_parser("add", help="create an officer account")
    add.add_argument("--username", required=True)
    add.add_argument(
        "--role", required=True, choices=["reception", "handler", "counselor", "legal", "supervisor", "admin"]
    )
    add.add_argument("--name", help="display name, e.g. 刘晓梅")
    add.add_argument("--center", help="center code the officer works at (omit for enterprise-wide)")
    add.add_argument("--password", help="prefer --password-stdin or the prompt")
    add.add_argument("--password-stdin", action="store_true")
    add.set_defaults(func=cmd_user_add)

    p = sub.add_parser("device", help="device keys for kiosks, boards and announcers")
    dsub = p.add_subparsers(dest="device_command", required=True)
    add = dsub.add_parser("add", help="create a device key (printed once)")
    add.add_argument("--center", required=True)
    add.add_argument("--kind", required=True, choices=["kiosk", "board", "announcer"])
    add.add_argument("--name")
    add.add_argument("--write-config", metavar="PATH", help="also write a device config file (mode 600)")
    add.add_argument("--server-url", default="http://127.0.0.1:8000")
    add.set_defaults(func=cmd_device_add)

    p = sub.add_parser("people", help="employees")
    psub = p.add_subparsers(dest="people_command", required=True)
    imp = psub.add_parser("import", help="import employees from CSV (all rows or none)")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_people_import)
    syn = psub.add_parser("sync", help="sync employees from an HR directory over HTTP")
    syn.add_argument("--url", required=True)
    syn.add_argument("--token")
    syn.add_argument("--deactivate-missing", action="store_true")
    syn.set_defaults(func=cmd_people_sync)

    p = sub.add_parser("audit", help="audit log")
    asub = p.add_subparsers(dest="audit_command", required=True)
    asub.add_parser("verify", help="check the hash chain").set_defaults(func=cmd_audit_verify)

    p = sub.add_parser("seed", help="load shipped seed data (categories)")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("demo", help="seed demo data, run the server and the apps")
    p.add_argument("--seed-only", action="store_true")
    p.add_argument("--headless", action="store_true", help="no windows: server and board only")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", default=None, help="where the demo database lives (default: SUQIU_DATA_DIR)")
    p.add_argument(
        "--screenshots", metavar="DIR", help="drive scripted kiosk visits, save a PNG of every kiosk screen, then stop"
    )
    p.set_defaults(func=cmd_demo)

    _register_command_modules(sub)
    return parser


def _register_command_modules(sub: Any) -> None:
    import importlib
    import pkgutil

    from suqiu_queue import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"suqiu_queue.commands.{info.name}")
        module.register(sub)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.func
    return handler(args)


def dump_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    sys.exit(main())
