"""The thin HTTP layer of the Cloud API mock: parse like Graph, ask the backend, answer.

Graph reads parameters from a JSON body, a form (values that are JSON objects
are decoded, as Graph does) or the query string; a body it cannot read adds
no parameters, so the answer is the usual "parameter is required" error.
Every refusal is ``{"error": {...}}`` with an ``fbtrace_id`` (also sent as
``x-fb-trace-id``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.types import Scope

from mocks._core import FileUpload, own_url, parse_multipart
from mocks.cloud_api._backend import CloudApiBackend, FlowMessage, unknown_object
from mocks.cloud_api._validation import missing
from mocks.cloud_api.exceptions import GraphApiError

__all__ = ["cloud_api_admin_routes", "cloud_api_routes", "graph_unmatched", "read_params"]

_VERSION = re.compile(r"^v\d+\.\d+$")
_DOWNLOAD_PATH = "/whatsapp_business/attachments/"


def cloud_api_routes(backend: CloudApiBackend) -> APIRouter:
    router = APIRouter()

    def refuse(error: GraphApiError) -> JSONResponse:
        trace = backend.fbtrace_id()
        headers = {"x-fb-trace-id": trace}
        if error.code == 190:
            headers["www-authenticate"] = (
                f'OAuth "Facebook Platform" "invalid_token" "{error.message}"'
            )
        return JSONResponse(error.body(trace), status_code=error.status, headers=headers)

    def guard(request: Request, version: str | None, object_id: str | None = None) -> None:
        backend.authenticate(_bearer(request))
        if version is not None and not _VERSION.match(version):
            raise unknown_path(request.url.path)
        if object_id is not None:
            backend.check_object(object_id, request.method.lower())

    @router.post("/{version}/{phone_number_id}/messages")
    async def send_message(version: str, phone_number_id: str, request: Request) -> Response:
        try:
            guard(request, version, phone_number_id)
            message = backend.send(phone_number_id, await read_params(request))
        except GraphApiError as error:
            return refuse(error)
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": message.to, "wa_id": message.wa_id}],
            "messages": [{"id": message.id}],
        }
        if message.type == "template":
            answer["messages"][0]["message_status"] = "accepted"
        return JSONResponse(answer)

    async def set_key(request: Request, phone_number_id: str, version: str | None) -> Response:
        try:
            guard(request, version, phone_number_id)
            params = await read_params(request)
            pem = params.get("business_public_key")
            backend.set_public_key(phone_number_id, pem if isinstance(pem, str) else None)
        except GraphApiError as error:
            return refuse(error)
        return JSONResponse({"success": True})

    async def get_key(request: Request, phone_number_id: str, version: str | None) -> Response:
        try:
            guard(request, version, phone_number_id)
        except GraphApiError as error:
            return refuse(error)
        pem = backend.public_key(phone_number_id)
        data = (
            []
            if pem is None
            else [{"business_public_key": pem, "business_public_key_signature_status": "VALID"}]
        )
        return JSONResponse({"data": data})

    @router.post("/{version}/{phone_number_id}/whatsapp_business_encryption")
    async def set_key_versioned(version: str, phone_number_id: str, request: Request) -> Response:
        return await set_key(request, phone_number_id, version)

    @router.get("/{version}/{phone_number_id}/whatsapp_business_encryption")
    async def get_key_versioned(version: str, phone_number_id: str, request: Request) -> Response:
        return await get_key(request, phone_number_id, version)

    @router.post("/{phone_number_id}/whatsapp_business_encryption")
    async def set_key_unversioned(phone_number_id: str, request: Request) -> Response:
        return await set_key(request, phone_number_id, None)

    @router.get("/{phone_number_id}/whatsapp_business_encryption")
    async def get_key_unversioned(phone_number_id: str, request: Request) -> Response:
        return await get_key(request, phone_number_id, None)

    @router.post("/{version}/{phone_number_id}/media")
    async def upload_media(version: str, phone_number_id: str, request: Request) -> Response:
        try:
            guard(request, version, phone_number_id)
            params = await read_params(request)
            if params.get("messaging_product") is None:
                raise missing("messaging_product")
            upload = params.get("file")
            if not isinstance(upload, FileUpload):
                raise missing("file")
            mime_type = params.get("type") or upload.content_type
            media = backend.add_media(
                upload.content,
                str(mime_type),
                filename=upload.filename,
                phone_number_id=phone_number_id,
            )
        except GraphApiError as error:
            return refuse(error)
        return JSONResponse({"id": media.id})

    # Media ids are digits: the int convertor keeps this route off /__admin/<name>.
    @router.get("/{version}/{media_id:int}")
    async def media_url(version: str, media_id: int, request: Request) -> Response:
        try:
            guard(request, version)
            media = backend.get_media(str(media_id))
        except GraphApiError as error:
            return refuse(error)
        # Real media URLs are on Meta's CDN host; the mock's are on its own host and port,
        # so a client downloads them with the session (and base URL) it already has.
        query = f"?mid={media.id}&ext={media.file_size}&hash={media.token}"
        url = f"{own_url(request)}{_DOWNLOAD_PATH}{query}"
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": url,
                "mime_type": media.mime_type,
                "sha256": media.sha256,
                "file_size": media.file_size,
                "id": media.id,
            }
        )

    @router.delete("/{version}/{media_id:int}")
    async def delete_media(version: str, media_id: int, request: Request) -> Response:
        try:
            guard(request, version)
            backend.delete_media(str(media_id))
        except GraphApiError as error:
            return refuse(error)
        return JSONResponse({"success": True})

    @router.get(_DOWNLOAD_PATH)
    async def download(request: Request, mid: str = "", hash: str = "") -> Response:
        try:
            backend.authenticate(_bearer(request))
        except GraphApiError as error:
            return refuse(error)
        with backend.lock:
            media = backend.media.get(mid)
        if media is None or media.token != hash:
            return Response(b"", status_code=404)
        return Response(media.content, media_type=media.mime_type)

    return router


def unknown_path(path: str) -> GraphApiError:
    return GraphApiError(400, 2500, f"Unknown path components: {path}")


def graph_unmatched(backend: CloudApiBackend) -> Callable[[Scope], Response]:
    """The answer for paths no route matches, shaped like Graph's (still unmatched)."""

    def answer(scope: Scope) -> Response:
        path, method = scope["path"], scope.get("method", "GET").lower()
        segments = path.strip("/").split("/")
        if len(segments) == 2 and _VERSION.match(segments[0]):
            error = unknown_object(segments[1], method)
        else:
            error = unknown_path(path)
        trace = backend.fbtrace_id()
        return JSONResponse(
            error.body(trace), status_code=error.status, headers={"x-fb-trace-id": trace}
        )

    return answer


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() in ("bearer", "oauth") and token.strip():
        return token.strip()
    return request.query_params.get("access_token")


async def read_params(request: Request) -> dict[str, Any]:
    """Graph's parameters: JSON body, form or multipart fields, then the query string."""
    params: dict[str, Any] = {k: v for k, v in request.query_params.items() if k != "access_token"}
    content_type = request.headers.get("content-type", "")
    mime = content_type.split(";")[0].strip().lower()
    body = await request.body()
    if mime == "application/json":
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            params.update(decoded)
    elif mime == "application/x-www-form-urlencoded":
        text = body.decode("utf-8", errors="replace")
        for key, values in parse_qs(text, keep_blank_values=True).items():
            params[key] = _maybe_json(values[-1])
    elif mime == "multipart/form-data":
        for key, value in parse_multipart(content_type, body).items():
            params[key] = _maybe_json(value) if isinstance(value, str) else value
    return params


def _maybe_json(value: str) -> Any:
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# -- admin -------------------------------------------------------------------------------
class NewMedia(BaseModel):
    content_base64: str = Field(..., description="the file, standard Base64")
    mime_type: str = "image/jpeg"
    filename: str | None = None
    phone_number_id: str | None = None


class NewPublicKey(BaseModel):
    phone_number_id: str
    business_public_key: str


def cloud_api_admin_routes(backend: CloudApiBackend) -> APIRouter:
    """``/__admin/messages``, ``/flow_messages``, ``/public_key`` and ``/media``."""
    router = APIRouter()

    @router.get("/messages")
    def messages(
        to: str | None = None,
        type: str | None = None,
        phone_number_id: str | None = None,
    ) -> dict[str, Any]:
        found = backend.messages_for(to=to, type=type, phone_number_id=phone_number_id)
        return {"messages": [m.model_dump(mode="json") for m in found], "count": len(found)}

    @router.get("/flow_messages")
    def flow_messages(to: str | None = None, flow_token: str | None = None) -> dict[str, Any]:
        sent = backend.messages_for(to=to, type="interactive")
        flows = [
            FlowMessage.from_sent(m)
            for m in sent
            if m.payload.get("interactive", {}).get("type") == "flow"
        ]
        found = [f for f in flows if flow_token is None or f.flow_token == flow_token]
        return {"messages": [f.model_dump(mode="json") for f in found], "count": len(found)}

    @router.get("/public_key")
    def public_key(phone_number_id: str | None = None) -> dict[str, Any]:
        return {
            "phone_number_id": phone_number_id,
            "business_public_key": backend.public_key(phone_number_id),
        }

    @router.post("/public_key")
    def set_public_key(spec: NewPublicKey) -> dict[str, Any]:
        try:
            backend.set_public_key(spec.phone_number_id, spec.business_public_key)
        except GraphApiError as error:
            raise HTTPException(422, error.details) from error
        return {"success": True}

    @router.get("/media")
    def list_media() -> dict[str, Any]:
        with backend.lock:
            found = [m.info() for m in backend.media.values()]
        return {"media": found, "count": len(found)}

    @router.post("/media", status_code=201)
    def add_media(spec: NewMedia) -> dict[str, Any]:
        try:
            content = base64.b64decode(spec.content_base64, validate=True)
        except binascii.Error as exc:
            raise HTTPException(422, f"content_base64 is not Base64: {exc}") from exc
        try:
            media = backend.add_media(
                content,
                spec.mime_type,
                filename=spec.filename,
                phone_number_id=spec.phone_number_id,
            )
        except GraphApiError as error:
            raise HTTPException(422, error.details) from error
        return media.info()

    return router
