"""What every CRM adapter shares: the interface, and turning HTTP failures into typed errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from reference_server.exceptions import (
    CrmPermanentError,
    CrmTransientError,
    CrmValidationError,
)


@dataclass(frozen=True, slots=True)
class CrmResult:
    record_id: str
    created: bool
    record_url: str = ""


@dataclass(frozen=True, slots=True)
class Media:
    """A file to attach to a CRM record (a follow-up photo)."""

    content: bytes
    mime_type: str
    file_name: str


class CrmAdapter(Protocol):
    name: str

    async def upsert(self, lead: dict[str, Any]) -> CrmResult:
        """Create or update the contact keyed by ``lead["phone"]`` (E.164)."""
        ...

    async def attach(self, phone: str, media: Media, note: str) -> str:
        """Attach ``media`` to the record of ``phone``; returns the new CRM object's id.

        No record yet for that phone is a :class:`CrmTransientError` (the lead may still
        be queued)."""
        ...


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta or HTTP date), None when absent or unreadable."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def raise_for_transient(response: httpx.Response, crm: str) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        raise CrmTransientError(
            f"{crm} answered {response.status_code}", retry_after_seconds(response)
        )


async def request(
    http: httpx.AsyncClient, crm: str, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """One HTTP call; timeouts and connection failures become :class:`CrmTransientError`."""
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise CrmTransientError(f"{crm} timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise CrmTransientError(f"{crm} unreachable ({type(exc).__name__})") from exc
    raise_for_transient(response, crm)
    return response


def json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def permanent(response: httpx.Response, crm: str, what: str) -> CrmPermanentError:
    return CrmPermanentError(
        f"{crm} refused to {what} ({response.status_code}): {response.text[:300]}"
    )


def validation(message: str, errors: list[dict[str, Any]]) -> CrmValidationError:
    return CrmValidationError(message, errors)
