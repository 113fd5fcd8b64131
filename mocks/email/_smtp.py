"""The SMTP side of the email mock: an aiosmtpd handler that journals, faults and captures.

Every SMTP transaction lands in the service's journal as one entry with
``method="SMTP"`` and ``path`` the command it ended on (``MAIL``, ``RCPT``,
``DATA``, or ``AUTH`` for a refused login): envelope details are its headers
(``mail-from``, ``rcpt-to``, ``peer``, ``auth-user``), the raw message its
body, the SMTP reply code its ``status``. Fault rules match ``method="SMTP"``
and a ``path`` of ``MAIL``, ``RCPT`` or ``DATA`` (a rule with no path fires on
the first of these a message reaches), and turn into SMTP answers:

- ``status``: reply ``"<status> <body>"``; a code below 400 lets MAIL/RCPT
  through but drops the message at DATA (a black hole)
- ``rate_limit``: ``451 4.7.1`` with the retry delay
- ``latency``: wait, then go on
- ``connection_reset``/``empty_response``: drop the connection with no reply
- ``malformed_body``: a reply line that is not SMTP
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
import struct
import time
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from email_validator import EmailNotValidError, validate_email

from mocks._core import (
    ConnectionResetFault,
    EmptyResponseFault,
    MalformedBodyFault,
    MockService,
    RateLimitFault,
    StatusFault,
    TerminalFault,
)
from mocks.email._backend import EmailBackend

__all__ = ["CaptureHandler", "LoopbackController", "quiet_aiosmtpd_log"]

_AUTH_REQUIRED = "530 5.7.0 Authentication required"
_BAD_RECIPIENT = "501 5.1.3 Bad recipient address syntax"  # Postfix's answer


def _valid_address(address: str) -> bool:
    """Syntax only: no DNS, and local or special-use domains (``localhost``, ``.test``) pass."""
    try:
        validate_email(address, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError:
        return False
    return True


class CaptureHandler:
    """aiosmtpd hooks storing accepted mail in ``service.backend``."""

    def __init__(self, service: MockService[EmailBackend]) -> None:
        self.service = service

    # aiosmtpd calls this for AUTH PLAIN and AUTH LOGIN.
    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        credentials = self.service.backend.credentials
        if isinstance(auth_data, LoginPassword):
            expected = credentials.get(auth_data.login.decode("utf-8", errors="replace"))
            given = auth_data.password.decode("utf-8", errors="replace")
            if expected is not None and hmac.compare_digest(expected, given):
                return AuthResult(success=True, auth_data=auth_data)
        self._journal("AUTH", session, envelope, "535 5.7.8 Authentication credentials invalid", [])
        return AuthResult(success=False, handled=False)

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        if self.service.backend.credentials and not session.authenticated:
            return self._end("MAIL", session, envelope, _AUTH_REQUIRED, [])
        return await self._command("MAIL", server, session, envelope)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not _valid_address(address):
            return self._end("RCPT", session, envelope, _BAD_RECIPIENT, [])
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        reply = await self._command("RCPT", server, session, envelope)
        if not reply.startswith("250"):
            envelope.rcpt_tos.pop()  # a refused recipient is not part of the transaction
        return reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        started = time.perf_counter()
        plan = self.service.faults.plan("SMTP", "DATA")
        if plan.delay:
            await asyncio.sleep(plan.delay)
        raw = _raw(envelope)
        if plan.fault is not None:
            return self._faulted("DATA", server, session, envelope, plan.fault, plan.kinds, raw)
        captured = self.service.backend.capture(
            raw,
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            peer=_peer(session),
            auth_user=_auth_user(session),
        )
        reply = f"250 2.0.0 OK: queued as {captured.id}"
        self._journal("DATA", session, envelope, reply, plan.kinds, raw, started)
        return reply

    # -- helpers -------------------------------------------------------------------------
    async def _command(self, phase: str, server: SMTP, session: Session, envelope: Envelope) -> str:
        plan = self.service.faults.plan("SMTP", phase)
        if plan.delay:
            await asyncio.sleep(plan.delay)
        if plan.fault is None:
            return "250 OK"
        return self._faulted(phase, server, session, envelope, plan.fault, plan.kinds, b"")

    def _faulted(
        self,
        phase: str,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        fault: TerminalFault,
        kinds: list[str],
        raw: bytes,
    ) -> str:
        if isinstance(fault, ConnectionResetFault | EmptyResponseFault):
            self._journal(phase, session, envelope, None, kinds, raw)
            _drop(server, reset=isinstance(fault, ConnectionResetFault))
            return "421 4.3.0 Connection dropped (mock fault)"  # never reaches the client
        reply = _fault_reply(fault)
        # A 2xx/3xx fault reply lets MAIL/RCPT go on: the entry comes when the transaction ends.
        if phase == "DATA" or reply[:1] not in ("2", "3"):
            self._journal(phase, session, envelope, reply, kinds, raw)
        return reply

    def _end(
        self, phase: str, session: Session, envelope: Envelope, reply: str, kinds: list[str]
    ) -> str:
        self._journal(phase, session, envelope, reply, kinds)
        return reply

    def _journal(
        self,
        phase: str,
        session: Session,
        envelope: Envelope,
        reply: str | None,
        kinds: list[str],
        raw: bytes = b"",
        started: float | None = None,
    ) -> None:
        headers = {
            "mail-from": envelope.mail_from or "",
            "rcpt-to": ", ".join(envelope.rcpt_tos),
            "peer": _peer(session) or "",
            "helo": session.host_name or "",
        }
        user = _auth_user(session)
        if user:
            headers["auth-user"] = user
        entry = self.service.journal.record(
            method="SMTP",
            path=phase,
            query_string="",
            headers=headers,
            body=raw,
            matched=True,
            route=phase,
        )
        entry.faults = kinds
        code = reply[:3] if reply else ""
        entry.status = int(code) if code.isdigit() else None
        entry.response_body = (reply or "").encode("utf-8", errors="replace")
        entry.duration = time.perf_counter() - started if started is not None else 0.0


def _fault_reply(fault: TerminalFault) -> str:
    if isinstance(fault, StatusFault):
        if isinstance(fault.body, str) and fault.body:
            text = fault.body
        elif fault.status >= 500:
            text = "5.7.1 Message rejected (mock fault)"
        elif fault.status >= 400:
            text = "4.3.0 Temporary failure, try again later (mock fault)"
        else:
            text = "OK"
        return f"{fault.status} {text}"
    if isinstance(fault, RateLimitFault):
        if isinstance(fault.body, str) and fault.body:
            return f"451 {fault.body}"
        return f"451 4.7.1 Rate limit exceeded, try again in {fault.retry_after} s"
    if isinstance(fault, MalformedBodyFault):
        return fault.body.replace("\r", " ").replace("\n", " ")
    raise TypeError(f"no SMTP reply for fault {fault!r}")  # pragma: no cover


def _drop(server: SMTP, *, reset: bool) -> None:
    transport = server.transport
    if transport is None:
        return
    if reset and isinstance(transport, asyncio.Transport):
        # SO_LINGER 0 then abort: the client sees a TCP reset, not a clean close.
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()


def _raw(envelope: Envelope) -> bytes:
    content = envelope.original_content or envelope.content or b""
    return content if isinstance(content, bytes) else content.encode("utf-8")


def _peer(session: Session) -> str | None:
    peer = session.peer
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer) if peer else None


def _auth_user(session: Session) -> str | None:
    data = session.auth_data
    if isinstance(data, LoginPassword):
        return data.login.decode("utf-8", errors="replace")
    return None


class _DropLegacyNotice(logging.Filter):
    # aiosmtpd warns about its own use of Session.login_data on every successful AUTH.
    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


_LEGACY_NOTICE = _DropLegacyNotice()


def quiet_aiosmtpd_log() -> None:
    """Drop aiosmtpd's internal deprecation notice from its log (idempotent)."""
    logging.getLogger("mail.log").addFilter(_LEGACY_NOTICE)


class LoopbackController(Controller):
    """aiosmtpd's threaded controller, able to bind port 0 (a free port) and report it."""

    def _trigger_server(self) -> None:
        # The server is bound by now; learn the port before the readiness probe uses it.
        sockets = getattr(self.server, "sockets", None)
        if self.port == 0 and sockets:
            self.port = sockets[0].getsockname()[1]
        super()._trigger_server()
