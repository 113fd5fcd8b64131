"""A mock mail server: real SMTP (aiosmtpd) capturing every message, read over an admin API.

``MailServer`` starts the SMTP server and the admin HTTP app on loopback;
``EmailAdmin`` reads captured mail through the admin API::

    with MailServer(create_service()) as mail:
        with smtplib.SMTP(mail.smtp_host, mail.smtp_port) as smtp:
            smtp.send_message(message)
        (captured,) = EmailAdmin(mail.admin).messages(to="sales@example.com")

SMTP transactions are journaled (``admin.requests(method="SMTP")``) and fault
rules apply to them; see ``mocks/email/_smtp.py`` and ``mocks/README.md``.
"""

from __future__ import annotations

from collections.abc import Mapping

from mocks._core import MockService, ServiceAdmin
from mocks.email._backend import Attachment, CapturedEmail, EmailBackend
from mocks.email._routes import email_admin_routes, email_routes
from mocks.email._server import MailServer
from mocks.email.exceptions import MailServerError

__all__ = [
    "Attachment",
    "CapturedEmail",
    "EmailAdmin",
    "EmailBackend",
    "MailServer",
    "MailServerError",
    "create_service",
]


def create_service(
    *, credentials: Mapping[str, str] | None = None, seed: int | None = None
) -> MockService[EmailBackend]:
    """The email mock's state and admin app; serve it with :class:`MailServer`.

    ``credentials`` (user -> password) make SMTP AUTH (PLAIN or LOGIN) required.
    """
    return MockService(
        "email",
        EmailBackend(credentials=credentials, seed=seed),
        email_routes,
        admin_routes=email_admin_routes,
    )


class EmailAdmin(ServiceAdmin):
    """Typed access to the email mock's admin routes, over any :class:`AdminClient`."""

    def messages(self, *, to: str | None = None, subject: str | None = None) -> list[CapturedEmail]:
        """Captured mail for envelope recipient ``to`` whose subject contains ``subject``."""
        return self._list(CapturedEmail, "messages", "messages", to=to, subject=subject)

    def message(self, message_id: int) -> CapturedEmail:
        return self._get(CapturedEmail, f"messages/{message_id}")
