"""The thin HTTP layer of the WASenderApi mock: parse, ask the backend, answer as WASender.

WASenderApi's base URL is ``https://www.wasenderapi.com/api``; the mock serves
the same paths under its own URL (``{url}/api/send-message``). The body is JSON
or a form; a body that does not parse carries no fields (so: "The to field is
required."), as the Laravel application behind the API reads it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.types import Scope

from mocks.wasender._backend import SentMessage, Session, SessionStatus, WasenderBackend
from mocks.wasender._limits import PlanName
from mocks.wasender._validation import MEDIA_FIELDS
from mocks.wasender.exceptions import WasenderApiError

__all__ = ["read_body", "wasender_admin_routes", "wasender_routes", "wasender_unmatched"]

_FORM = "application/x-www-form-urlencoded"


def _refuse(error: WasenderApiError) -> JSONResponse:
    return JSONResponse(error.body, status_code=error.status, headers=error.headers)


async def read_body(request: Request) -> dict[str, Any]:
    """The request's fields from JSON or a form; nothing from a body that does not parse."""
    raw = await request.body()
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8")
        if mime == _FORM:
            return {key: values[-1] for key, values in parse_qs(text).items()}
        payload = json.loads(text) if text.strip() else {}
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return {}
    return payload if isinstance(payload, dict) else {}


def wasender_routes(backend: WasenderBackend) -> APIRouter:
    router = APIRouter()

    @router.post("/api/send-message")
    async def send_message(request: Request) -> Response:
        try:
            session = backend.authenticate(request.headers.get("authorization"))
            sent, headers = backend.send(session, await read_body(request))
        except WasenderApiError as error:
            return _refuse(error)
        data = {"msgId": sent.msg_id, "jid": sent.to, "status": "in_progress"}
        return JSONResponse({"success": True, "data": data}, headers=headers)

    @router.get("/api/messages/{msg_id}/info")
    async def message_info(msg_id: str, request: Request) -> Response:
        try:
            session = backend.authenticate(request.headers.get("authorization"))
            if not msg_id.isdigit():
                raise WasenderApiError.refusal(404, "Message not found")
            sent = backend.message(session, int(msg_id))
        except WasenderApiError as error:
            return _refuse(error)
        return JSONResponse({"success": True, "data": message_info_data(sent)})

    @router.get("/api/status")
    async def session_status(request: Request) -> Response:
        try:
            session = backend.authenticate(request.headers.get("authorization"))
        except WasenderApiError as error:
            return _refuse(error)
        return JSONResponse({"status": session.status})

    return router


def message_info_data(sent: SentMessage) -> dict[str, Any]:
    """``GET /api/messages/{msgId}/info``'s data: the WhatsApp (Baileys) message record.

    The envelope and keys are documented; the inner ``message`` object for each
    type follows WhatsApp Web's protocol names (guessed: the docs show a text).
    ``status`` 2 is SENT.
    """
    key = {"id": sent.key_id, "fromMe": True, "remoteJid": sent.jid}
    return {
        "remoteJid": sent.jid,
        "id": sent.key_id,
        "msgId": sent.msg_id,
        "key": key,
        "message": _protocol_message(sent),
        "messageTimestamp": str(sent.timestamp),
        "status": 2,
    }


def _protocol_message(sent: SentMessage) -> dict[str, Any]:
    if sent.type in MEDIA_FIELDS:
        media: dict[str, Any] = {"url": sent.media_url}
        if sent.text:
            media["caption"] = sent.text
        if sent.file_name:
            media["fileName"] = sent.file_name
        return {f"{sent.type}Message": media}
    if sent.type == "contact" and sent.contact is not None:
        name, phone = sent.contact["name"], sent.contact["phone"]
        vcard = f"BEGIN:VCARD\nVERSION:3.0\nFN:{name}\nTEL;type=CELL:{phone}\nEND:VCARD"
        return {"contactMessage": {"displayName": name, "vcard": vcard}}
    if sent.type == "location" and sent.location is not None:
        location = sent.location
        return {
            "locationMessage": {
                "degreesLatitude": location.get("latitude"),
                "degreesLongitude": location.get("longitude"),
                **{k: location[k] for k in ("name", "address") if k in location},
            }
        }
    if sent.type == "poll" and sent.poll is not None:
        options = [{"optionName": option} for option in sent.poll.get("options") or []]
        return {"pollCreationMessage": {"name": sent.poll.get("question"), "options": options}}
    return {"extendedTextMessage": {"text": sent.text}}


def wasender_unmatched(scope: Scope) -> Response:
    """Any other path: WASender's 404 (the body is a guess in its error shape)."""
    return JSONResponse({"success": False, "message": "Not Found"}, status_code=404)


class NewSession(BaseModel):
    api_key: str | None = None
    phone_number: str = "+15550100200"
    plan: PlanName = "paid"
    status: SessionStatus = "connected"


class SessionChange(BaseModel):
    plan: PlanName | None = None
    status: SessionStatus | None = None
    phone_number: str | None = None


def wasender_admin_routes(backend: WasenderBackend) -> APIRouter:
    """``GET /__admin/messages?to=&type=``, ``GET|POST /__admin/sessions``,
    ``POST /__admin/sessions/{api_key}`` (change plan, status)."""
    router = APIRouter()

    @router.get("/messages")
    def messages(to: str | None = None, type: str | None = None) -> dict[str, Any]:
        found = backend.messages_for(to, type)
        return {"messages": [m.model_dump(mode="json") for m in found], "count": len(found)}

    @router.get("/sessions")
    def sessions() -> dict[str, Any]:
        with backend.lock:
            listed = list(backend.sessions.values())
        return {"sessions": [s.model_dump(mode="json") for s in listed]}

    @router.post("/sessions", status_code=201)
    def add_session(spec: NewSession) -> dict[str, Any]:
        return backend.add_session(**spec.model_dump()).model_dump(mode="json")

    @router.post("/sessions/{api_key}")
    def change_session(api_key: str, change: SessionChange) -> dict[str, Any]:
        try:
            session: Session = backend.update_session(
                api_key, **change.model_dump(exclude_none=True)
            )
        except KeyError:
            raise HTTPException(
                404, "no session with that API key; list them at GET /__admin/sessions"
            ) from None
        return session.model_dump(mode="json")

    return router
