"""Errors of the email (SMTP) mock."""

from __future__ import annotations

from mocks._core.exceptions import MockError

__all__ = ["MailServerError"]


class MailServerError(MockError):
    """The SMTP server could not start or was used before :meth:`MailServer.start`."""
