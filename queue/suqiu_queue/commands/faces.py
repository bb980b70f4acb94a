"""Face recognition administration from the command line.

    suqiu models install face --from URL|ZIP [--pack buffalo_l] [--sha256 H] [--dest DIR]
    suqiu models install liveness --from URL|FILE [--sha256 H]
    suqiu keys rotate [--new-key-file PATH]     # re-encrypt every sealed row under a new data key
    suqiu faces expire                         # the retention job: for cron or a systemd timer

``models`` is shared with the speech-recognition pack (commands/asr_models.py makes the group).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from .asr_models import models_action


def register(subparsers: Any) -> None:
    install = models_action(subparsers, "install", "install or repair a model pack (every file sha256-checked)")
    face = install.add_parser("face", help="a face pack (insightface-compatible), verified before use")
    face.add_argument("--from", dest="source", required=True, help="https URL or local .zip of the pack")
    face.add_argument("--pack", help="pack name: its catalog pin and folder name (default: the archive's name)")
    face.add_argument("--sha256", help="the pin for a pack the catalog does not know (e.g. a licensed pack)")
    face.add_argument(
        "--dest", type=Path, help="models folder (default: $SUQIU_MODEL_DIR/face or ~/.cache/suqiu/models/face)"
    )
    face.add_argument("--catalog", type=Path, help="catalog of pins (default: install/face-models.json)")
    face.set_defaults(func=cmd_install_face)

    live = install.add_parser("liveness", help="insightface's RGB liveness addon (liveness.onnx)")
    live.add_argument("--from", dest="source", required=True, help="https URL or local liveness.onnx")
    live.add_argument("--sha256", help="override the catalog pin")
    live.add_argument("--dest", type=Path)
    live.add_argument("--catalog", type=Path)
    live.set_defaults(func=cmd_install_liveness)

    keys = subparsers.choices.get("keys") or subparsers.add_parser(
        "keys", help="the data key that seals sensitive data"
    )
    key_actions = _subcommands(keys, "keys_command")
    rotate = key_actions.add_parser("rotate", help="re-encrypt face templates and assessment answers under a new key")
    rotate.add_argument("--new-key-file", type=Path, help="use this key (64 hex digits) instead of a fresh random one")
    rotate.set_defaults(func=cmd_keys_rotate)

    faces = subparsers.add_parser("faces", help="face recognition data (人脸模板)")
    face_actions = faces.add_subparsers(dest="faces_command", required=True)
    expire = face_actions.add_parser("expire", help="delete templates past their retention (run daily)")
    expire.set_defaults(func=cmd_faces_expire)


def _subcommands(parser: argparse.ArgumentParser, dest: str) -> Any:
    """The parser's sub-command group, made if absent: another module may own ``keys`` too."""
    for action in parser._actions:  # argparse has no public handle on an existing group
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=dest, required=True)


# --- models ---------------------------------------------------------------------------------------------------


def _pack_name(args: argparse.Namespace) -> str:
    if args.pack:
        return str(args.pack)
    stem = Path(str(args.source).split("?", 1)[0].rstrip("/")).name
    return stem.removesuffix(".zip") or "face"


def cmd_install_face(args: argparse.Namespace) -> int:
    from suqiu_devices.face.install import ModelInstallError, install_pack

    pack = _pack_name(args)
    try:
        installed = install_pack(args.source, pack=pack, dest=args.dest, sha256=args.sha256, catalog=args.catalog)
    except ModelInstallError as exc:
        print(f"安装失败 (install refused): {exc}", file=sys.stderr)
        return 1
    print(f"人脸模型已就绪 (face models ready): {pack} → {installed.folder}")
    print(f"  sha256 {installed.sha256}; files: {', '.join(installed.files)}")
    print(f'  在取号机配置中设置 (kiosk config): [face] model_dir = "{installed.folder}"')
    return 0


def cmd_install_liveness(args: argparse.Namespace) -> int:
    from suqiu_devices.face.install import ModelInstallError, install_addon

    try:
        path = install_addon(args.source, dest=args.dest, sha256=args.sha256, catalog=args.catalog)
    except ModelInstallError as exc:
        print(f"安装失败 (install refused): {exc}", file=sys.stderr)
        return 1
    print(f"活体检测模型已就绪 (liveness model ready): {path}")
    return 0


# --- keys -------------------------------------------------------------------------------------------------------


def _write_private(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(content)


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """One transaction re-encrypts every sealed row; the new key is on disk before it commits.

    With the key in a file (the default), the file is replaced after the commit. With the key in
    ``SUQIU_DATA_KEY``, the new key is written to ``data.key.new`` for the operator to put into
    every server's environment. Servers must be restarted either way: they cache the key.
    """
    from sqlalchemy import select

    from suqiu_queue.cli import _migrated_sessions, _settings
    from suqiu_queue.server.assessments.models import AssessmentResult
    from suqiu_queue.server.assessments.sealing import KEY_ENV, KEY_FILE, data_key, key_id, parse_key, seal, unseal

    # The assessments area's AES-GCM context; re-sealing must bind answers to the same scale/version.
    from suqiu_queue.server.assessments.service import _context as assessment_context
    from suqiu_queue.server.faces.service import reseal_templates

    settings = _settings(args)
    old = data_key(settings.data_dir)
    new_text = args.new_key_file.read_text().strip() if args.new_key_file else secrets.token_hex(32)
    try:
        new = parse_key(new_text)
    except ValueError as exc:
        print(f"新密钥格式不对 (bad new key): {exc}", file=sys.stderr)
        return 2
    if key_id(new) == key_id(old):
        print("新密钥与当前密钥相同 (the new key is the current key)", file=sys.stderr)
        return 2
    from_env = bool(os.environ.get(KEY_ENV))
    key_file = Path(settings.data_dir) / KEY_FILE
    pending = key_file.with_name(KEY_FILE + ".new")
    _write_private(pending, new_text + "\n")  # on disk before any row depends on it
    sessions = _migrated_sessions(args)
    try:
        with sessions() as session, session.begin():
            templates = reseal_templates(session, old, new)
            answers = 0
            for row in session.scalars(select(AssessmentResult)).all():
                context = assessment_context(row.scale, row.scale_version)
                row.answers_sealed = seal(new, unseal(old, row.answers_sealed, context, row.key_id), context)
                row.key_id = key_id(new)
                answers += 1
    except Exception as exc:
        pending.unlink(missing_ok=True)
        print(f"密钥轮换失败，未做任何更改 (rotation failed, nothing changed): {exc}", file=sys.stderr)
        return 1
    print(
        f"已用新密钥重新加密：人脸模板 {templates} 条，测评答案 {answers} 条 (re-sealed {templates} templates, {answers} answers)"
    )
    if from_env:
        print(f"新密钥在 {pending}：请把它设为每台服务器的 {KEY_ENV} 并重启，然后删除该文件。")
        print(f"New key written to {pending}: set it as {KEY_ENV} on every server, restart them, then delete the file.")
    else:
        pending.replace(key_file)
        print(f"密钥文件已更新 (key file replaced): {key_file}；请重启服务器 (restart the servers)。")
    return 0


# --- retention -------------------------------------------------------------------------------------------------


def cmd_faces_expire(args: argparse.Namespace) -> int:
    from suqiu_queue.cli import _migrated_sessions, _settings
    from suqiu_queue.server.db import utcnow
    from suqiu_queue.server.faces import config, service

    settings = _settings(args)
    face_config = config.load(settings)
    sessions = _migrated_sessions(args)
    with sessions() as session, session.begin():
        report = service.expire(session, now=utcnow(), config=face_config)
    service.scrub_storage(sessions.kw["bind"])
    print(
        f"人脸模板保留期检查完成：超期 {report.expired}，离职 {report.left_enterprise}，"
        f"未确认 {report.unconfirmed}，删除模板 {report.templates_deleted} "
        f"(expired {report.expired}, left {report.left_enterprise}, unconfirmed {report.unconfirmed}, "
        f"templates deleted {report.templates_deleted}, matches purged {report.matches_purged})"
    )
    return 0
