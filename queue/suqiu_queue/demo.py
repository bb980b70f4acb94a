"""``suqiu demo``: seed a realistic center, run the server, and open whatever apps exist.

On a machine without a display it runs the server and the board and says how to see the rest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from suqiu_queue.server.seed import DEMO_CENTER, DEMO_PASSWORD


def _data_dir(args: argparse.Namespace) -> Path:
    from suqiu_queue.server.settings import Settings

    if args.data_dir:
        return Path(args.data_dir)
    return Settings.load().data_dir


def seed(args: argparse.Namespace) -> dict[str, str]:
    """Seed once; keep device keys in a demo file so re-runs can start the apps again."""
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.migrate import upgrade
    from suqiu_queue.server.seed import seed_demo
    from suqiu_queue.server.settings import Settings

    data_dir = _data_dir(args)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["SUQIU_DATA_DIR"] = str(data_dir)
    settings = Settings.load(database_url=args.database_url)
    os.environ["SUQIU_DATABASE_URL"] = settings.database_url
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        result = seed_demo(session)
    keys_file = data_dir / "demo-devices.env"
    if result.device_keys:
        keys_file.write_text("".join(f"{k.upper()}_KEY={v}\n" for k, v in result.device_keys.items()), encoding="utf-8")
        keys_file.chmod(0o600)
    keys = {}
    if keys_file.exists():
        for line in keys_file.read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition("=")
            keys[name.removesuffix("_KEY").lower()] = value
    print(
        f"演示数据就绪 demo data ready: center {DEMO_CENTER}, {result.employees} employees, database {settings.database_url}"
    )
    return keys


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in ("win32", "darwin")


def run(args: argparse.Namespace) -> int:
    keys = seed(args)
    if args.seed_only:
        return 0
    base = f"http://{args.host}:{args.port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "suqiu_queue.cli",
            "server",
            "--host",
            args.host,
            "--port",
            str(args.port),
            "--no-migrate",
        ],
        env=os.environ.copy(),
    )
    children = [server]
    try:
        _wait_healthy(base, server)
        if getattr(args, "screenshots", None):
            from suqiu_kiosk.screenshots import capture_all

            saved = capture_all(base, keys.get("kiosk", ""), args.screenshots)
            print(f"已保存 {len(saved)} 张自助机截图 saved {len(saved)} kiosk screenshots to {args.screenshots}")
            return 0
        print()
        print("=" * 72)
        print(f" 服务器 Server:        {base}    (API docs: {base}/docs)")
        board_url = f"{base}/board?center={DEMO_CENTER}&key={keys.get('board', '')}"
        print(f" 阳光办理看板 Board:    {board_url}   (宽屏 wide: &layout=wide)")
        print(f" 官员账号 Officer logins (password 密码: {DEMO_PASSWORD}):")
        print("   admin, reception, handler, counselor, legal, supervisor")
        for kind, key in keys.items():
            print(f" {kind:<10} device key: {key}")
        print("=" * 72)
        # The hall announcer needs no screen; without a sound card it logs that and keeps running.
        children.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "suqiu_queue.cli",
                    "announcer",
                    "--center",
                    DEMO_CENTER,
                    "--server",
                    base,
                    "--device-key",
                    keys.get("announcer", ""),
                ]
            )
        )
        print(f" 叫号播报 Announcer: running for center {DEMO_CENTER}")
        for app_name in ("kiosk", "frontdesk"):
            key_args = ["--device-key", keys.get("kiosk", "")] if app_name == "kiosk" else []
            command = " ".join(["suqiu", app_name, "--server", base, *key_args])
            if args.headless or not _has_display():
                print(f" {app_name}: no display here. On a machine with a screen run `{command}`,")
                print(f"          or here `xvfb-run {command}`; for pictures of every kiosk screen:")
                print("          `suqiu demo --headless --screenshots out/` (see docs/screenshots/).")
                continue
            children.append(
                subprocess.Popen([sys.executable, "-m", "suqiu_queue.cli", app_name, "--server", base, *key_args])
            )
        if shutil.which("chromium") and _has_display() and not args.headless:
            children.append(subprocess.Popen(["chromium", "--new-window", board_url]))
        print(" Ctrl+C 结束演示 to stop.")
        server.wait()
        return server.returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def _wait_healthy(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with code {server.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not become healthy within 60 s")
