"""WASenderApi state, no HTTP: sessions (one API key each), sent messages, rate windows.

A WASender "session" is one linked WhatsApp number; its API key authorises the
messaging endpoints (``Authorization: Bearer <key>``). A session that is not
``connected`` cannot send. Sessions configured at construction come back on
every :meth:`WasenderBackend.reset`; plans and statuses changed through the
admin API last until then.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from mocks._core import MockBackend
from mocks.wasender._limits import PLANS, PlanName, RateWindow
from mocks.wasender._validation import ValidMessage, jid_for, validate_message
from mocks.wasender.exceptions import WasenderApiError

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_PHONE_NUMBER",
    "SentMessage",
    "Session",
    "SessionStatus",
    "WasenderBackend",
]

DEFAULT_API_KEY = "mock-wasender-api-key"
DEFAULT_PHONE_NUMBER = "+15550100200"

SessionStatus = Literal[
    "connecting", "connected", "disconnected", "need_scan", "logged_out", "expired"
]


class Session(BaseModel):
    """One linked WhatsApp number and its API key."""

    api_key: str = Field(..., min_length=1)
    phone_number: str = DEFAULT_PHONE_NUMBER
    plan: PlanName = "paid"
    status: SessionStatus = "connected"


class SentMessage(BaseModel):
    """A message WASenderApi accepted (``status`` ``in_progress`` as it answered)."""

    msg_id: int
    key_id: str
    api_key: str
    session_phone_number: str
    to: str
    jid: str
    type: str
    text: str | None = None
    media_url: str | None = None
    file_name: str | None = None
    contact: dict[str, str] | None = None
    location: dict[str, Any] | None = None
    poll: dict[str, Any] | None = None
    reply_to: int | None = None
    mentions: list[str] = Field(default_factory=list)
    payload: dict[str, Any]
    timestamp: int
    received_at: datetime


class WasenderBackend(MockBackend):
    """Sessions, messages and rate windows; ``clock`` (Unix seconds) drives the limits."""

    def __init__(
        self,
        *,
        sessions: Iterable[Session] = (Session(api_key=DEFAULT_API_KEY),),
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(seed=seed)
        self._configured = tuple(sessions)
        self.clock = clock
        self.sessions: dict[str, Session] = {}
        self.windows: dict[str, RateWindow] = {}
        self.messages: list[SentMessage] = []
        self._next_msg_id = 0
        self._load()

    def _load(self) -> None:
        self.sessions = {s.api_key: s.model_copy() for s in self._configured}
        self.windows = {key: RateWindow() for key in self.sessions}
        self.messages.clear()
        # msgIds are integers counting up (the docs show 100000); the start is seeded
        self._next_msg_id = self.ids.numeric(digits=6)

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self._load()

    # Sessions -------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> Session:
        """The session a ``Bearer`` header names, or WASenderApi's 401."""
        scheme, _, key = (authorization or "").strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise WasenderApiError.refusal(401, "API key is required")
        with self.lock:
            session = self.sessions.get(key)
        if session is None:
            raise WasenderApiError.refusal(401, "Invalid API key")
        return session

    def add_session(
        self,
        *,
        api_key: str | None = None,
        phone_number: str = DEFAULT_PHONE_NUMBER,
        plan: PlanName = "paid",
        status: SessionStatus = "connected",
    ) -> Session:
        """A new session; a missing key is 64 hex characters from the seeded RNG."""
        with self.lock:
            session = Session(
                api_key=api_key or self.ids.hex(64),
                phone_number=phone_number,
                plan=plan,
                status=status,
            )
            self.sessions[session.api_key] = session
            self.windows[session.api_key] = RateWindow()
            return session

    def update_session(self, api_key: str, **changes: Any) -> Session:
        with self.lock:
            if api_key not in self.sessions:
                raise KeyError(api_key)
            updated = self.sessions[api_key].model_copy(update=changes)
            self.sessions[api_key] = Session.model_validate(updated.model_dump())
            return self.sessions[api_key]

    # Messages -------------------------------------------------------------------------
    def send(self, session: Session, body: Any) -> tuple[SentMessage, dict[str, str]]:
        """Accept one message for ``session``: it and its rate-limit headers, or a refusal."""
        message = validate_message(body)
        if session.status != "connected":
            raise WasenderApiError.refusal(
                400,
                f"WhatsApp session is not connected (status: {session.status}). "
                "Connect it by scanning the QR code.",
            )
        with self.lock:
            now = self.clock()
            headers = self.windows[session.api_key].admit(PLANS[session.plan], now)
            sent = self._store(session, message, body, now)
        return sent, headers

    def _store(
        self, session: Session, message: ValidMessage, body: dict[str, Any], now: float
    ) -> SentMessage:
        sent = SentMessage(
            msg_id=self._next_msg_id,
            key_id="3EB0" + self.ids.hex(16).upper(),
            api_key=session.api_key,
            session_phone_number=session.phone_number,
            to=message.to,
            jid=jid_for(message.to),
            type=message.type,
            text=message.text,
            media_url=message.media_url,
            file_name=message.file_name,
            contact=message.contact,
            location=message.location,
            poll=message.poll,
            reply_to=message.reply_to,
            mentions=message.mentions,
            payload=body,
            timestamp=int(now),
            received_at=datetime.now(UTC),
        )
        self._next_msg_id += 1
        self.messages.append(sent)
        return sent

    def message(self, session: Session, msg_id: int) -> SentMessage:
        with self.lock:
            for sent in self.messages:
                if sent.msg_id == msg_id and sent.api_key == session.api_key:
                    return sent
        raise WasenderApiError.refusal(404, "Message not found")

    def messages_for(self, to: str | None = None, type: str | None = None) -> list[SentMessage]:
        with self.lock:
            return [
                m
                for m in self.messages
                if (to is None or m.to == to or m.jid == to) and (type is None or m.type == type)
            ]

    def state(self) -> dict[str, Any]:
        return {
            "sessions": [s.model_dump(mode="json") for s in self.sessions.values()],
            "messages": [m.model_dump(mode="json") for m in self.messages],
        }
