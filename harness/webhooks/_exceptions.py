"""What can go wrong before a webhook is sent; delivery failures are results, not errors."""

from __future__ import annotations

__all__ = ["WebhookError", "WebhookPayloadError"]


class WebhookError(Exception):
    """Base class for webhook errors: the notification could not be built or sent at all."""


class WebhookPayloadError(WebhookError, ValueError):
    """A notification cannot be built from what was given (say which field to fix)."""
