"""``suqiu models install face|liveness``, ``suqiu keys rotate``, ``suqiu faces expire``.

Packs are zips made here from the small shared models (never committed); the URL case serves
the zip from a local HTTP server. The pinned catalog is the repository's install/face-models.json.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from support import seed_world
from support.faces import shared_models

from suqiu_queue.cli import main

CATALOG = Path(__file__).resolve().parents[1] / "install" / "face-models.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def pack_zip(tmp_path: Path) -> Path:
    models = shared_models()
    archive = tmp_path / "testpack.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(models / "scrfd_500m_bnkps.onnx", "testpack/scrfd_500m_bnkps.onnx")
        bundle.write(models / "mobilefacenet_128.onnx", "testpack/mobilefacenet_128.onnx")
        bundle.writestr("testpack/README.txt", "not a model: left out")
        bundle.writestr("../../escape.onnx", b"a path that tries to leave the folder")
    return archive


def test_install_from_a_zip_with_a_site_pin_then_the_engine_loads_it(capsys, tmp_path: Path, pack_zip: Path) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "models"
    code, out, err = run(
        capsys, "models", "install", "face", "--from", str(pack_zip), "--sha256", sha256(pack_zip), "--dest", str(dest)
    )
    assert code == 0, err
    folder = dest / "testpack"
    assert sorted(p.name for p in folder.iterdir()) == [
        "escape.onnx",
        "mobilefacenet_128.onnx",
        "pack.json",
        "scrfd_500m_bnkps.onnx",
    ]
    assert not (tmp_path / "escape.onnx").exists() and not (dest / "escape.onnx").exists()
    record = json.loads((folder / "pack.json").read_text())
    assert record["sha256"] == sha256(pack_zip) and record["pack"] == "testpack"
    assert f'model_dir = "{folder}"' in out
    assert [p.name for p in dest.iterdir()] == ["testpack"]  # no staging or download left behind

    from suqiu_devices.registry import build

    engine = build("face", "insightface", model_dir=str(folder), detector="scrfd_500m_bnkps.onnx")
    assert engine.model_id.startswith("mobilefacenet_128:f055d9c9")


def test_a_wrong_checksum_is_refused_and_installs_nothing(capsys, tmp_path: Path, pack_zip: Path) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "models"
    code, _, err = run(
        capsys, "models", "install", "face", "--from", str(pack_zip), "--sha256", "0" * 64, "--dest", str(dest)
    )
    assert code == 1 and "SHA-256 mismatch" in err
    assert list(dest.iterdir()) == []
    # A known pack name checks the catalog's pin: this zip is not buffalo_l.
    code, _, err = run(
        capsys, "models", "install", "face", "--from", str(pack_zip), "--pack", "buffalo_l", "--dest", str(dest)
    )
    assert code == 1 and "80ffe37d8a5940d59a7384c201a2a38d4741f2f3c51eef46ebb28218a7b0ca2f" in err
    assert list(dest.iterdir()) == []


def test_a_pack_without_a_pin_must_be_pinned_by_the_site(capsys, tmp_path: Path, pack_zip: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(
        capsys, "models", "install", "face", "--from", str(pack_zip), "--pack", "site", "--dest", str(tmp_path)
    )
    assert code == 1 and "must be pinned by the site" in err
    code, _, err = run(capsys, "models", "install", "face", "--from", str(pack_zip), "--dest", str(tmp_path))
    assert code == 1 and "not in the catalog" in err
    catalog = json.loads(CATALOG.read_text())
    assert catalog["packs"]["buffalo_l"]["sha256"] == "80ffe37d8a5940d59a7384c201a2a38d4741f2f3c51eef46ebb28218a7b0ca2f"
    assert catalog["addons"]["liveness"]["size"] == 1484006


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(pack_zip: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(pack_zip.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_install_from_a_url_verifies_the_download(capsys, tmp_path: Path, pack_zip: Path, served: str) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "models"
    url = f"{served}/{pack_zip.name}"
    code, _, err = run(
        capsys, "models", "install", "face", "--from", url, "--sha256", sha256(pack_zip), "--dest", str(dest)
    )
    assert code == 0, err
    assert (dest / "testpack" / "mobilefacenet_128.onnx").is_file()
    code, _, err = run(
        capsys,
        "models",
        "install",
        "face",
        "--from",
        f"{served}/missing.zip",
        "--sha256",
        "1" * 64,
        "--dest",
        str(dest),
    )
    assert code == 1 and "download failed" in err
    assert sorted(p.name for p in dest.iterdir()) == ["testpack"]


def test_the_liveness_addon_is_checked_against_insightfaces_pin(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    impostor = tmp_path / "liveness.onnx"
    impostor.write_bytes((shared_models() / "face_detection_yunet_2023mar.onnx").read_bytes())
    code, _, err = run(capsys, "models", "install", "liveness", "--from", str(impostor), "--dest", str(tmp_path / "m"))
    assert code == 1 and "87a9ac1dbb16a61eec212957e5095e62a8769c1e188af9b0198f253302c4afdb" in err
    assert not (tmp_path / "m" / "addons" / "liveness.onnx").exists()


# --- keys and retention -------------------------------------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A server data folder with a migrated database, one active face template, one sealed answer."""
    from suqiu_queue.server.assessments import sealing
    from suqiu_queue.server.assessments.models import AssessmentResult
    from suqiu_queue.server.assessments.service import _context
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.faces import service
    from suqiu_queue.server.faces.config import FaceConfig
    from suqiu_queue.server.faces.consent_text import CURRENT_VERSION
    from suqiu_queue.server.migrate import upgrade
    from suqiu_queue.server.people.models import Employee
    from suqiu_queue.server.security import Principal

    data = tmp_path / "data"
    monkeypatch.setenv("SUQIU_DATA_DIR", str(data))
    monkeypatch.setenv("SUQIU_DATABASE_URL", f"sqlite:///{data / 'suqiu.db'}")
    monkeypatch.delenv("SUQIU_DATA_KEY", raising=False)
    monkeypatch.setattr(sealing, "_cache", {})
    engine = make_engine(f"sqlite:///{data / 'suqiu.db'}")
    upgrade(engine)
    key = sealing.data_key(data)
    rng = np.random.default_rng(1)
    base = rng.standard_normal(128)
    frames = [(base + 0.1 * rng.standard_normal(128)).tolist() for _ in range(3)]
    with make_sessionmaker(engine)() as session, session.begin():
        seed_world(session)
        employee = session.scalars(select(Employee).where(Employee.employee_no == "E1001")).one()
        service.enrol(
            session,
            principal=Principal("user", 1, "reception", None),
            key=key,
            config=FaceConfig(),
            now=datetime.now(UTC),
            employee=employee,
            model="mobilefacenet_128:f055d9c9a4d826d1",
            embeddings=frames,
            text_version=CURRENT_VERSION,
            at_front_desk=True,
        )
        context = _context("phq9", "1")
        session.add(
            AssessmentResult(
                scale="phq9",
                scale_version="1",
                source="paper",
                raw=3,
                band="minimal",
                crisis=False,
                answers_sealed=sealing.seal(key, b'{"answers": [1, 2]}', context),
                key_id=sealing.key_id(key),
                created_by="test",
            )
        )
    engine.dispose()
    return data


def test_keys_rotate_reseals_templates_and_answers_under_a_new_key_file(capsys, site: Path) -> None:  # type: ignore[no-untyped-def]
    from suqiu_queue.server.assessments.models import AssessmentResult
    from suqiu_queue.server.assessments.sealing import SealError, parse_key, unseal
    from suqiu_queue.server.assessments.service import _context
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.faces import service
    from suqiu_queue.server.faces.models import FaceTemplate

    old = parse_key((site / "data.key").read_text())
    code, out, err = run(capsys, "keys", "rotate")
    assert code == 0, err
    assert "人脸模板 1 条，测评答案 1 条" in out
    new = parse_key((site / "data.key").read_text())
    assert new != old and not (site / "data.key.new").exists()
    assert (site / "data.key").stat().st_mode & 0o777 == 0o600
    engine = make_engine(f"sqlite:///{site / 'suqiu.db'}")
    with make_sessionmaker(engine)() as session:
        template = session.scalars(select(FaceTemplate)).one()
        assert abs(float(np.linalg.norm(service.unseal_template(new, template))) - 1) < 1e-5
        with pytest.raises(SealError):
            service.unseal_template(old, template)
        answers = session.scalars(select(AssessmentResult)).one()
        assert unseal(new, answers.answers_sealed, _context("phq9", "1"), answers.key_id) == b'{"answers": [1, 2]}'
    engine.dispose()


def test_keys_rotate_with_the_key_in_the_environment_leaves_the_new_key_for_the_operator(
    capsys, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from suqiu_queue.server.assessments import sealing

    current = (site / "data.key").read_text().strip()
    monkeypatch.setenv("SUQIU_DATA_KEY", current)
    monkeypatch.setattr(sealing, "_cache", {})
    replacement = site / "chosen.key"
    replacement.write_text("ab" * 32)
    code, out, err = run(capsys, "keys", "rotate", "--new-key-file", str(replacement))
    assert code == 0, err
    assert (site / "data.key.new").read_text().strip() == "ab" * 32
    assert (site / "data.key").read_text().strip() == current  # the operator moves the key, not us
    assert "SUQIU_DATA_KEY" in out
    code, _, err = run(capsys, "keys", "rotate", "--new-key-file", str(site / "data.key"))
    assert code == 2 and "新密钥与当前密钥相同" in err


def test_faces_expire_runs_as_a_job(capsys, site: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SUQIU_FACE_RETENTION_DAYS", "0")
    code, out, err = run(capsys, "faces", "expire")
    assert code == 0, err
    assert "expired 1" in out and "templates deleted 1" in out
    code, out, _ = run(capsys, "faces", "expire")
    assert "templates deleted 0" in out
