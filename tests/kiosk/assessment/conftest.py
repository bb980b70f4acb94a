"""The self-assessment widget against a real server process on a seeded SQLite file.

One server per module; each test builds its own widget. The kiosk talks through its device key,
checks go through a counselor's login (the only role that may read results)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import PASSWORD, ServerProcess, World

from suqiu_queue.client import SuqiuClient


@pytest.fixture(scope="module")
def assessment_server(
    tmp_path_factory: pytest.TempPathFactory, seeded_copy: Callable[[Path], tuple[str, World]]
) -> Iterator[tuple[ServerProcess, World]]:
    url, world = seeded_copy(tmp_path_factory.mktemp("assessment"))
    with ServerProcess(url) as server:
        yield server, world


@pytest.fixture
def kiosk_client(assessment_server: tuple[ServerProcess, World]) -> Iterator[SuqiuClient]:
    server, world = assessment_server
    client = SuqiuClient(server.url, device_key=world.device_keys["kiosk"], timeout=(1.0, 5.0))
    yield client
    client.close()


@pytest.fixture
def counselor(assessment_server: tuple[ServerProcess, World]) -> Iterator[SuqiuClient]:
    server, world = assessment_server
    client = SuqiuClient(server.url)
    client.login(world.usernames["counselor"], PASSWORD)
    yield client
    client.close()


@pytest.fixture
def speaker() -> Iterator[Any]:
    """The fake speaker: the real one-voice queue around a voice that records what it said."""
    from suqiu_devices.registry import build

    fake = build("speaker", "fake", speed=50.0)
    yield fake
    fake.close()


@pytest.fixture
def make_widget(qtbot: Any, kiosk_client: SuqiuClient, speaker: Any) -> Iterator[Callable[..., Any]]:
    """make_widget(**config) → a shown AssessmentFlowWidget at the kiosk's portrait size, scales loaded."""
    from suqiu_kiosk.assessment import AssessmentConfig, AssessmentFlowWidget

    widgets: list[Any] = []

    def make(*, size: tuple[int, int] = (1080, 1920), **config: Any) -> Any:
        widget = AssessmentFlowWidget(kiosk_client, speaker, AssessmentConfig(center="T1", **config))
        qtbot.addWidget(widget)
        widget.resize(*size)
        widget.show()
        widgets.append(widget)
        return widget

    yield make
    for widget in widgets:
        widget.shutdown()
