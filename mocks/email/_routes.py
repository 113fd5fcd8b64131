"""HTTP side of the email mock: it has no service routes, only admin ones.

SMTP traffic reaches the journal through the SMTP handler; these routes let
tests read the captured messages: ``GET /__admin/messages?to=&subject=`` and
``GET /__admin/messages/{id}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from mocks.email._backend import EmailBackend

__all__ = ["email_admin_routes", "email_routes"]


def email_routes(backend: EmailBackend) -> APIRouter:
    """None: mail arrives over SMTP (see ``MailServer``)."""
    return APIRouter()


def email_admin_routes(backend: EmailBackend) -> APIRouter:
    router = APIRouter()

    @router.get("/messages")
    def messages(to: str | None = None, subject: str | None = None) -> dict[str, Any]:
        found = backend.messages_for(to=to, subject=subject)
        return {
            "messages": [m.model_dump(mode="json", by_alias=True) for m in found],
            "count": len(found),
        }

    @router.get("/messages/{message_id}")
    def message(message_id: int) -> dict[str, Any]:
        with backend.lock:
            found = [m for m in backend.messages if m.id == message_id]
        if not found:
            raise HTTPException(404, f"no message {message_id}; list them at GET /__admin/messages")
        return found[0].model_dump(mode="json", by_alias=True)

    return router
