"""Offline Mandarin speech recognition with faster-whisper (CTranslate2 Whisper) on the CPU.

The model loads once, on a background thread, as soon as the recognizer is built (the kiosk
builds it at start-up), followed by one tiny warm-up decode: CTranslate2 allocates its buffers
and faster-whisper builds its tokenizer and mel filters on the first call, so doing that during
start-up means the first visitor waits no longer than later ones. ``transcribe`` waits for the
load if it is still running; call it from a worker thread.

Decoding: ``language="zh"``, beam search 5, int8 weights, 2 CPU threads. The initial prompt is a
short punctuated, simplified-Chinese sentence: without it Whisper often writes traditional
characters and no punctuation at all. Decodes are serialised (one model, two cores).

Whisper invents text for silence (often the prompt itself, "这一段留言。这一段留言。"). Two
guards on top of faster-whisper's own (it drops a window that is both probably-not-speech and
low-confidence): audio in which Silero VAD finds no speech is not decoded at all, and a segment
that merely repeats the prompt is dropped. The decoded audio is not cut by the VAD — cutting cost
accuracy on the test recordings — and a stricter no-speech cut-off lost a real short phrase.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import DeviceError, DeviceUnavailable
from ..microphone import pcm
from .models import default_model_dir, missing_files
from .text import normalise_for_scoring, tidy_transcript

log = logging.getLogger(__name__)

# Chosen among a few plain prompts on the shared recordings: it asks for simplified characters and
# punctuation and says what the audio is (a visitor's message), nothing about the content.
DEFAULT_PROMPT = "以下是普通话的句子，这是一段留言。"
UNAVAILABLE_MESSAGE = "语音识别暂时不可用"


class FasterWhisperRecognizer:
    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        compute_type: str = "int8",
        cpu_threads: int = 2,
        language: str = "zh",
        beam_size: int = 5,
        initial_prompt: str | None = DEFAULT_PROMPT,
        warm_up: bool = True,
    ) -> None:
        # Only looked up here: importing faster-whisper takes most of a second, which belongs on
        # the loading thread, not on whoever builds the recognizer (the kiosk's UI thread).
        if importlib.util.find_spec("faster_whisper") is None:
            raise DeviceUnavailable("faster-whisper is not installed", UNAVAILABLE_MESSAGE, reason="not_installed")
        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        missing = missing_files(self.model_dir)
        if missing:
            raise DeviceUnavailable(
                f"speech model incomplete in {self.model_dir} (missing {', '.join(missing)}); "
                "run `suqiu models install asr`",
                UNAVAILABLE_MESSAGE,
                reason="no_model",
            )
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.language = language
        self.beam_size = beam_size
        self.initial_prompt = initial_prompt
        self.warm_up = warm_up
        self.load_seconds: float | None = None
        self._model: Any = None
        self._error: BaseException | None = None
        self._ready = threading.Event()
        self._decode_lock = threading.Lock()
        threading.Thread(target=self._load, name="suqiu-asr-load", daemon=True).start()

    # -- loading ------------------------------------------------------------------------------------

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            from faster_whisper import WhisperModel

            model = WhisperModel(
                str(self.model_dir),
                device="cpu",
                compute_type=self.compute_type,
                cpu_threads=self.cpu_threads,
                num_workers=1,
                local_files_only=True,  # never a hub download, whatever the folder holds
            )
            if self.warm_up:
                quiet = pcm.to_float32(bytes(pcm.SAMPLE_RATE * pcm.SAMPLE_WIDTH))
                self._has_speech(quiet)  # loads the VAD model too
                self._decode(model, quiet, max_new_tokens=4)
            self._model = model
            self.load_seconds = time.perf_counter() - started
            log.info("speech model %s ready in %.2f s", self.model_dir.name, self.load_seconds)
        except Exception as exc:  # a corrupt model.bin, an unsupported compute type, out of memory
            log.error("speech model %s failed to load: %s", self.model_dir, exc)
            self._error = exc
        finally:
            self._ready.set()

    @property
    def state(self) -> str:
        """``loading``, ``ready`` or ``failed``."""
        if not self._ready.is_set():
            return "loading"
        return "failed" if self._error is not None else "ready"

    def wait_ready(self, timeout: float | None = None) -> bool:
        """True once loaded; False if it failed or ``timeout`` passed first."""
        return self._ready.wait(timeout) and self._error is None

    # -- recognising --------------------------------------------------------------------------------

    def _decode(self, model: Any, audio: Any, **extra: Any) -> str:
        segments, _info = model.transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            initial_prompt=self.initial_prompt,
            # Each message is short and stands alone: carrying text between 30 s windows only
            # lets one mistake repeat itself.
            condition_on_previous_text=False,
            vad_filter=False,  # the recorder already cut the silence
            **extra,
        )
        prompt = normalise_for_scoring(self.initial_prompt or "")
        kept = []
        for segment in segments:
            words = normalise_for_scoring(segment.text)
            if prompt and words and words in prompt:
                continue
            kept.append(segment.text)
        return "".join(kept)

    @staticmethod
    def _has_speech(audio: Any) -> bool:
        from faster_whisper.vad import get_speech_timestamps

        return bool(get_speech_timestamps(audio, min_speech_duration_ms=200))

    def transcribe(self, pcm16: bytes, sample_rate: int = pcm.SAMPLE_RATE) -> str:
        self._ready.wait()
        if self._error is not None:
            raise DeviceError(f"speech model failed to load: {self._error}", UNAVAILABLE_MESSAGE, reason="model_failed")
        audio = pcm.to_float32(pcm16)
        if sample_rate != pcm.SAMPLE_RATE:
            audio = pcm.resample(audio, sample_rate, pcm.SAMPLE_RATE)
        if len(audio) == 0 or not self._has_speech(audio):
            return ""
        with self._decode_lock:
            try:
                text = self._decode(self._model, audio)
            except Exception as exc:
                raise DeviceError(f"recognition failed: {exc}", "没能识别这段语音", reason="decode_failed") from exc
        return tidy_transcript(text)

    def close(self) -> None:
        self._ready.wait()
        self._model = None
