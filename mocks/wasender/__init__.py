"""A mock of WASenderApi (``https://www.wasenderapi.com/api``), the unofficial WhatsApp API.

What it models, and where each fact comes from (wasenderapi.com/api-docs, read
for this mock; the official SDKs: ``wasenderapi`` on PyPI and npm, the Laravel
SDK, the n8n node). "Guessed" marks what no public source states.

- ``POST /api/send-message`` with ``Authorization: Bearer <session API key>``
  (docs: authentication; "API Keys are tied to a specific session"). Body
  (docs: send-text-message; SDKs): ``to`` (E.164 number, group JID ``...@g.us``
  or channel JID ``...@newsletter``), ``text``, or a media URL (``imageUrl``,
  ``videoUrl``, ``documentUrl`` + ``fileName``, ``audioUrl``, ``stickerUrl``)
  with ``text`` as the caption, ``contact`` ``{name, phone}``, ``location``
  ``{latitude, longitude, name?, address?}``, ``poll`` ``{question, options,
  multiSelect}`` (SDKs), optional ``messageType`` (SDKs), ``replyTo``,
  ``mentions``. Answer 200 ``{"success": true, "data": {"msgId": 100000,
  "jid": "+123456789", "status": "in_progress"}}`` (docs; ``jid`` echoes ``to``).
- Errors (docs: error responses, authentication): missing key 401
  ``{"success": false, "message": "API key is required"}``; validation
  ``{"success": false, "message": "Validation failed", "errors": {"to": ["The to
  field is required."], "text": ["The text field is required when no media is
  present."]}}``. Guessed: the 422 status (Laravel's, whose error bag the body
  is), 401 "Invalid API key" for an unknown key, 400 for a session that is not
  connected, 404 "Not Found"/"Message not found", every other message text.
- Rate limits (docs: rate limits) per session: trial 1 a minute and 50 a day,
  paid 256 a minute, account protection 1 every 5 s; headers
  ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` (Unix seconds) on every send;
  429 ``{"message": "You are on a free trial. You can only send 1 message every
  1 minute.", "retry_after": 60}``. See ``mocks/wasender/_limits.py`` for what
  is guessed there.
- ``GET /api/messages/{msgId}/info`` (docs: get-message-info) and
  ``GET /api/status`` ``{"status": "connected"}`` (docs: session status, with
  its six statuses).

::

    with MockHandle.in_process(create_service()) as wasender:
        wasender.client.post(
            "/api/send-message",
            headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
            json={"to": "+14155550123", "text": "New lead: Ada"},
        )
        assert WasenderAdmin(wasender.admin).messages()[0].text == "New lead: Ada"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mocks._core import FaultRule, MockService, RateLimitAnswer, RateLimitFault, ServiceAdmin
from mocks.wasender._backend import (
    DEFAULT_API_KEY,
    DEFAULT_PHONE_NUMBER,
    SentMessage,
    Session,
    SessionStatus,
    WasenderBackend,
)
from mocks.wasender._limits import PLANS, Plan, PlanName, rate_limit_answer
from mocks.wasender._routes import (
    message_info_data,
    wasender_admin_routes,
    wasender_routes,
    wasender_unmatched,
)
from mocks.wasender._validation import MESSAGE_TYPES, ValidMessage, validate_message
from mocks.wasender.exceptions import WasenderApiError

__all__ = [
    "API_PATH",
    "DEFAULT_API_KEY",
    "DEFAULT_PHONE_NUMBER",
    "MESSAGE_TYPES",
    "PLANS",
    "Plan",
    "PlanName",
    "SentMessage",
    "Session",
    "SessionStatus",
    "ValidMessage",
    "WasenderAdmin",
    "WasenderApiError",
    "WasenderBackend",
    "create_service",
    "message_info_data",
    "validate_message",
]

API_PATH = "/api"
"""Where the API lives under the mock's URL: an SDK's base URL is ``url + API_PATH``."""


def create_service(
    *,
    api_key: str = DEFAULT_API_KEY,
    plan: PlanName = "paid",
    sessions: Iterable[Session] | None = None,
    seed: int | None = None,
    clock: Callable[[], float] | None = None,
) -> MockService[WasenderBackend]:
    """The WASenderApi mock: one connected session (``api_key``, on ``plan``), or ``sessions``.

    ``clock`` (Unix seconds) drives the rate limits; give a fake one in-process
    to step past a window without waiting.
    """
    configured = tuple(sessions) if sessions is not None else (Session(api_key=api_key, plan=plan),)
    options: dict[str, Any] = {} if clock is None else {"clock": clock}
    backend = WasenderBackend(sessions=configured, seed=seed, **options)

    def limits(fault: RateLimitFault) -> RateLimitAnswer:
        with backend.lock:
            plans = {session.plan for session in backend.sessions.values()}
        plan_name = plans.pop() if len(plans) == 1 else "trial"
        return rate_limit_answer(PLANS[plan_name], fault, backend.clock())

    return MockService(
        "wasender",
        backend,
        wasender_routes,
        admin_routes=wasender_admin_routes,
        rate_limit_response=limits,
        unmatched=wasender_unmatched,
        base_url="http://wasenderapi.mock",
    )


class WasenderAdmin(ServiceAdmin):
    """Typed access to the WASenderApi mock's own admin routes, over any ``AdminClient``."""

    def messages(self, *, to: str | None = None, type: str | None = None) -> list[SentMessage]:
        return self._list(SentMessage, "messages", "messages", to=to, type=type)

    def sessions(self) -> list[Session]:
        return self._list(Session, "sessions", "sessions")

    def add_session(
        self,
        *,
        api_key: str | None = None,
        phone_number: str = DEFAULT_PHONE_NUMBER,
        plan: PlanName = "paid",
        status: SessionStatus = "connected",
    ) -> Session:
        spec = {"api_key": api_key, "phone_number": phone_number, "plan": plan, "status": status}
        return Session.model_validate(self.admin.post("sessions", spec))

    def set_session(
        self,
        api_key: str = DEFAULT_API_KEY,
        *,
        plan: PlanName | None = None,
        status: SessionStatus | None = None,
    ) -> Session:
        """Change a session's plan (its rate limits) or status (``need_scan``: cannot send)."""
        change = {k: v for k, v in {"plan": plan, "status": status}.items() if v is not None}
        return Session.model_validate(self.admin.post(f"sessions/{api_key}", change))

    def throttle(self, *, retry_after: int = 60, times: int | None = None) -> FaultRule:
        """Answer sends with WASender's 429 (the session plan's message and headers)."""
        return self.admin.add_fault(
            RateLimitFault(retry_after=retry_after, status=429),
            path=API_PATH + "/send-message",
            times=times,
        )
