"""Face recognition latency on this machine with the shared models (../shared/models).

    .venv/bin/python bench/face.py [--frames 200] [--gallery 1000] [--skip-server] [--skip-ui]
    .venv/bin/python bench/face.py --calibrate PHOTO_DIR   # genuine/impostor scores for a site's pack

Stages, per camera frame (640x480, the face placed as a kiosk camera sees it):
  detect (SCRFD), align (5-point similarity warp), embed (the recogniser), match (1:N in memory).
``frame_to_identity`` is what a person waits for: the kiosk's analysis of a frame plus the
``POST /faces/match`` round trip to a real ``suqiu server`` holding ``--gallery`` templates
(encrypted at rest, decrypted once into the server's in-memory gallery).
Match time is also measured alone for galleries of 1k, 10k and 100k synthetic templates.
UI: how late a 10 ms timer on the Qt UI thread runs while the kiosk's FaceAnalyser works on
frames (analysis runs on its own worker thread), next to the same timer with nothing running.
``genuine_min`` / ``impostor_max``: cosine scores over all pairs of the shared photos.

Last line (machine-readable; match_100k_ms is the median of 50 searches, its p95 is printed above):
  frame_to_identity_p95_ms=N match_100k_ms=N genuine_min=N impostor_max=N
Targets: frame-to-identity p95 < 250 ms; 100k-gallery match < 10 ms.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the test helpers place faces like a kiosk camera

MODEL_DIR = REPO.parent / "shared" / "models"
PHOTOS = REPO.parent / "shared" / "fixtures" / "faces"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def summary(name: str, values: list[float]) -> str:
    return f"{name:<18} p50 {percentile(values, 50):7.2f} ms   p95 {percentile(values, 95):7.2f} ms   n={len(values)}"


def person_of(name: str) -> str:
    return Path(name).stem.replace("_img", "").rstrip("0123456789")


def load_engine() -> Any:
    from suqiu_devices.registry import build

    return build("face", "insightface", model_dir=str(MODEL_DIR))


def camera_frames(engine: Any) -> dict[str, Any]:
    from support.faces import FaceScenes

    scenes = FaceScenes(engine)
    return {path.name: scenes.placed(path.name) for path in sorted(PHOTOS.iterdir())}


def stage_latencies(engine: Any, frames: list[Any], count: int) -> dict[str, list[float]]:
    from suqiu_queue.server.faces.gallery import build_gallery

    gallery = build_gallery(
        _unit(np.random.default_rng(0).standard_normal((1000, engine.dim))), range(1000), range(1000)
    )
    for frame in frames[:5]:  # warm-up: first runs allocate
        engine.analyse(frame)
    stages: dict[str, list[float]] = {"detect": [], "align": [], "embed": [], "match_1k": [], "analyse_total": []}
    for frame in itertools.islice(itertools.cycle(frames), count):
        started = time.perf_counter()
        faces = engine.detect(frame)
        t1 = time.perf_counter()
        aligned = engine.align(frame, faces[0])
        t2 = time.perf_counter()
        vector = engine.embed_aligned(aligned)[0]
        t3 = time.perf_counter()
        gallery.search(vector, k=2)
        t4 = time.perf_counter()
        analysis_started = time.perf_counter()
        engine.analyse(frame)
        stages["analyse_total"].append((time.perf_counter() - analysis_started) * 1000)
        stages["detect"].append((t1 - started) * 1000)
        stages["align"].append((t2 - t1) * 1000)
        stages["embed"].append((t3 - t2) * 1000)
        stages["match_1k"].append((t4 - t3) * 1000)
    return stages


def _unit(matrix: np.ndarray) -> np.ndarray:
    matrix = matrix.astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def gallery_match_times(
    dim: int, sizes: tuple[int, ...] = (1_000, 10_000, 100_000), repeats: int = 50
) -> dict[int, list[float]]:
    from suqiu_queue.server.faces.gallery import build_gallery

    rng = np.random.default_rng(1)
    out: dict[int, list[float]] = {}
    for size in sizes:
        gallery = build_gallery(_unit(rng.standard_normal((size, dim))), range(size), range(size))
        probes = _unit(rng.standard_normal((repeats + 3, dim)))
        for probe in probes[:3]:
            gallery.search(probe)
        times = []
        for probe in probes[3:]:
            started = time.perf_counter()
            gallery.search(probe, k=2)
            times.append((time.perf_counter() - started) * 1000)
        out[size] = times
    return out


def pair_scores(engine: Any) -> tuple[float, float]:
    import cv2

    vectors = {}
    for path in sorted(PHOTOS.iterdir()):
        vectors[path.name] = np.asarray(engine.embed(cv2.imread(str(path)))[0].embedding)
    genuine, impostor = [], []
    for a, b in itertools.combinations(sorted(vectors), 2):
        score = float(vectors[a] @ vectors[b])
        (genuine if person_of(a) == person_of(b) else impostor).append(score)
    return min(genuine), max(impostor)


# --- frame to identity, through a real server -----------------------------------------------------------------------


def seed_server_database(url: str, data_dir: Path, engine: Any, enrolled: Any, gallery: int) -> dict[str, str]:
    """A seeded world, ``gallery`` employees with consent and a template (one of them the photo's
    person), every template sealed with the server's data key. Returns the kiosk key."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, select
    from support import seed_world

    from suqiu_queue.server.assessments.sealing import data_key
    from suqiu_queue.server.db import make_engine, make_sessionmaker
    from suqiu_queue.server.faces import service
    from suqiu_queue.server.faces.models import FaceConsent, FaceTemplate
    from suqiu_queue.server.migrate import upgrade
    from suqiu_queue.server.people.models import Employee

    db = make_engine(url)
    upgrade(db)
    key = data_key(data_dir)
    now = datetime.now(UTC)
    rng = np.random.default_rng(7)
    vectors = _unit(rng.standard_normal((gallery, engine.dim)))
    vectors[0] = np.asarray(enrolled, dtype=np.float32)
    with make_sessionmaker(db)() as session, session.begin():
        world = seed_world(session)
        unit_id = session.scalars(select(Employee.org_unit_id)).first()
        session.execute(
            insert(Employee),
            [
                {
                    "employee_no": f"B{i:06d}",
                    "name": f"测试{i}",
                    "org_unit_id": unit_id,
                    "active": True,
                    "source": "import",
                }
                for i in range(gallery)
            ],
        )
        ids = dict(session.execute(select(Employee.employee_no, Employee.id)).all())
        consents = [
            {
                "employee_id": ids[f"B{i:06d}"],
                "text_version": "2026-1",
                "status": "active",
                "channel": "frontdesk",
                "verified_by": "bench",
                "granted_at": now,
                "last_used_at": now,
            }
            for i in range(gallery)
        ]
        session.execute(insert(FaceConsent), consents)
        consent_ids = dict(session.execute(select(FaceConsent.employee_id, FaceConsent.id)).all())
        enterprise = service.enterprise_of(session, unit_id)
        rows = []
        for i in range(gallery):
            employee_id = ids[f"B{i:06d}"]
            sealed, sealed_key = service.seal_template(key, vectors[i], employee_id, engine.model_id)
            rows.append(
                {
                    "consent_id": consent_ids[employee_id],
                    "employee_id": employee_id,
                    "enterprise_id": enterprise,
                    "model": engine.model_id,
                    "dim": engine.dim,
                    "status": "active",
                    "sealed": sealed,
                    "key_id": sealed_key,
                    "frames": 3,
                    "created_at": now,
                }
            )
        session.execute(insert(FaceTemplate), rows)
        service.bump_gallery(session)
    db.dispose()
    return {"kiosk": world.device_keys["kiosk"]}


def frame_to_identity(
    engine: Any, frames: list[Any], probe_frames: list[Any], gallery: int, count: int
) -> tuple[list[float], int]:
    from support import ServerProcess

    from suqiu_queue.client import SuqiuClient

    folder = Path(tempfile.mkdtemp(prefix="suqiu-face-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    enrolled = engine.analyse(frames[0]).main.embedding
    os.environ["SUQIU_DATA_DIR"] = str(folder)
    keys = seed_server_database(url, folder, engine, enrolled, gallery)
    times: list[float] = []
    matched = 0
    with ServerProcess(url, env={"SUQIU_DATA_DIR": str(folder)}) as server:
        client = SuqiuClient(server.url, device_key=keys["kiosk"])
        first = engine.analyse(probe_frames[0])
        client.face_match(model=engine.model_id, embedding=first.main.embedding)  # builds the gallery cache
        for frame in itertools.islice(itertools.cycle(probe_frames), count):
            started = time.perf_counter()
            analysis = engine.analyse(frame)
            reply = client.face_match(model=engine.model_id, embedding=analysis.main.embedding)
            times.append((time.perf_counter() - started) * 1000)
            matched += bool(reply.get("matched"))
        client.close()
    return times, matched


# --- the UI thread while frames are analysed --------------------------------------------------------------------------


def ui_gaps(engine: Any | None, frames: list[Any], seconds: float = 5.0) -> tuple[list[float], int]:
    """Gaps between ticks of a 10 ms timer on the Qt UI thread, with the kiosk's FaceAnalyser
    working (``engine`` given) or idle (``None``: the machine's own noise, for comparison)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from suqiu_kiosk.face.analysis import FaceAnalyser

    class Camera:
        def __init__(self) -> None:
            self.frames = itertools.cycle(frames)

        def read(self) -> Any:
            return next(self.frames).copy()  # a new picture each time, like a camera

        def close(self) -> None:
            pass

    app = QApplication.instance() or QApplication([])
    analyser = FaceAnalyser(Camera(), engine) if engine is not None else None
    analysed = [0]
    if analyser is not None:
        analyser.analysed.connect(lambda _f: analysed.__setitem__(0, analysed[0] + 1))
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    if analyser is not None:
        analyser.start()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.001)
    if analyser is not None:
        analyser.stop(wait_ms=5000)
    timer.stop()
    return gaps[5:], analysed[0]


# --- calibration for a site's pack ------------------------------------------------------------------------------------


def calibrate(folder: Path, model_dir: Path) -> int:
    """Photos named <person>_<n>.jpg (or in one sub-folder per person): score every pair."""
    import cv2

    from suqiu_devices.registry import build

    engine = build("face", "insightface", model_dir=str(model_dir))
    vectors: dict[tuple[str, str], np.ndarray] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in {".jpg", ".jpeg", ".png"}:
            continue
        faces = engine.embed(cv2.imread(str(path)))
        if len(faces) != 1:
            print(f"skipped {path} ({len(faces)} faces)")
            continue
        person = path.parent.name if path.parent != folder else person_of(path.name)
        vectors[(person, str(path))] = np.asarray(faces[0].embedding)
    genuine, impostor = [], []
    for (pa, a), (pb, b) in itertools.combinations(vectors, 2):
        score = float(vectors[(pa, a)] @ vectors[(pb, b)])
        (genuine if pa == pb else impostor).append(score)
    if not genuine or not impostor:
        print("need at least two photos of one person and two people")
        return 1
    print(f"model {engine.model_id}: {len(vectors)} photos, {len(genuine)} genuine and {len(impostor)} impostor pairs")
    for q in (0, 1, 5, 50):
        print(f"  genuine  p{q:<3} {np.percentile(genuine, q):.3f}")
    for q in (50, 99, 99.9, 100):
        print(f"  impostor p{q:<5} {np.percentile(impostor, q):.3f}")
    suggestion = max(np.percentile(impostor, 99.9) + 0.05, (min(genuine) + max(impostor)) / 2)
    print(
        f"suggested [faces] match_threshold = {suggestion:.2f}   (check false rejects: genuine below it "
        f"{sum(g < suggestion for g in genuine)}/{len(genuine)})"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--gallery", type=int, default=1000, help="templates in the server for frame-to-identity")
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--skip-ui", action="store_true")
    parser.add_argument("--calibrate", type=Path, help="score a folder of photos instead")
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    args = parser.parse_args()
    if args.calibrate:
        return calibrate(args.calibrate, args.model_dir)
    if not MODEL_DIR.is_dir() or not PHOTOS.is_dir():
        print(f"the shared models and photos are not at {MODEL_DIR.parent}: nothing to measure", file=sys.stderr)
        return 2

    engine = load_engine()
    print(
        f"model {engine.model_id} ({engine.dim}-d), detector input {engine.det_size}, cpus {os.cpu_count()}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    placed = camera_frames(engine)
    frames = list(placed.values())
    stages = stage_latencies(engine, frames, args.frames)
    for name, values in stages.items():
        print(summary(name, values))
    sizes = gallery_match_times(engine.dim)
    for size, values in sizes.items():
        print(summary(f"match_{size // 1000}k", values))
    genuine_min, impostor_max = pair_scores(engine)
    print(f"cosine on the shared photos: genuine_min {genuine_min:.3f}, impostor_max {impostor_max:.3f}")

    if args.skip_server:
        f2i = [a + m for a, m in zip(stages["analyse_total"], itertools.cycle(sizes[1000]), strict=False)]
        print(summary("frame_to_identity*", f2i) + "   (*in process: no server round trip)")
    else:
        obama = [placed[n] for n in ("obama2.jpg", "obama3.jpg")]
        f2i, matched = frame_to_identity(engine, [placed["obama.jpg"]], obama, args.gallery, args.frames)
        print(
            summary("frame_to_identity", f2i)
            + f"   (server with {args.gallery} templates; {matched}/{len(f2i)} matched)"
        )
    if not args.skip_ui:
        idle, _ = ui_gaps(None, frames)
        busy, analysed = ui_gaps(engine, frames)
        print(
            f"ui timer gaps (10 ms timer): idle p99 {percentile(idle, 99):.1f} max {max(idle):.1f} ms; "
            f"while {analysed} frames were analysed off the UI thread p99 {percentile(busy, 99):.1f} "
            f"max {max(busy):.1f} ms"
        )

    print(
        f"frame_to_identity_p95_ms={percentile(f2i, 95):.1f} match_100k_ms={percentile(sizes[100_000], 50):.2f} "
        f"genuine_min={genuine_min:.3f} impostor_max={impostor_max:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
