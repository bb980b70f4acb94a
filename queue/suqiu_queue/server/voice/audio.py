"""What an uploaded recording really is, decided from its bytes, never from its name or header.

Accepted: FLAC, Ogg Opus, and WAV (converted to FLAC here: the kiosk may lack a FLAC encoder,
and storing PCM would cost three times the space). Everything else — a renamed EXE, an MP3,
Ogg Vorbis, a truncated file — is refused. Acceptance needs both the magic bytes and a full
decode by libsndfile, so a file that starts right but is broken inside is refused too.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from suqiu_queue.domain.errors import Invalid, SuqiuError

MAX_UPLOAD_BYTES = 4_000_000  # two minutes of 16 kHz mono WAV (3.84 MB) fit; FLAC needs far less
MAX_SECONDS = 120.0
MIN_SECONDS = 0.3
SAMPLE_RATES = range(8_000, 48_001)
MAX_CHANNELS = 2

CONTENT_TYPES = {"flac": "audio/flac", "ogg_opus": "audio/ogg; codecs=opus"}


class NotAudio(SuqiuError):
    status = 415


class TooLarge(SuqiuError):
    status = 413


class VoiceUnavailable(SuqiuError):
    status = 503


@dataclass(frozen=True)
class CheckedAudio:
    data: bytes  # what is stored: FLAC or Ogg Opus
    format: str
    uploaded_format: str
    sample_rate: int
    channels: int
    duration_s: float

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def sniff(data: bytes) -> str | None:
    """The container by its magic bytes: ``flac``, ``ogg_opus``, ``wav``, or None."""
    if data[:4] == b"fLaC":
        return "flac"
    # An Ogg page header is 27 bytes plus its segment table (length in byte 26); the first packet
    # of an Opus stream starts with "OpusHead". Vorbis or Speex in Ogg are refused.
    if data[:4] == b"OggS" and len(data) > 27:
        start = 27 + data[26]
        if data[start : start + 8] == b"OpusHead":
            return "ogg_opus"
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    return None


def _soundfile() -> Any:
    try:
        import soundfile
    except (ImportError, OSError) as exc:
        raise VoiceUnavailable(
            "voice_unavailable",
            "服务器暂不支持语音留言（缺少音频组件）",
            "Voice messages are not available on this server (soundfile is not installed)",
        ) from exc
    return soundfile


def not_audio() -> NotAudio:
    return NotAudio(
        "voice_not_audio",
        "上传的文件不是可以接收的录音（只接受 FLAC、Ogg Opus 或 WAV 格式）",
        "The upload is not an accepted recording (FLAC, Ogg Opus or WAV only)",
    )


def check(data: bytes) -> CheckedAudio:
    """Refuse or accept one upload; WAV comes back as FLAC."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise TooLarge(
            "voice_too_large",
            f"录音文件过大（上限 {MAX_UPLOAD_BYTES // 1_000_000} MB）",
            f"Recording too large (limit {MAX_UPLOAD_BYTES} bytes)",
            details={"limit_bytes": MAX_UPLOAD_BYTES},
        )
    kind = sniff(data)
    if kind is None:
        raise not_audio()
    soundfile = _soundfile()
    try:
        info = soundfile.info(io.BytesIO(data))
        # Decoding every frame is the real check: a header can be perfect on a file cut in half.
        values, rate = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise Invalid("voice_corrupt", "录音文件已损坏，无法播放", f"The recording cannot be decoded: {exc}") from exc
    expected_container = {"flac": "FLAC", "ogg_opus": "OGG", "wav": "WAV"}[kind]
    if info.format not in (expected_container, "WAVEX") or (kind == "ogg_opus" and info.subtype != "OPUS"):
        raise not_audio()
    frames, channels = values.shape
    if rate not in SAMPLE_RATES or not 1 <= channels <= MAX_CHANNELS:
        raise Invalid(
            "voice_unsupported_format",
            "录音格式不受支持（需单声道或双声道，采样率 8–48 kHz）",
            f"Unsupported recording: {channels} channels at {rate} Hz",
        )
    duration = frames / rate
    if duration > MAX_SECONDS:
        raise Invalid(
            "voice_too_long",
            f"录音超过 {int(MAX_SECONDS)} 秒，请简短一些",
            f"Recording longer than {int(MAX_SECONDS)} s",
            details={"limit_seconds": MAX_SECONDS, "seconds": round(duration, 2)},
        )
    if duration < MIN_SECONDS:
        raise Invalid("voice_too_short", "录音太短，没有录到声音", f"Recording shorter than {MIN_SECONDS} s")
    stored, stored_kind = data, kind
    if kind == "wav":
        buffer = io.BytesIO()
        soundfile.write(buffer, values, rate, format="FLAC", subtype="PCM_16")
        stored, stored_kind = buffer.getvalue(), "flac"
    return CheckedAudio(stored, stored_kind, kind, int(rate), int(channels), duration)
