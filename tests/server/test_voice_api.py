"""Voice messages over the API, on SQLite and PostgreSQL.

What matters: only real recordings get in (sniffed and decoded, whatever the name says), within
size and length limits, only from the kiosk that issued the ticket; the audio is sealed at rest;
officers who serve visitors can list and play them, nobody else; and every playback is audited.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import soundfile
from sqlalchemy import select
from support import PASSWORD, World

from suqiu_queue.server.accounts.service import create_device, create_user
from suqiu_queue.server.audit.models import AuditEntry
from suqiu_queue.server.audit.service import verify
from suqiu_queue.server.events.models import Event
from suqiu_queue.server.org.models import Center
from suqiu_queue.server.voice.audio import MAX_UPLOAD_BYTES, sniff
from suqiu_queue.server.voice.models import VoiceMessage

# Which formats, sizes and devices are refused cannot depend on the database: SQLite only.
# Storing, sealing, idempotency, limits counted in SQL, listing and auditing run on both.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

API = "/api/v1"
RATE = 16_000
LISTENERS = ("reception", "handler", "counselor", "legal", "supervisor")


# --- recordings made here -------------------------------------------------------------------------------


def voice_like(seconds: float, *, seed: int = 1) -> np.ndarray:
    """A 16 kHz mono int16 signal with a voice's shape: a 150 Hz buzz with harmonics, syllable-like
    on/off every ~0.25 s, and a little breath noise (so FLAC cannot squeeze it to nothing)."""
    t = np.arange(int(seconds * RATE)) / RATE
    buzz = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 6))
    syllables = (np.sin(2 * np.pi * 2 * t) > -0.3).astype(float)
    noise = np.random.default_rng(seed).normal(0, 0.02, len(t))
    return (np.clip(0.25 * buzz * syllables + noise, -1, 1) * 32767).astype(np.int16)


def encode(values: np.ndarray, fmt: str, subtype: str | None = None, rate: int = RATE) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, values, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def flac(seconds: float = 3.0, **kw: Any) -> bytes:
    return encode(voice_like(seconds, **kw), "FLAC", "PCM_16")


def noise_flac(seconds: float) -> bytes:
    """White noise barely compresses: ~2 bytes per sample even as FLAC."""
    values = np.random.default_rng(7).integers(-30000, 30000, int(seconds * RATE)).astype(np.int16)
    return encode(values, "FLAC", "PCM_16")


# --- helpers ------------------------------------------------------------------------------------------------


def officer(api: Any, world: World, role: str) -> dict[str, str]:
    response = api.post(f"{API}/auth/login", json={"username": world.usernames[role], "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def kiosk(world: World) -> dict[str, str]:
    return {"X-Device-Key": world.device_keys["kiosk"]}


def issue_ticket(api: Any, world: World, headers: dict[str, str] | None = None, center: str | None = None) -> int:
    response = api.post(
        f"{API}/tickets", json={"center": center or world.center, "category": "policy"}, headers=headers or kiosk(world)
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def upload(
    api: Any,
    world: World,
    ticket_id: int,
    audio: bytes,
    *,
    filename: str = "voice.flac",
    content_type: str = "audio/flac",
    headers: dict[str, str] | None = None,
    **fields: str,
) -> Any:
    return api.post(
        f"{API}/voice-messages",
        data={"ticket_id": str(ticket_id), **fields},
        files={"audio": (filename, audio, content_type)},
        headers=headers or kiosk(world),
    )


def audit_rows(sessions: Any, action: str) -> list[AuditEntry]:
    with sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --- accepted uploads -------------------------------------------------------------------------------------------


def test_a_flac_recording_is_stored_sealed_and_announced_without_its_words(api, world: World, sessions) -> None:
    ticket_id = issue_ticket(api, world)
    audio = flac(3.0)
    response = upload(api, world, ticket_id, audio, transcript="我想咨询一下公积金提取。", transcript_status="ok")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] is True
    assert body["ticket_id"] == ticket_id and body["format"] == "flac"
    assert body["duration_s"] == pytest.approx(3.0, abs=0.01)
    assert body["transcript"] == "我想咨询一下公积金提取。" and body["transcript_status"] == "ok"
    with sessions() as session:
        row = session.scalar(select(VoiceMessage).where(VoiceMessage.id == body["id"]))
        assert row is not None
        # Sealed at rest: neither the FLAC header nor any run of its bytes is in the column.
        assert b"fLaC" not in row.audio_sealed and audio[1000:1032] not in row.audio_sealed
        assert row.size_bytes == len(audio) and row.created_by.startswith("device:")
        event = session.scalar(select(Event).where(Event.kind == "voice_message.added"))
        assert event is not None
        assert event.payload["voice_message_id"] == body["id"] and event.payload["has_transcript"] is True
        assert "公积金" not in str(event.payload)
    [entry] = audit_rows(sessions, "voice.upload")
    assert entry.subject == f"voice_message:{body['id']}" and "公积金" not in str(entry.detail)

    played = api.get(f"{API}/voice-messages/{body['id']}/audio", headers=officer(api, world, "reception"))
    assert played.status_code == 200
    assert played.content == audio
    assert played.headers["content-type"] == "audio/flac" and played.headers["cache-control"] == "no-store"


def test_a_wav_upload_is_converted_to_flac_without_changing_a_sample(api, world: World) -> None:
    ticket_id = issue_ticket(api, world)
    samples = voice_like(2.0)
    wav = encode(samples, "WAV", "PCM_16")
    response = upload(api, world, ticket_id, wav, filename="voice.wav", content_type="audio/wav")
    assert response.status_code == 201, response.text
    assert response.json()["format"] == "flac" and response.json()["transcript_status"] == "unavailable"
    stored = api.get(f"{API}/voice-messages/{response.json()['id']}/audio", headers=officer(api, world, "handler"))
    assert sniff(stored.content) == "flac"
    assert len(stored.content) < len(wav) * 0.8
    decoded, rate = soundfile.read(io.BytesIO(stored.content), dtype="int16")
    assert rate == RATE and np.array_equal(decoded, samples)


@SQLITE_ONLY
def test_ogg_opus_is_accepted_as_sent(api, world: World) -> None:
    ticket_id = issue_ticket(api, world)
    opus = encode(voice_like(2.0), "OGG", "OPUS")
    response = upload(api, world, ticket_id, opus, filename="voice.opus", content_type="audio/ogg")
    assert response.status_code == 201, response.text
    assert response.json()["format"] == "ogg_opus" and response.json()["content_type"] == "audio/ogg"
    stored = api.get(f"{API}/voice-messages/{response.json()['id']}/audio", headers=officer(api, world, "legal"))
    assert stored.content == opus


def test_a_recording_larger_than_the_global_body_limit_gets_in_through_its_own_limit(api, world: World) -> None:
    ticket_id = issue_ticket(api, world)
    audio = noise_flac(45.0)
    assert 1_000_000 < len(audio) < MAX_UPLOAD_BYTES  # the global limit is 1 MB
    response = upload(api, world, ticket_id, audio)
    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == len(audio)


def test_a_retry_with_the_same_key_stores_one_message(api, world: World, sessions) -> None:
    ticket_id = issue_ticket(api, world)
    audio = flac(1.5)
    first = upload(api, world, ticket_id, audio, idempotency_key="voice-key-0001")
    again = upload(api, world, ticket_id, audio, idempotency_key="voice-key-0001")
    assert first.status_code == 201 and again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    other_ticket = issue_ticket(api, world)
    reused = upload(api, world, other_ticket, audio, idempotency_key="voice-key-0001")
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "idempotency_key_reused"
    with sessions() as session:
        assert len(session.scalars(select(VoiceMessage.id)).all()) == 1


def test_a_ticket_takes_at_most_three_messages(api, world: World) -> None:
    ticket_id = issue_ticket(api, world)
    for seed in range(3):
        assert upload(api, world, ticket_id, flac(1.0, seed=seed)).status_code == 201
    fourth = upload(api, world, ticket_id, flac(1.0, seed=9))
    assert fourth.status_code == 409 and fourth.json()["error"]["code"] == "voice_limit_reached"


# --- refused uploads ----------------------------------------------------------------------------------------------


def _renamed_exe() -> bytes:
    """The start of a Windows PE file: 'MZ' header, DOS stub text, 'PE' signature at 0x80."""
    header = bytearray(b"MZ" + b"\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(0x3C - 14))
    header += (0x80).to_bytes(4, "little") + b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21"
    header += b"This program cannot be run in DOS mode.\r\r\n$"
    header += bytes(0x80 - len(header)) + b"PE\x00\x00" + bytes(4000)
    return bytes(header)


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("name", "make", "status", "code"),
    [
        ("renamed exe", _renamed_exe, 415, "voice_not_audio"),
        ("text named .wav", lambda: "这不是录音".encode() * 100, 415, "voice_not_audio"),
        ("ogg vorbis", lambda: encode(voice_like(1.0), "OGG", "VORBIS"), 415, "voice_not_audio"),
        (
            "mp3-like frames",
            lambda: b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 500,
            415,
            "voice_not_audio",
        ),
        ("flac cut in half", lambda: flac(3.0)[: len(flac(3.0)) // 2], 422, "voice_corrupt"),
        ("flac header on garbage", lambda: b"fLaC" + bytes(range(256)) * 20, 422, "voice_corrupt"),
        ("over two minutes", lambda: encode(np.zeros(121 * RATE, np.int16), "FLAC", "PCM_16"), 422, "voice_too_long"),
        ("a click", lambda: flac(0.1), 422, "voice_too_short"),
    ],
)
def test_anything_but_a_sound_recording_is_refused(api, world: World, sessions, name, make, status, code) -> None:
    ticket_id = issue_ticket(api, world)
    response = upload(api, world, ticket_id, make(), filename="voice.flac", content_type="audio/flac")
    assert response.status_code == status, f"{name}: {response.text}"
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]  # a Chinese sentence for the screen
    with sessions() as session:
        assert session.scalar(select(VoiceMessage.id)) is None


@SQLITE_ONLY
def test_size_limits_refuse_before_and_after_the_body_is_read(api, world: World) -> None:
    ticket_id = issue_ticket(api, world)
    just_over = b"fLaC" + bytes(MAX_UPLOAD_BYTES - 3)  # within the path's body limit, over the file limit
    response = upload(api, world, ticket_id, just_over)
    assert response.status_code == 413 and response.json()["error"]["code"] == "voice_too_large"
    far_over = b"fLaC" + bytes(MAX_UPLOAD_BYTES + 200_000)
    response = upload(api, world, ticket_id, far_over)
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"


@SQLITE_ONLY
def test_the_upload_must_be_a_form_with_an_audio_file(api, world: World) -> None:
    ticket_id = issue_ticket(api, world)
    as_json = api.post(f"{API}/voice-messages", json={"ticket_id": ticket_id}, headers=kiosk(world))
    assert as_json.status_code == 415 and as_json.json()["error"]["code"] == "unsupported_media_type"
    no_file = api.post(
        f"{API}/voice-messages", files={"ticket_id": (None, str(ticket_id)), "note": (None, "x")}, headers=kiosk(world)
    )
    assert no_file.status_code == 422 and no_file.json()["error"]["code"] == "audio_missing"
    bad_ticket = api.post(
        f"{API}/voice-messages",
        data={"ticket_id": "A012"},
        files={"audio": ("voice.flac", flac(1.0), "audio/flac")},
        headers=kiosk(world),
    )
    assert bad_ticket.status_code == 422
    bad_status = upload(api, world, ticket_id, flac(1.0), transcript_status="great")
    assert bad_status.status_code == 422


# --- who may upload, list and listen ---------------------------------------------------------------------------------


@SQLITE_ONLY
def test_only_the_kiosk_that_issued_the_ticket_attaches_a_recording(api, world: World, sessions) -> None:
    ticket_id = issue_ticket(api, world)
    with sessions() as session, session.begin():
        center = session.scalar(select(Center).where(Center.code == world.center))
        _device, second_key = create_device(session, center=center, kind="kiosk", name="second", actor="test")
    beside = upload(api, world, ticket_id, flac(1.0), headers={"X-Device-Key": second_key})
    assert beside.status_code == 403 and beside.json()["error"]["code"] == "voice_ticket_other_device"
    elsewhere = upload(api, world, ticket_id, flac(1.0), headers={"X-Device-Key": world.other_kiosk_key})
    assert elsewhere.status_code == 403
    board = upload(api, world, ticket_id, flac(1.0), headers={"X-Device-Key": world.device_keys["board"]})
    assert board.status_code == 403
    nobody = upload(api, world, ticket_id, flac(1.0), headers={"X-Nothing": "1"})
    assert nobody.status_code == 401
    reception = upload(api, world, ticket_id, flac(1.0), headers=officer(api, world, "reception"))
    assert reception.status_code == 403
    assert upload(api, world, 999999, flac(1.0)).status_code == 404


def test_officers_who_serve_visitors_list_and_play_every_playback_audited(api, world: World, sessions) -> None:
    ticket_id = issue_ticket(api, world)
    voice_id = upload(api, world, ticket_id, flac(2.0), transcript="宿舍空调坏了。").json()["id"]
    for role in LISTENERS:
        headers = officer(api, world, role)
        listed = api.get(f"{API}/tickets/{ticket_id}/voice-messages", headers=headers)
        assert listed.status_code == 200, f"{role}: {listed.text}"
        assert [m["transcript"] for m in listed.json()["items"]] == ["宿舍空调坏了。"]
        assert api.get(f"{API}/voice-messages/{voice_id}/audio", headers=headers).status_code == 200
    admin = officer(api, world, "admin")
    assert api.get(f"{API}/voice-messages/{voice_id}/audio", headers=admin).status_code == 403
    assert api.get(f"{API}/tickets/{ticket_id}/voice-messages", headers=admin).status_code == 403
    assert api.get(f"{API}/voice-messages/{voice_id}/audio", headers=kiosk(world)).status_code == 403
    assert api.get(f"{API}/voice-messages/{voice_id}/audio").status_code == 401

    plays = audit_rows(sessions, "voice.play")
    assert len(plays) == len(LISTENERS)  # one row per playback, refused attempts write none
    assert {p.subject for p in plays} == {f"voice_message:{voice_id}"}
    assert len({p.actor for p in plays}) == len(LISTENERS)
    assert len(audit_rows(sessions, "voice.list")) == len(LISTENERS)
    with sessions() as session:
        assert verify(session).ok


@SQLITE_ONLY
def test_an_officer_of_another_center_cannot_listen(api, world: World, sessions) -> None:
    ticket_id = issue_ticket(api, world)
    voice_id = upload(api, world, ticket_id, flac(1.0)).json()["id"]
    with sessions() as session, session.begin():
        other = session.scalar(select(Center).where(Center.code == world.other_center))
        create_user(session, username="t2reception", password=PASSWORD, role="reception", center=other, actor="test")
    login = api.post(f"{API}/auth/login", json={"username": "t2reception", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    refused = api.get(f"{API}/voice-messages/{voice_id}/audio", headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "other_center"
    assert api.get(f"{API}/tickets/{ticket_id}/voice-messages", headers=headers).status_code == 403
    assert audit_rows(sessions, "voice.play") == []


def test_messages_follow_the_ticket_into_its_case(api, world: World) -> None:
    ticket_id = issue_ticket(api, world)
    before = upload(api, world, ticket_id, flac(1.0, seed=1), transcript="第一段").json()
    handler = officer(api, world, "handler")
    case = api.post(
        f"{API}/cases",
        json={"center": world.center, "category": "policy", "summary": "咨询公积金", "ticket_id": ticket_id},
        headers=handler,
    )
    assert case.status_code == 201, case.text
    case_id = case.json()["id"]
    after = upload(api, world, ticket_id, flac(1.0, seed=2), transcript="第二段").json()
    assert before["case_id"] is None and after["case_id"] == case_id
    listed = api.get(f"{API}/cases/{case_id}/voice-messages", headers=handler)
    assert listed.status_code == 200
    assert [(m["id"], m["transcript"], m["case_id"]) for m in listed.json()["items"]] == [
        (before["id"], "第一段", case_id),
        (after["id"], "第二段", case_id),
    ]
    other_case = api.post(
        f"{API}/cases",
        json={"center": world.center, "category": "policy", "channel": "phone", "summary": "来电"},
        headers=handler,
    ).json()["id"]
    assert api.get(f"{API}/cases/{other_case}/voice-messages", headers=handler).json()["items"] == []
