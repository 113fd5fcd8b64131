"""Errors of the reference server; each says what to do next."""

from __future__ import annotations

from typing import Any


class ReferenceServerError(Exception):
    """Base of every error raised by :mod:`reference_server`."""


class ConfigurationError(ReferenceServerError, ValueError):
    """A setting is missing or wrong: fix the named environment variable."""


class FlowTokenError(ReferenceServerError):
    """A flow token is missing, forged, tampered with or expired: send the flow again."""


class LeadValidationError(ReferenceServerError):
    """The user's input cannot be used; ``message`` is shown to the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class CrmError(ReferenceServerError):
    """A CRM call failed."""

    reason = "crm_error"


class CrmTransientError(CrmError):
    """Timeout, 5xx or 429: retried with backoff (``retry_after`` from the CRM when given)."""

    reason = "crm_transient"

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class CrmValidationError(CrmError):
    """The CRM rejected the record's fields (400): not retried, the lead is parked for a human."""

    reason = "crm_validation"

    def __init__(self, message: str, errors: list[dict[str, Any]]):
        super().__init__(message)
        self.errors = errors


class CrmConflictError(CrmError):
    """Another CRM record already holds one of the lead's unique values (its e-mail): a
    person decides whether they are the same; the lead is parked and nothing is updated."""

    reason = "crm_conflict"

    def __init__(
        self, message: str, existing_id: str, existing_url: str = "", field: str = "email"
    ):
        super().__init__(message)
        self.existing_id = existing_id
        self.existing_url = existing_url
        self.field = field
        """The lead's value another record holds (a column name for the SQL CRM)."""


class CrmPermanentError(CrmError):
    """Any other refusal (auth, permissions, unknown object): dead-lettered without retry."""

    reason = "crm_permanent"


class SpoolError(ReferenceServerError):
    """The local spool cannot be written (disk full, file not writable) while Redis is
    down: the lead cannot be kept, so the person is asked to try again. Check
    FLOWHARNESS_SPOOL_PATH and the disk."""


class NotificationRefused(ReferenceServerError):
    """A notification channel refused the message for good (a wrong API key, a refused
    number, a disconnected session): not retried; operations are alerted."""


class NotificationDeferred(ReferenceServerError):
    """A notification channel asked to wait (429) or failed on its side (5xx): retried,
    never sooner than ``retry_after`` seconds when it said so."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class CloudApiError(ReferenceServerError):
    """The WhatsApp Cloud API refused to send the flow message; check token and phone number id."""


class MediaError(ReferenceServerError):
    """The Cloud API would not hand over a follow-up photo (unknown or expired media id,
    refused token, wrong hash, too large): check the Cloud API token; the person may resend."""

    reason = "media_error"


class MediaTransientError(MediaError):
    """The Cloud API timed out or answered 5xx/429 while downloading media: retried."""

    reason = "media_transient"


class ReplayError(ReferenceServerError, ValueError):
    """A replay was asked for something that cannot be replayed (unknown source, malformed
    entry id) or could not finish: check the source name and ids (``flowharness leads list``)."""


class QueueUnavailableError(ReferenceServerError):
    """The SQS queue backend could not be reached or refused a call (network, throttling,
    permissions, a queue deleted): like a Redis outage, the entry stays where it was and
    is retried; a confirmed lead goes to the spool. ``code`` is AWS's error code, if any."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code
