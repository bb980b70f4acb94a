"""One self-assessment at the kiosk as a plain state machine (no Qt), so every rule is unit-testable.

    pick ─choose─▶ consent ─anonymous/linked─▶ item 1 … item N ─▶ submitting ─▶ result
      ▲ │             │ back                      │ back              │            └─▶ crisis
      └─┼─────────────┘◀──────────────────────────┘                   └─failed─▶ failed (retry / leave)
        └─查看我以前的自测结果 (identified only)─▶ mine-privacy ─继续─▶ mine ─关闭─▶ pick

Rules kept here:

* The questions come from the server (``GET /assessments/scales``): the kiosk shows the wording
  and version the server scores, and a site's own or licensed scales without a kiosk update.
* Nothing leaves the kiosk until the last question is answered. Leaving midway (or the idle
  timeout) forgets every answer; nothing is sent.
* The one exception is a crisis answer (a flag of level ``crisis`` in the scale data, e.g. any
  answer but 完全不会 to PHQ-9 item 9): as soon as that scale can be scored, it is handed in at
  once so the counselors are alerted now, not after the remaining questions. Whether it *is* a
  crisis is still the server's word (``crisis`` in its reply); the data only tells the kiosk not
  to wait.
* Each scale is handed in with its own idempotency key, fixed for the session: a retry after a
  lost answer never stores it twice.
* The person's own past results are offered only to someone the kiosk identified, after a privacy
  screen; they live in this session's memory and go with it (closing the list, leaving, idle).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

DEFAULT_SCREENING = ("phq9", "gad7")
SECONDS_PER_ITEM = 10  # a calm pace for the "约 N 分钟" estimate


class Step(StrEnum):
    LOADING = "loading"  # the scales are being fetched
    PICK = "pick"
    CONSENT = "consent"
    ITEM = "item"
    SUBMITTING = "submitting"
    FAILED = "failed"  # could not hand in: retry, or leave (then nothing is stored)
    RESULT = "result"
    CRISIS = "crisis"
    MINE_PRIVACY = "mine-privacy"  # before the person's own past results: "only on this screen" (+ digits)
    MINE = "mine"  # the person's own past results
    ENDED = "ended"  # left, timed out, or finished: nothing of the session is kept


@dataclass(frozen=True)
class OptionInfo:
    points: int
    label: str
    label_en: str = ""


@dataclass(frozen=True)
class ItemInfo:
    number: int
    text: str
    options: tuple[OptionInfo, ...]
    text_en: str = ""
    scored: bool = True
    crisis_at: int | None = None  # an answer with at least these points is a crisis answer

    def is_crisis_answer(self, points: int) -> bool:
        return self.crisis_at is not None and points >= self.crisis_at


@dataclass(frozen=True)
class ScaleInfo:
    id: str
    version: str
    short_name: str
    name: str
    instructions: str
    items: tuple[ItemInfo, ...]
    name_en: str = ""
    instructions_en: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScaleInfo:
        items = []
        for item in data["items"]:
            crisis = [int(f["min_points"]) for f in item.get("flags", ()) if f.get("level") == "crisis"]
            items.append(
                ItemInfo(
                    number=int(item["number"]),
                    text=str(item["text"]),
                    text_en=str(item.get("text_en", "")),
                    scored=bool(item.get("scored", True)),
                    options=tuple(
                        OptionInfo(int(o["points"]), str(o["label"]), str(o.get("label_en", "")))
                        for o in item["options"]
                    ),
                    crisis_at=min(crisis) if crisis else None,
                )
            )
        return cls(
            id=str(data["id"]),
            version=str(data.get("version", "")),
            short_name=str(data.get("short_name", data["id"])),
            name=str(data.get("name", data["id"])),
            name_en=str(data.get("name_en", "")),
            instructions=str(data.get("instructions", "")),
            instructions_en=str(data.get("instructions_en", "")),
            items=tuple(items),
        )

    @property
    def minutes(self) -> int:
        return max(1, round(len(self.items) * SECONDS_PER_ITEM / 60))


@dataclass(frozen=True)
class Question:
    """One screen: an item of a scale, and where it sits in the whole session."""

    scale: ScaleInfo
    item: ItemInfo
    position: int  # 1-based over all chosen scales
    total: int
    first_of_scale: bool

    @property
    def key(self) -> tuple[str, int]:
        return (self.scale.id, self.item.number)


@dataclass(frozen=True)
class Submission:
    """What is handed in for one scale: points as ticked (None for an unanswered unscored item)."""

    scale: str
    points: list[int | None]
    employee_no: str | None
    ticket_id: int | None
    idempotency_key: str


@dataclass(frozen=True)
class Outcome:
    """What ``finished`` carries to the kiosk: the server's kind words per scale, never answers."""

    results: tuple[dict[str, Any], ...]
    crisis: bool
    linked: bool
    crisis_ticket: dict[str, Any] | None = None


@dataclass(frozen=True)
class IdentityProof:
    """How the kiosk can show the server, without asking again, that this is the identified person:
    a face match they confirmed with "是" here, or the phone number they typed (its last four digits).
    Identified by 工号 alone there is none: the privacy screen asks for the phone's last four digits."""

    phone_last4: str = ""
    match_id: int | None = None
    match_token: str = ""

    @property
    def by_face(self) -> bool:
        return self.match_id is not None and bool(self.match_token)


_session_ids = itertools.count(1)


@dataclass
class Session:
    id: int = field(default_factory=lambda: next(_session_ids))
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    employee_no: str | None = None  # set when the kiosk identified the person
    ticket_id: int | None = None  # the visit's ticket, if one was taken
    chosen: tuple[str, ...] = ()
    linked: bool | None = None  # None: not chosen yet
    index: int = 0
    answers: dict[tuple[str, int], int] = field(default_factory=dict)
    to_submit: list[str] = field(default_factory=list)  # scale ids being handed in, in order
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)  # scale id -> server reply
    early: bool = False  # handed in early because of a crisis answer
    error: str = ""
    crisis_ticket: dict[str, Any] | None = None
    proof: IdentityProof | None = None  # see IdentityProof; None: ask for the phone's last digits
    identity_pass: str = ""  # the server's pass for the person's own results (memory only, minutes)
    mine: list[dict[str, Any]] | None = None  # the person's own past results while the list is open


class AssessmentFlow:
    def __init__(self, scales: Iterable[ScaleInfo] = (), *, default: Sequence[str] = DEFAULT_SCREENING) -> None:
        self.scales: dict[str, ScaleInfo] = {}
        self.default = tuple(default)
        self.step = Step.LOADING
        self.session = Session()
        self._listeners: list[Callable[[Step], None]] = []
        self.set_scales(scales)

    # --- observing ----------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[Step], None]) -> None:
        self._listeners.append(listener)

    def _go(self, step: Step) -> None:
        self.step = step
        for listener in list(self._listeners):
            listener(step)

    def is_current(self, session_id: int) -> bool:
        return self.session.id == session_id and self.step != Step.ENDED

    # --- the scales ---------------------------------------------------------------------------------

    def set_scales(self, scales: Iterable[ScaleInfo]) -> None:
        self.scales = {s.id: s for s in scales}
        if self.step == Step.LOADING and self.scales:
            self._go(Step.PICK)

    @property
    def default_available(self) -> tuple[str, ...]:
        """The default screening, as far as this site offers it (PHQ-9 + GAD-7)."""
        return tuple(s for s in self.default if s in self.scales)

    # --- a session ------------------------------------------------------------------------------------

    def start(
        self, *, employee_no: str | None = None, ticket_id: int | None = None, proof: IdentityProof | None = None
    ) -> None:
        """A new person: ``employee_no`` only if the kiosk identified them (it enables 实名 and their
        own past results); ``proof``: how that identification can be shown to the server again."""
        self.session = Session(employee_no=employee_no or None, ticket_id=ticket_id, proof=proof)
        self._go(Step.PICK if self.scales else Step.LOADING)

    @property
    def can_link(self) -> bool:
        return bool(self.session.employee_no)

    def choose(self, scale_ids: Sequence[str]) -> bool:
        if self.step != Step.PICK or not scale_ids or any(s not in self.scales for s in scale_ids):
            return False
        self.session.chosen = tuple(dict.fromkeys(scale_ids))  # order kept, duplicates dropped
        self._go(Step.CONSENT)
        return True

    def choose_default(self) -> bool:
        return self.choose(self.default_available)

    def choose_mode(self, *, linked: bool) -> bool:
        """匿名 (False) or 实名 (True, only for an identified person)."""
        if self.step != Step.CONSENT or (linked and not self.can_link):
            return False
        self.session.linked = linked
        self.session.index = 0
        self._go(Step.ITEM)
        return True

    # --- the person's own past results ----------------------------------------------------------------

    def open_mine(self) -> bool:
        """查看我以前的自测结果 (identified people only): first the privacy screen."""
        if self.step != Step.PICK or not self.can_link:
            return False
        self.session.mine = None
        self._go(Step.MINE_PRIVACY)
        return True

    @property
    def mine_needs_digits(self) -> bool:
        """The privacy screen asks for the phone's last four digits (no pass yet, no other proof)."""
        return not self.session.identity_pass and self.session.proof is None

    def mine_loaded(self, results: Sequence[Mapping[str, Any]]) -> None:
        if self.step == Step.MINE_PRIVACY:
            self.session.mine = [dict(r) for r in results]
            self._go(Step.MINE)

    def close_mine(self) -> None:
        """返回 / 关闭: the list is forgotten; back to choosing a questionnaire."""
        if self.step in (Step.MINE_PRIVACY, Step.MINE):
            self.session.mine = None
            self._go(Step.PICK)

    # --- questions ------------------------------------------------------------------------------------

    @property
    def questions(self) -> list[Question]:
        pairs = [(self.scales[s], item) for s in self.session.chosen for item in self.scales[s].items]
        total = len(pairs)
        out, previous = [], None
        for position, (scale, item) in enumerate(pairs, start=1):
            out.append(Question(scale, item, position, total, first_of_scale=scale.id != previous))
            previous = scale.id
        return out

    @property
    def total(self) -> int:
        return sum(len(self.scales[s].items) for s in self.session.chosen)

    @property
    def question(self) -> Question | None:
        if self.step != Step.ITEM:
            return None
        return self.questions[self.session.index]

    def answer_of(self, question: Question) -> int | None:
        return self.session.answers.get(question.key)

    def answer(self, points: int) -> None:
        """The person tapped an answer: go on, or hand in (all answered, or a crisis answer)."""
        question = self.question
        if question is None or all(o.points != points for o in question.item.options):
            return
        self.session.answers[question.key] = points
        crisis_scale = self._crisis_scale()
        if crisis_scale is not None:
            nxt = self._next_scored_unanswered(crisis_scale)
            if nxt is None:
                # The crisis scale can be scored now: hand it in (with any scale already complete).
                complete = [s for s in self.session.chosen if self._complete(s)]
                self._begin_submit(complete, early=True)
                return
            self.session.index = nxt
            self._go(Step.ITEM)
            return
        if self.session.index + 1 < self.total:
            self.session.index += 1
            self._go(Step.ITEM)
            return
        self._begin_submit(list(self.session.chosen), early=False)

    def back(self) -> None:
        if self.step == Step.ITEM:
            if self.session.index == 0:
                self._go(Step.CONSENT)
            else:
                self.session.index -= 1
                self._go(Step.ITEM)
        elif self.step == Step.CONSENT:
            self.session.chosen = ()
            self._go(Step.PICK)

    def _crisis_scale(self) -> str | None:
        for question in self.questions:
            points = self.session.answers.get(question.key)
            if points is not None and question.item.is_crisis_answer(points):
                return question.scale.id
        return None

    def _next_scored_unanswered(self, scale_id: str) -> int | None:
        for index, question in enumerate(self.questions):
            if question.scale.id == scale_id and question.item.scored and question.key not in self.session.answers:
                return index
        return None

    def _complete(self, scale_id: str) -> bool:
        return all((scale_id, i.number) in self.session.answers for i in self.scales[scale_id].items if i.scored)

    # --- handing in -----------------------------------------------------------------------------------

    def _begin_submit(self, scale_ids: list[str], *, early: bool) -> None:
        self.session.to_submit = [s for s in scale_ids if s not in self.session.replies]
        self.session.early = early
        self.session.error = ""
        self._go(Step.SUBMITTING)

    @property
    def crisis_expected(self) -> bool:
        """A crisis answer was given: whatever the network does, the person sees the crisis screen."""
        return self._crisis_scale() is not None

    def next_submission(self) -> Submission | None:
        """The next scale to hand in (one at a time, in order), or None when all are in."""
        pending = self.pending_submissions()
        return pending[0] if pending else None

    def pending_submissions(self) -> list[Submission]:
        """Every scale still to hand in, in order."""
        linked = bool(self.session.linked)
        out = []
        for scale_id in self.session.to_submit:
            if scale_id not in self.session.replies:
                scale = self.scales[scale_id]
                # Anonymous: neither the 工号 nor the ticket goes with it — a ticket can name the person.
                out.append(
                    Submission(
                        scale=scale_id,
                        points=[self.session.answers.get((scale_id, i.number)) for i in scale.items],
                        employee_no=self.session.employee_no if linked else None,
                        ticket_id=self.session.ticket_id if linked else None,
                        idempotency_key=f"kiosk-{self.session.key}-{scale_id}",
                    )
                )
        return out

    def undelivered_crisis(self) -> list[Submission]:
        """What must still reach the server although the session ends: a crisis answer not yet
        handed in, with whatever was being handed in together with it. Empty otherwise."""
        if self.step not in (Step.SUBMITTING, Step.CRISIS) or not self.crisis_expected:
            return []
        return self.pending_submissions()

    def submitted(self, scale_id: str, reply: Mapping[str, Any]) -> None:
        """The server took one scale. Its answers are no longer needed here: forget them."""
        if self.step not in (Step.SUBMITTING, Step.CRISIS) or scale_id not in self.session.to_submit:
            return
        self.session.replies[scale_id] = dict(reply)
        for key in [k for k in self.session.answers if k[0] == scale_id]:
            del self.session.answers[key]
        if self.next_submission() is not None:
            return  # more to hand in; the caller sends the next one
        if any(r.get("crisis") for r in self.session.replies.values()):
            if self.step != Step.CRISIS:
                self._go(Step.CRISIS)
            return
        if self.step == Step.CRISIS:
            return  # shown while the alert was still on its way; stay calm, stay here
        if self.session.early:
            # The server did not see a crisis after all: carry on where the person was.
            nxt = self._first_unanswered()
            if nxt is not None:
                self.session.early = False
                self.session.index = nxt
                self._go(Step.ITEM)
                return
        self._go(Step.RESULT)

    def _first_unanswered(self) -> int | None:
        for index, question in enumerate(self.questions):
            if question.scale.id not in self.session.replies and question.key not in self.session.answers:
                return index
        return None

    def submit_failed(self, message: str) -> None:
        """Could not hand in. A crisis answer still gets the crisis screen (the kiosk keeps trying)."""
        if self.step not in (Step.SUBMITTING, Step.CRISIS):
            return
        self.session.error = message
        if self.crisis_expected:
            if self.step != Step.CRISIS:
                self._go(Step.CRISIS)
            return
        self._go(Step.FAILED)

    def retry(self) -> None:
        if self.step == Step.FAILED:
            self.session.error = ""
            self._go(Step.SUBMITTING)

    @property
    def alert_pending(self) -> bool:
        """On the crisis screen, but the server has not taken the crisis scale yet."""
        return self.step == Step.CRISIS and self.next_submission() is not None

    # --- the end ----------------------------------------------------------------------------------------

    @property
    def results(self) -> list[dict[str, Any]]:
        return [self.session.replies[s] for s in self.session.chosen if s in self.session.replies]

    @property
    def crisis_reply(self) -> dict[str, Any] | None:
        return next((r for r in self.results if r.get("crisis")), None)

    def crisis_ticket_issued(self, ticket: dict[str, Any]) -> None:
        self.session.crisis_ticket = dict(ticket)

    @property
    def crisis_ticket_key(self) -> str:
        return f"kiosk-crisis-{self.session.key}"

    def outcome(self) -> Outcome:
        return Outcome(
            results=tuple(self.results),
            crisis=self.step == Step.CRISIS or self.crisis_reply is not None,
            linked=bool(self.session.linked),
            crisis_ticket=self.session.crisis_ticket,
        )

    def discard(self) -> None:
        """Leave: every answer is forgotten and nothing more is sent."""
        self.session.answers.clear()
        self.session.to_submit.clear()
        self.session.mine = None
        self.session.identity_pass = ""
        self.session = Session()
        self._go(Step.ENDED)

    @property
    def midway(self) -> bool:
        """Answers exist that leaving would throw away (nothing has been handed in)."""
        return self.step in (Step.PICK, Step.CONSENT, Step.ITEM, Step.FAILED)
