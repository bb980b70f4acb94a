"""Answers at rest: AES-256-GCM with a key from ``SUQIU_DATA_KEY`` or a key file in the data dir.

``SUQIU_DATA_KEY`` holds 32 bytes as 64 hex digits or URL-safe base64. Without it, the server
creates ``<data dir>/data.key`` (mode 600) on first use — fine for one server on SQLite; several
replicas must share one key through the environment. Each row records the key's id, so a wrong
key is reported as such instead of as corrupted data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from suqiu_queue.domain.errors import SuqiuError

KEY_ENV = "SUQIU_DATA_KEY"
KEY_FILE = "data.key"
NONCE_BYTES = 12

_lock = threading.Lock()
_cache: dict[tuple[str, str], bytes] = {}


class SealError(SuqiuError):
    status = 500


def parse_key(text: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"{KEY_ENV} must be 32 bytes as 64 hex digits or base64") from exc
    if len(key) != 32:
        raise ValueError(f"{KEY_ENV} must be 32 bytes as 64 hex digits or base64, got {len(key)} bytes")
    return key


def data_key(data_dir: Path) -> bytes:
    env = os.environ.get(KEY_ENV, "")
    cache_key = (env, str(data_dir))
    with _lock:
        if cache_key not in _cache:
            _cache[cache_key] = parse_key(env) if env else _key_file(Path(data_dir) / KEY_FILE)
        return _cache[cache_key]


def _key_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: two processes starting together must not each write a different key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
    return parse_key(path.read_text())


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"suqiu-data-key:" + key).hexdigest()[:16]


def seal(key: bytes, plaintext: bytes, context: str) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context.encode())


def unseal(key: bytes, blob: bytes, context: str, stored_key_id: str) -> bytes:
    if stored_key_id != key_id(key):
        raise SealError(
            "data_key_mismatch",
            "测评答案由另一把数据密钥加密，当前服务器的密钥（SUQIU_DATA_KEY）不对",
            "The answers were sealed with a different data key than this server's SUQIU_DATA_KEY",
        )
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
    except InvalidTag as exc:
        raise SealError("sealed_data_corrupt", "测评答案数据已损坏", "Sealed answers are corrupt") from exc
