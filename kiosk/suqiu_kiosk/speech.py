"""Spoken guidance: what the kiosk says on each screen, and a guide that never talks over itself.

Spoken always: the greeting when a person starts, and their ticket number. In 长辈模式 every
step is spoken too, a little slower. A new screen cancels whatever was still queued for the old
one, so the voice is always about what is on the screen now.
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor

from suqiu_devices import DeviceError
from suqiu_devices.protocols import Speaker
from suqiu_devices.speaker.text import spell_ticket_number  # digit by digit, as the hall calls it

log = logging.getLogger(__name__)

GREETING = {
    "zh": "您好，欢迎来到职工诉求服务中心。请点选您要办理的事项。",
    "en": "Hello, welcome to the employee service center. Please tap what you need help with.",
}

STEP_GUIDANCE = {
    "identify": {
        "zh": "如需登记身份，请输入工号或手机号；不方便也可以点跳过。",
        "en": "To register, enter your staff number or phone number, or tap skip.",
    },
    "describe": {
        "zh": "请简单说说您要办理的事情，可以点选常见事项，也可以跳过。",
        "en": "Briefly tell us what it is about, pick a topic, or skip.",
    },
    "faq": {
        "zh": "这里有几条常见问题的解答，请看看能不能帮到您。",
        "en": "Here are some answers that may help.",
    },
    "resolved": {"zh": "很高兴帮到您，祝您生活愉快。", "en": "Glad we could help. Goodbye."},
    # The self-assessment's pages (长辈模式). Never a question or an answer, never the crisis page:
    # the hall is not private — the questions are read only when the person taps 朗读.
    "assessment-pick": {
        "zh": "这是心理自测。请选择要做的测评，推荐第一项。每道题都可以点朗读，听一听题目。",
        "en": "This is the self-check. Please choose one; the first is recommended. Tap read aloud on any question.",
    },
    "assessment-consent": {
        "zh": "请选择匿名作答，还是实名作答。",
        "en": "Please choose to answer anonymously or with your name.",
    },
    "assessment-result": {
        "zh": "测评完成了，谢谢您。结果在屏幕上，只供您自己参考。",
        "en": "Thank you, you are done. The result on the screen is for you.",
    },
}

ELDERLY_RATE = 0.8


def ticket_sentence(display: str, people_ahead: int, language: str = "zh") -> str:
    if language == "en":
        ahead = "You are next." if people_ahead <= 0 else f"{people_ahead} people are ahead of you."
        return f"Your number is {' '.join(display)}. {ahead} Please take your ticket."
    ahead = "前面没有人在等候，请留意叫号。" if people_ahead <= 0 else f"前面还有{people_ahead}人，请留意叫号。"
    return f"您的号码是{spell_ticket_number(display)}号。{ahead}请取走您的号票。"


def print_failed_sentence(display: str, language: str = "zh") -> str:
    if language == "en":
        return f"The ticket could not be printed. Please remember your number, {' '.join(display)}."
    return f"号票没有打印出来，请记住您的号码，{spell_ticket_number(display)}号。"


class Guide:
    """Talks through a ``Speaker`` from one background thread, so the UI never waits for it."""

    def __init__(self, speaker: Speaker | None) -> None:
        self.speaker = speaker
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="suqiu-guide")

    def _run(self, action: str, *args: object, **kwargs: object) -> None:
        if self.speaker is None:
            return

        def call() -> None:
            try:
                getattr(self.speaker, action)(*args, **kwargs)
            except DeviceError as exc:
                log.warning("speaker %s failed: %s", action, exc.message_en)

        self._worker.submit(call)

    def say(self, text: str, *, elderly: bool = False) -> None:
        self._run("say", text, rate=ELDERLY_RATE if elderly else 1.0)

    def new_screen(self) -> None:
        """Whatever was queued for the previous screen is stale now."""
        self._run("cancel")

    def greet(self, language: str, *, elderly: bool) -> None:
        self.new_screen()
        self.say(GREETING[language], elderly=elderly)

    def step(self, step: str, language: str, *, elderly: bool) -> None:
        self.new_screen()
        if elderly and step in STEP_GUIDANCE:
            self.say(STEP_GUIDANCE[step][language], elderly=elderly)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """For tests and shutdown: everything handed over, and the speaker done talking."""
        self._worker.submit(lambda: None).result(timeout)
        return True if self.speaker is None else self.speaker.wait_idle(timeout)

    def close(self) -> None:
        self._worker.shutdown(wait=True, cancel_futures=True)
        if self.speaker is not None:
            with contextlib.suppress(DeviceError):
                self.speaker.close()
