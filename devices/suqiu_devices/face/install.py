"""Installing a face model pack from a URL or a local zip, verified before anything is unpacked.

    install_pack("https://.../buffalo_l.zip", pack="buffalo_l")           # pinned in the catalog
    install_pack("/media/usb/licensed_pack.zip", pack="acme", sha256=H)   # a site's own pin

1. The archive's SHA-256 is computed while it downloads (or from the file) and compared with the
   pin — ``--sha256`` or the catalog (``install/face-models.json``). No pin, no install; a
   mismatch deletes the download and refuses.
2. Only ``*.onnx`` members are unpacked, flat, into a fresh folder next to the target; per-file
   pins in the catalog are checked too; then the folder is renamed into place in one step.
3. ``pack.json`` beside the models records what was installed, from where, and under which
   licence, for the next person who wonders.

Nothing here runs at kiosk start: the engine only reads the folder (``models.find_pack``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

CATALOG_ENV = "SUQIU_FACE_MODELS_CATALOG"
MAX_ARCHIVE_BYTES = 2_000_000_000
MAX_UNPACKED_BYTES = 3_000_000_000
PACK_FILE = "pack.json"


class ModelInstallError(Exception):
    pass


@dataclass(frozen=True)
class Installed:
    folder: Path
    sha256: str
    files: list[str]


def models_root() -> Path:
    """``SUQIU_MODEL_DIR`` or ``~/.cache/suqiu/models`` (shared with the speech models); faces go in ``face/``."""
    configured = os.environ.get("SUQIU_MODEL_DIR")
    return (Path(configured) if configured else Path.home() / ".cache" / "suqiu" / "models") / "face"


def catalog_path(explicit: str | Path | None = None) -> Path:
    candidates = [Path(explicit)] if explicit else []
    if os.environ.get(CATALOG_ENV):
        candidates.append(Path(os.environ[CATALOG_ENV]))
    # A source checkout or an editable install: <repo>/install/face-models.json.
    candidates.append(Path(__file__).resolve().parents[3] / "install" / "face-models.json")
    for path in candidates:
        if path.is_file():
            return path
    raise ModelInstallError(
        f"face model catalog not found (looked at {', '.join(str(c) for c in candidates)}); "
        f"pass --catalog or set {CATALOG_ENV}, or give --sha256"
    )


def load_catalog(explicit: str | Path | None = None) -> dict[str, Any]:
    return dict(json.loads(catalog_path(explicit).read_text(encoding="utf-8")))


def pinned(catalog: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    entry = catalog.get(kind, {}).get(name)
    if entry is None:
        known = ", ".join(sorted(catalog.get(kind, {}))) or "none"
        raise ModelInstallError(f"{name!r} is not in the catalog (known: {known}); give --sha256 for a site pack")
    return dict(entry)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(source: str, into: Path, log: Callable[[str], None] = print) -> tuple[Path, str]:
    """The archive as a local file (downloaded into ``into`` if ``source`` is a URL) and its SHA-256."""
    if source.startswith(("http://", "https://")):
        import requests

        log(f"下载 downloading {source}")
        digest = hashlib.sha256()
        handle, name = tempfile.mkstemp(dir=into, prefix=".download-", suffix=".zip")
        size = 0
        try:
            with os.fdopen(handle, "wb") as out, requests.get(source, stream=True, timeout=(10, 120)) as response:
                response.raise_for_status()
                for chunk in response.iter_content(chunk_size=1 << 20):
                    size += len(chunk)
                    if size > MAX_ARCHIVE_BYTES:
                        raise ModelInstallError(f"{source} is larger than {MAX_ARCHIVE_BYTES} bytes")
                    digest.update(chunk)
                    out.write(chunk)
        except (requests.RequestException, ModelInstallError) as exc:
            Path(name).unlink(missing_ok=True)
            raise ModelInstallError(f"download failed: {exc}") from exc
        return Path(name), digest.hexdigest()
    path = Path(source).expanduser()
    if not path.is_file():
        raise ModelInstallError(f"{path} does not exist")
    return path, _sha256_of(path)


def _unpack(archive: Path, folder: Path, file_pins: dict[str, str]) -> list[str]:
    try:
        bundle = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise ModelInstallError(f"{archive.name} is not a zip archive") from exc
    written: list[str] = []
    with bundle:
        members = [m for m in bundle.infolist() if not m.is_dir() and m.filename.lower().endswith(".onnx")]
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise ModelInstallError("the archive unpacks to more than it should (refused)")
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/")).name
            if not name or name.startswith(".") or name in written:
                continue
            if (member.external_attr >> 16) & 0o170000 == 0o120000:
                raise ModelInstallError(f"{member.filename} is a symbolic link (refused)")
            with bundle.open(member) as source, (folder / name).open("wb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
            written.append(name)
    if not written:
        raise ModelInstallError(f"{archive.name} holds no .onnx model")
    for name, expected in file_pins.items():
        if not expected:
            continue
        if name not in written:
            raise ModelInstallError(f"{name} is missing from the archive")
        actual = _sha256_of(folder / name)
        if actual != expected:
            raise ModelInstallError(f"{name}: SHA-256 {actual} does not match the pin {expected}")
    return sorted(written)


def install_pack(
    source: str,
    *,
    pack: str,
    dest: Path | None = None,
    sha256: str | None = None,
    catalog: str | Path | None = None,
    log: Callable[[str], None] = print,
) -> Installed:
    entry: dict[str, Any] = {}
    if not sha256:
        entry = pinned(load_catalog(catalog), "packs", pack)
        sha256 = str(entry.get("sha256") or "")
        if not sha256:
            raise ModelInstallError(
                f"{pack} has no SHA-256 pin in the catalog: it must be pinned by the site "
                "(check the archive against the publisher's checksum, then pass --sha256)"
            )
    expected = sha256.strip().lower()
    if len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected):
        raise ModelInstallError("--sha256 must be 64 hexadecimal digits")
    root = (dest or models_root()).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    archive, actual = fetch(source, root, log)
    downloaded = archive.parent == root and archive.name.startswith(".download-")
    staging = Path(tempfile.mkdtemp(dir=root, prefix=f".{pack}-"))
    try:
        if actual != expected:
            raise ModelInstallError(f"SHA-256 mismatch: the archive is {actual}, the pin is {expected} (refused)")
        files = _unpack(archive, staging, dict(entry.get("files", {})))
        (staging / PACK_FILE).write_text(
            json.dumps(
                {
                    "pack": pack,
                    "source": source,
                    "sha256": actual,
                    "files": {name: _sha256_of(staging / name) for name in files},
                    "licence": entry.get("licence", "site-provided: see the site's licence agreement"),
                    "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
                },
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )
        target = root / pack
        if target.exists():
            retired = root / f".{pack}-old-{os.getpid()}"
            target.rename(retired)
            staging.rename(target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(target)
        log(f"已安装 installed {pack} → {target}")
        return Installed(target, actual, files)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if downloaded:
            archive.unlink(missing_ok=True)


def install_addon(
    source: str,
    *,
    name: str = "liveness",
    dest: Path | None = None,
    sha256: str | None = None,
    catalog: str | Path | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """insightface's liveness addon: one ONNX file into ``<models>/addons/`` (found by every pack there)."""
    expected = (sha256 or str(pinned(load_catalog(catalog), "addons", name).get("sha256") or "")).lower()
    if not expected:
        raise ModelInstallError(f"{name} has no SHA-256 pin: it must be pinned by the site (--sha256)")
    root = (dest or models_root()).expanduser()
    folder = root / "addons"
    folder.mkdir(parents=True, exist_ok=True)
    path, actual = fetch(source, folder, log)
    downloaded = path.name.startswith(".download-")
    try:
        if actual != expected:
            raise ModelInstallError(f"SHA-256 mismatch: the file is {actual}, the pin is {expected} (refused)")
        target = folder / f"{name}.onnx"
        staging = folder / f".{name}.{os.getpid()}.onnx"
        shutil.copyfile(path, staging)
        staging.replace(target)
        log(f"已安装 installed {name} → {target}")
        return target
    finally:
        if downloaded:
            path.unlink(missing_ok=True)
