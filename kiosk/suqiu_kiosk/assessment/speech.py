"""朗读: the current question read out on request, through the kiosk's ``Speaker``.

Only when the person asks (a hall is not private), only the question and its choices — never the
answer they pick. A new question, leaving, or the end of the session cancels what is still being
said, so the voice never talks about a screen that is gone.
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor

from suqiu_devices import DeviceError
from suqiu_devices.protocols import Speaker

from .model import Question
from .texts import tr

log = logging.getLogger(__name__)


def question_speech(question: Question, language: str = "zh") -> str:
    item, scale = question.item, question.scale
    english = language == "en"
    parts = [tr("speech_question", language, n=question.position)]
    if question.first_of_scale:
        instructions = scale.instructions_en if english and scale.instructions_en else scale.instructions
        parts.append(instructions)
    text = item.text_en if english and item.text_en else item.text
    parts.append(text.rstrip("。？?.") + ("." if english else "。"))
    labels = [o.label_en if english and o.label_en else o.label for o in item.options]
    parts.append(tr("speech_choose", language) + ("; " if english else "；").join(labels) + ("." if english else "。"))
    return ("" if not english else " ").join(p for p in parts if p)


class ReadAloud:
    """Talks from one background thread, so the UI never waits for the speaker (or a stuck driver)."""

    def __init__(self, speaker: Speaker | None) -> None:
        self.speaker = speaker
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="suqiu-assessment-voice")
        # The speaker is shared with the kiosk's own guidance: only cut off what *we* started,
        # or a new screen would silence the kiosk's spoken step guidance (长辈模式) as well.
        self._reading = False

    @property
    def available(self) -> bool:
        return self.speaker is not None

    def _run(self, action: str, *args: object, **kwargs: object) -> None:
        if self.speaker is None:
            return

        def call() -> None:
            try:
                getattr(self.speaker, action)(*args, **kwargs)
            except DeviceError as exc:
                log.warning("speaker %s failed: %s", action, exc.message_en)

        with contextlib.suppress(RuntimeError):  # shut down already: nothing more to say
            self._worker.submit(call)

    def read(self, text: str, *, rate: float = 1.0) -> None:
        self._run("cancel")
        self._run("say", text, rate=rate)
        self._reading = True

    def stop(self) -> None:
        if self._reading:
            self._run("cancel")
            self._reading = False

    def flush(self, timeout: float | None = None) -> None:
        """For tests and shutdown: everything handed to the speaker (not necessarily said yet)."""
        with contextlib.suppress(RuntimeError):
            self._worker.submit(lambda: None).result(timeout)

    def close(self) -> None:
        """Stop talking and end the thread. The speaker belongs to the kiosk: it stays open."""
        self.stop()
        self._worker.shutdown(wait=True, cancel_futures=False)
