"""The thin HTTP layer of the HubSpot mock: auth, parse, ask the backend, answer in HubSpot's JSON.

Every answer carries the ``X-HubSpot-RateLimit-*`` headers a private app sees;
every refusal is HubSpot's error object with a ``correlationId``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import Scope

from mocks._core import RateLimitAnswer, RateLimitFault, RateLimitResponse, parse_multipart
from mocks.crm._common import add_rules_routes, loads, media_type
from mocks.crm.exceptions import HubSpotApiError, HubSpotOAuthError
from mocks.crm.hubspot._backend import DEFAULT_PROPERTIES, HubSpotBackend, iso, note_json
from mocks.crm.hubspot._search import search

__all__ = [
    "CONTACTS",
    "FILES",
    "NOTES",
    "OAUTH_TOKEN",
    "hubspot_admin_routes",
    "hubspot_not_found",
    "hubspot_rate_limit",
    "hubspot_rate_limit_body",
    "hubspot_routes",
]

CONTACTS = "/crm/v3/objects/contacts"
OAUTH_TOKEN = "/oauth/v1/token"
FILES = "/files/v3/files"
NOTES = "/crm/v3/objects/notes"
_MAX_BATCH = 100
_MAX_PAGE = 100

Work = Callable[[Any], tuple[int, Any]]
BodyKind = bool | Literal["multipart"]
"""How a route reads its body: JSON (True), not at all (False), or multipart fields."""


def _properties(request: Request) -> list[str] | None:
    """``?properties=a,b&properties=c`` as a list; None when the call names none."""
    names = [
        n.strip() for raw in request.query_params.getlist("properties") for n in raw.split(",")
    ]
    names = [n for n in names if n]
    return names or None


def _body(headers: Any, raw: bytes) -> Any:
    if media_type(headers) != "application/json":
        raise HubSpotApiError(
            415,
            "VALIDATION_ERROR",
            "HTTP 415 Unsupported Media Type: send the body as application/json",
        )
    try:
        return loads(raw)
    except json.JSONDecodeError as exc:
        detail = exc.msg if raw.strip() else "No content to map due to end-of-input"
        raise HubSpotApiError(
            400,
            "VALIDATION_ERROR",
            f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {detail}",
        ) from exc


def _inputs(body: Any) -> list[dict[str, Any]]:
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise HubSpotApiError(
            400, "VALIDATION_ERROR", "Invalid input JSON: 'inputs' must be a list of objects"
        )
    if len(inputs) > _MAX_BATCH:
        raise HubSpotApiError(
            400, "VALIDATION_ERROR", f"A batch takes at most {_MAX_BATCH} inputs, got {len(inputs)}"
        )
    return inputs


def hubspot_routes(backend: HubSpotBackend) -> APIRouter:
    router = APIRouter()

    def answer(status: int, content: Any = None, correlation: str | None = None) -> Response:
        with backend.lock:
            backend.limits.count_call()
            headers = backend.limits.headers()
        if correlation is not None:
            headers["X-HubSpot-Correlation-Id"] = correlation
        if content is None:
            return Response(status_code=status, headers=headers)
        return JSONResponse(content, status_code=status, headers=headers)

    async def handle(request: Request, work: Work, *, with_body: BodyKind = True) -> Response:
        try:
            backend.authorize(request.headers.get("authorization"))
            raw = await request.body()
            body: Any
            if with_body == "multipart":
                body = _multipart_body(request.headers, raw)
            else:
                body = _body(request.headers, raw) if with_body else None
            with backend.lock:
                status, content = work(body)
        except HubSpotApiError as refusal:
            with backend.lock:
                correlation = backend.ids.uuid()
            return answer(refusal.status, refusal.body(correlation), correlation)
        return answer(status, content)

    def oauth(work: Callable[[], dict[str, Any]]) -> JSONResponse:
        try:
            with backend.lock:
                return JSONResponse(work())
        except HubSpotOAuthError as refusal:
            with backend.lock:
                correlation = backend.ids.uuid()
            return JSONResponse(refusal.body(correlation), status_code=refusal.status)

    @router.post(OAUTH_TOKEN)
    async def oauth_token(request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
        return oauth(lambda: backend.auth.grant(form, backend.ids))

    @router.get("/oauth/v1/access-tokens/{token}")
    async def oauth_token_info(token: str) -> JSONResponse:
        return oauth(lambda: backend.auth.info(token, backend.portal_id))

    def route(
        method: str, path: str, *, with_body: BodyKind = True
    ) -> Callable[[Callable[..., Work]], None]:
        """Declare ``path``; the decorated function maps (request, path params) to its work."""

        def register(make: Callable[..., Work]) -> None:
            async def endpoint(request: Request) -> Response:
                return await handle(
                    request, make(request, **request.path_params), with_body=with_body
                )

            endpoint.__name__ = make.__name__
            router.add_api_route(path, endpoint, methods=[method])

        return register

    @route("POST", CONTACTS)
    def create(request: Request) -> Work:
        def work(body: Any) -> tuple[int, Any]:
            properties = body.get("properties") if isinstance(body, dict) else None
            return 201, backend.create(properties).to_json()

        return work

    @route("GET", CONTACTS, with_body=False)
    def list_page(request: Request) -> Work:
        def work(_: Any) -> tuple[int, Any]:
            try:
                limit = min(int(request.query_params.get("limit", 10)), _MAX_PAGE)
                offset = int(request.query_params.get("after", 0))
            except ValueError as exc:
                raise HubSpotApiError(
                    400, "VALIDATION_ERROR", "'limit' and 'after' must be integers"
                ) from exc
            contacts = sorted(backend.live(), key=lambda c: int(c.id))
            names = _properties(request) or DEFAULT_PROPERTIES
            page: dict[str, Any] = {
                "results": [c.to_json(names) for c in contacts[offset : offset + limit]]
            }
            if offset + limit < len(contacts):
                page["paging"] = {"next": {"after": str(offset + limit)}}
            return 200, page

        return work

    @route("POST", CONTACTS + "/search")
    def search_contacts(request: Request) -> Work:
        return lambda body: (200, search(backend.live(), body))

    @route("POST", CONTACTS + "/batch/upsert")
    def batch_upsert(request: Request) -> Work:
        def work(body: Any) -> tuple[int, Any]:
            started = _now()
            done = backend.upsert(_inputs(body))
            results = [{**c.to_json(), "new": new} for c, new in done]
            return 200, {
                "status": "COMPLETE",
                "results": results,
                "startedAt": started,
                "completedAt": _now(),
            }

        return work

    @route("POST", CONTACTS + "/batch/read")
    def batch_read(request: Request) -> Work:
        def work(body: Any) -> tuple[int, Any]:
            inputs = _inputs(body)
            id_property = body.get("idProperty")
            names = body.get("properties") or list(DEFAULT_PROPERTIES)
            started = _now()
            results, missing = [], []
            for item in inputs:
                key = str(item.get("id", ""))
                try:
                    results.append(backend.get(key, id_property).to_json(names))
                except HubSpotApiError as exc:
                    if exc.status != 404:
                        raise
                    missing.append(key)
            page: dict[str, Any] = {"status": "COMPLETE", "results": results}
            page |= {"startedAt": started, "completedAt": _now()}
            if not missing:
                return 200, page
            error = {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": "Could not get some CONTACT objects, they may be deleted or not "
                "exist. Check that ids are valid.",
                "context": {"ids": missing},
            }
            return 207, {**page, "numErrors": 1, "errors": [error]}

        return work

    @route("GET", CONTACTS + "/{contact_id}", with_body=False)
    def read(request: Request, contact_id: str) -> Work:
        id_property = request.query_params.get("idProperty")
        names = _properties(request) or DEFAULT_PROPERTIES
        return lambda _: (200, backend.get(contact_id, id_property).to_json(names))

    @route("PATCH", CONTACTS + "/{contact_id}")
    def update(request: Request, contact_id: str) -> Work:
        id_property = request.query_params.get("idProperty")

        def work(body: Any) -> tuple[int, Any]:
            properties = body.get("properties") if isinstance(body, dict) else None
            return 200, backend.update(contact_id, properties, id_property).to_json()

        return work

    @route("DELETE", CONTACTS + "/{contact_id}", with_body=False)
    def archive(request: Request, contact_id: str) -> Work:
        def work(_: Any) -> tuple[int, Any]:
            backend.archive(contact_id)
            return 204, None

        return work

    @route("POST", FILES, with_body="multipart")
    def upload_file(request: Request) -> Work:
        return lambda fields: (201, backend.attachments.upload(fields).to_json())

    @route("POST", NOTES)
    def create_note(request: Request) -> Work:
        return lambda body: (201, backend.attachments.create_note(body).to_json())

    return router


def _multipart_body(headers: Any, raw: bytes) -> dict[str, Any]:
    if media_type(headers) != "multipart/form-data":
        raise HubSpotApiError(
            415,
            "VALIDATION_ERROR",
            "HTTP 415 Unsupported Media Type: send the file as multipart/form-data",
        )
    return dict(parse_multipart(headers.get("content-type", ""), raw))


def _now() -> str:
    return iso(datetime.now(UTC))


def hubspot_not_found(scope: Scope) -> Response:
    """HubSpot's answer to a path it has no API for."""
    return JSONResponse(
        {
            "status": "error",
            "message": f"Unable to route {scope.get('method')} {scope['path']}: no such API "
            "(the HubSpot mock journals it as unmatched: GET /__admin/requests/unmatched)",
            "correlationId": "00000000-0000-4000-8000-000000000000",
            "category": "OBJECT_NOT_FOUND",
        },
        status_code=404,
    )


def hubspot_rate_limit_body(policy: str = "SECONDLY") -> dict[str, Any]:
    """HubSpot's 429 body for a ``policy`` (``SECONDLY``, ``DAILY``...)."""
    return {
        "status": "error",
        "message": f"You have reached your {policy.lower()} limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": "00000000-0000-4000-8000-000000000429",
        "policyName": policy,
    }


def hubspot_rate_limit(backend: HubSpotBackend) -> RateLimitResponse:
    """The ``rate_limit`` fault hook: the quota headers used up, the secondly-limit body."""

    def answer(fault: RateLimitFault) -> RateLimitAnswer:
        with backend.lock:
            headers = backend.limits.headers(exhausted=True)
        return RateLimitAnswer(headers=headers, body=hubspot_rate_limit_body())

    return answer


def hubspot_admin_routes(backend: HubSpotBackend) -> APIRouter:
    """``GET /__admin/contacts`` (``?property=&value=``), ``GET /__admin/contacts/{id}``,
    ``GET /__admin/files``, ``GET /__admin/notes`` (``?contact_id=``),
    ``GET|POST /__admin/rules``, ``POST /__admin/oauth/expire``."""
    router = APIRouter()

    def with_url(contact: Any) -> dict[str, Any]:
        return {**contact.to_json(), "url": backend.record_url(contact.id)}

    @router.get("/contacts")
    def contacts(property: str | None = None, value: str | None = None) -> dict[str, Any]:
        if (property is None) != (value is None):
            raise HTTPException(422, "give both 'property' and 'value', or neither")
        with backend.lock:
            if property is not None and value is not None:
                found = backend.find(property, value)
                listed = [found] if found is not None else []
            else:
                listed = list(backend.contacts.values())
            return {"contacts": [with_url(c) for c in listed], "count": len(listed)}

    @router.get("/contacts/{contact_id}")
    def contact(contact_id: str) -> dict[str, Any]:
        with backend.lock:
            found = backend.contacts.get(contact_id)
            if found is None:
                raise HTTPException(404, f"no contact {contact_id}; list them at /__admin/contacts")
            return with_url(found)

    @router.get("/files")
    def files() -> dict[str, Any]:
        with backend.lock:
            listed = [f.to_json() for f in backend.attachments.files.values()]
        return {"files": listed, "count": len(listed)}

    @router.get("/notes")
    def notes(contact_id: str | None = None) -> dict[str, Any]:
        with backend.lock:
            listed = [note_json(n) for n in backend.attachments.notes_of(contact_id)]
        return {"notes": listed, "count": len(listed)}

    @router.post("/oauth/expire")
    def expire_oauth_tokens() -> dict[str, int]:
        with backend.lock:
            return {"expired": backend.auth.expire_all()}

    add_rules_routes(router, backend)
    return router
