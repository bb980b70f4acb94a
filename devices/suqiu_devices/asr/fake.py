"""A recognizer for demos on a laptop without the model: it "hears" a fixed sentence.

Like the real engine it takes time in proportion to the audio (``seconds_per_audio_second``) and
returns nothing for silence, so the kiosk's waiting state is exercised as it would be for real.
"""

from __future__ import annotations

import time

from ..microphone import pcm


class FakeRecognizer:
    def __init__(
        self,
        text: str = "我想咨询一下公积金提取的事情。",
        *,
        seconds_per_audio_second: float = 0.25,
        silence_dbfs: float = -50.0,
    ) -> None:
        self.text = text
        self.seconds_per_audio_second = seconds_per_audio_second
        self.silence_dbfs = silence_dbfs
        self.calls = 0
        self.state = "ready"

    def wait_ready(self, timeout: float | None = None) -> bool:
        return True

    def transcribe(self, pcm16: bytes, sample_rate: int = pcm.SAMPLE_RATE) -> str:
        self.calls += 1
        time.sleep(pcm.seconds_of(pcm16, sample_rate) * self.seconds_per_audio_second)
        return self.text if pcm.rms_dbfs(pcm16) > self.silence_dbfs else ""
