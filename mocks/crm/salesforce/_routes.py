"""The thin HTTP layer of the Salesforce mock: OAuth token, the Lead sObject, admin routes.

Data calls check the session first (401 ``INVALID_SESSION_ID``), then the API
version (404 ``NOT_FOUND``), then the body (415 ``UNSUPPORTED_MEDIA_TYPE``,
400 ``JSON_PARSER_ERROR``). Every data answer carries ``Sforce-Limit-Info``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import Scope

from mocks._core import RateLimitAnswer, RateLimitFault
from mocks.crm._common import add_rules_routes, loads, media_type
from mocks.crm.exceptions import SalesforceApiError, SalesforceOAuthError
from mocks.crm.salesforce._backend import DAILY_API_LIMIT, SalesforceBackend
from mocks.crm.salesforce._schema import describe_lead

__all__ = [
    "CONTENT_VERSIONS",
    "LEADS",
    "QUERY",
    "QUERY_ALL",
    "salesforce_admin_routes",
    "salesforce_not_found",
    "salesforce_rate_limit",
    "salesforce_routes",
]

LEADS = "/services/data/{version}/sobjects/Lead"
CONTENT_VERSIONS = "/services/data/{version}/sobjects/ContentVersion"
QUERY = "/services/data/{version}/query"
QUERY_ALL = "/services/data/{version}/queryAll"
_VERSION = re.compile(r"^v(\d+)\.0$")
_OLDEST, _NEWEST = 20, 64
# From API v46.0 an upsert that updates answers 200 with a body; before, 204.
_UPSERT_BODY_SINCE = 46

Work = Callable[[Any], tuple[int, Any]]


def _major(version: str) -> int:
    match = _VERSION.match(version)
    if match is None or not _OLDEST <= int(match.group(1)) <= _NEWEST:
        raise SalesforceApiError.one(404, "NOT_FOUND", "The requested resource does not exist")
    return int(match.group(1))


def _body(headers: Any, raw: bytes) -> Any:
    mime = media_type(headers)
    if mime != "application/json":
        raise SalesforceApiError.one(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"MediaType of '{mime or 'none'}' is not supported by this resource",
        )
    if not raw.strip():
        raise SalesforceApiError.one(
            400, "JSON_PARSER_ERROR", "No content to map due to end-of-input at [line:1, column:0]"
        )
    try:
        return loads(raw)
    except json.JSONDecodeError as exc:
        raise SalesforceApiError.one(
            400,
            "JSON_PARSER_ERROR",
            f"Unexpected character: {exc.msg} at [line:{exc.lineno}, column:{exc.colno}]",
        ) from exc


def _allow_save(request: Request) -> bool:
    header = request.headers.get("sforce-duplicate-rule-header", "")
    return "allowsave=true" in header.replace(" ", "").lower()


def _fields(request: Request) -> list[str] | None:
    names = [n.strip() for n in request.query_params.get("fields", "").split(",") if n.strip()]
    return names or None


def _batch_size(request: Request) -> int | None:
    """``Sforce-Query-Options: batchSize=N``, if sent."""
    for option in request.headers.get("sforce-query-options", "").split(","):
        name, _, value = option.strip().partition("=")
        if name.lower() == "batchsize" and value.strip().isdigit():
            return int(value)
    return None


def _saved(lead_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": lead_id, "success": True, "errors": [], **extra}


def salesforce_routes(backend: SalesforceBackend) -> APIRouter:
    router = APIRouter()

    @router.post("/services/oauth2/token")
    async def token(request: Request) -> JSONResponse:
        raw = await request.body()
        form = dict(request.query_params)
        if media_type(request.headers) == "application/x-www-form-urlencoded":
            form |= dict(parse_qsl(raw.decode("utf-8", errors="replace")))
        instance = backend.instance_url or str(request.base_url).rstrip("/")
        try:
            with backend.lock:
                answer = backend.sessions.issue(form, instance, backend.ids)
                backend.last_instance_url = instance
        except SalesforceOAuthError as refusal:
            return JSONResponse(refusal.body(), status_code=refusal.status)
        return JSONResponse(answer)

    async def handle(
        request: Request, work: Callable[[int, Any], tuple[int, Any]], *, with_body: bool
    ) -> Response:
        with backend.lock:
            backend.api_calls += 1
            headers = {"Sforce-Limit-Info": backend.limit_info()}
        try:
            with backend.lock:
                backend.sessions.check(request.headers.get("authorization"))
            major = _major(request.path_params["version"])
            body = _body(request.headers, await request.body()) if with_body else None
            status, content = work(major, body)
        except SalesforceApiError as refusal:
            if refusal.status == 401:
                headers["WWW-Authenticate"] = "Token"
            return JSONResponse(refusal.errors, status_code=refusal.status, headers=headers)
        if content is None:
            return Response(status_code=status, headers=headers)
        return JSONResponse(content, status_code=status, headers=headers)

    def route(
        method: str, path: str, *, with_body: bool = False
    ) -> Callable[[Callable[..., Any]], None]:
        """Declare ``path`` and ``path/`` (Salesforce takes both; simple-salesforce posts to
        ``sobjects/Lead/``); the function takes (request, major, body, **path params)."""

        def register(work: Callable[..., tuple[int, Any]]) -> None:
            async def endpoint(request: Request) -> Response:
                params = {k: v for k, v in request.path_params.items() if k != "version"}
                return await handle(
                    request,
                    lambda major, body: work(request, major, body, **params),
                    with_body=with_body,
                )

            endpoint.__name__ = work.__name__
            router.add_api_route(path, endpoint, methods=[method])
            router.add_api_route(path + "/", endpoint, methods=[method])

        return register

    @route("GET", QUERY)
    def query(request: Request, major: int, body: Any) -> tuple[int, Any]:
        text = request.query_params.get("q", "")
        page = backend.query(text, f"v{major}.0", batch=_batch_size(request))
        return 200, page.to_json()

    @route("GET", QUERY_ALL)
    def query_all(request: Request, major: int, body: Any) -> tuple[int, Any]:
        text = request.query_params.get("q", "")
        page = backend.query(text, f"v{major}.0", include_deleted=True, batch=_batch_size(request))
        return 200, page.to_json()

    @route("GET", QUERY + "/{locator}")
    def query_more(request: Request, major: int, body: Any, locator: str) -> tuple[int, Any]:
        return 200, backend.query_more(locator, _batch_size(request)).to_json()

    @route("GET", LEADS)
    def lead_metadata(request: Request, major: int, body: Any) -> tuple[int, Any]:
        described = describe_lead(backend.rules, backend.external_id_fields, f"v{major}.0")
        keys = ("name", "label", "labelPlural", "keyPrefix", "custom", "createable", "urls")
        with backend.lock:
            recent = [lead.to_json(f"v{major}.0", ["Name"]) for lead in backend.recent()]
        return 200, {"objectDescribe": {k: described[k] for k in keys}, "recentItems": recent}

    @route("GET", LEADS + "/describe")
    def describe(request: Request, major: int, body: Any) -> tuple[int, Any]:
        return 200, describe_lead(backend.rules, backend.external_id_fields, f"v{major}.0")

    @route("POST", LEADS, with_body=True)
    def create(request: Request, major: int, body: Any) -> tuple[int, Any]:
        lead = backend.create(body, allow_save=_allow_save(request))
        return 201, _saved(lead.id)

    @route("GET", LEADS + "/{lead_id}")
    def read(request: Request, major: int, body: Any, lead_id: str) -> tuple[int, Any]:
        return 200, backend.get(lead_id).to_json(f"v{major}.0", _fields(request))

    @route("PATCH", LEADS + "/{lead_id}", with_body=True)
    def update(request: Request, major: int, body: Any, lead_id: str) -> tuple[int, Any]:
        backend.update(lead_id, body, allow_save=_allow_save(request))
        return 204, None

    @route("DELETE", LEADS + "/{lead_id}")
    def delete(request: Request, major: int, body: Any, lead_id: str) -> tuple[int, Any]:
        backend.delete(lead_id)
        return 204, None

    @route("GET", LEADS + "/{field}/{value}")
    def read_by(request: Request, major: int, body: Any, field: str, value: str) -> tuple[int, Any]:
        return 200, backend.get_by(field, value).to_json(f"v{major}.0", _fields(request))

    @route("PATCH", LEADS + "/{field}/{value}", with_body=True)
    def upsert(request: Request, major: int, body: Any, field: str, value: str) -> tuple[int, Any]:
        lead, created = backend.upsert(field, value, body, allow_save=_allow_save(request))
        if created:
            return 201, _saved(lead.id, created=True)
        if major < _UPSERT_BODY_SINCE:
            return 204, None
        return 200, _saved(lead.id, created=False)

    @route("POST", CONTENT_VERSIONS, with_body=True)
    def create_content_version(request: Request, major: int, body: Any) -> tuple[int, Any]:
        return 201, _saved(backend.create_content_version(body))

    @route("GET", CONTENT_VERSIONS + "/{version_id}")
    def read_content_version(
        request: Request, major: int, body: Any, version_id: str
    ) -> tuple[int, Any]:
        return 200, backend.content_version_json(version_id, f"v{major}.0")

    @router.get(CONTENT_VERSIONS + "/{version_id}/VersionData")
    async def version_data(request: Request, version: str, version_id: str) -> Response:
        try:
            with backend.lock:
                backend.sessions.check(request.headers.get("authorization"))
            _major(version)
            data = backend.content_version_data(version_id)
        except SalesforceApiError as refusal:
            return JSONResponse(refusal.errors, status_code=refusal.status)
        return Response(data, media_type="application/octetstream")

    return router


def salesforce_not_found(scope: Scope) -> Response:
    """Salesforce's answer to a path it has no resource for."""
    return JSONResponse(
        [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}],
        status_code=404,
    )


def salesforce_rate_limit(fault: RateLimitFault) -> RateLimitAnswer:
    """The ``rate_limit`` fault hook: ``Sforce-Limit-Info`` showing the quota used up and
    Salesforce's ``REQUEST_LIMIT_EXCEEDED`` error."""
    body = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    headers = {"Sforce-Limit-Info": f"api-usage={DAILY_API_LIMIT}/{DAILY_API_LIMIT}"}
    return RateLimitAnswer(headers=headers, body=body)


def salesforce_admin_routes(backend: SalesforceBackend) -> APIRouter:
    """``GET /__admin/leads`` (``?field=&value=``), ``GET /__admin/leads/{id}``,
    ``POST /__admin/sessions/expire``, ``GET /__admin/sessions``, ``GET|POST /__admin/rules``,
    ``GET /__admin/content_versions`` (``?lead_id=``)."""
    router = APIRouter()

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    @router.get("/leads")
    def leads(
        request: Request, field: str | None = None, value: str | None = None
    ) -> dict[str, Any]:
        if (field is None) != (value is None):
            raise HTTPException(422, "give both 'field' and 'value', or neither")
        with backend.lock:
            if field is not None and value is not None:
                found = backend.find(field, value)
                listed = [found] if found is not None else []
            else:
                listed = list(backend.leads.values())
            return {
                "leads": [backend.lead_json(lead, base(request)) for lead in listed],
                "count": len(listed),
            }

    @router.get("/leads/{lead_id}")
    def lead(request: Request, lead_id: str) -> dict[str, Any]:
        with backend.lock:
            found = backend.leads.get(lead_id)
            if found is None:
                raise HTTPException(404, f"no lead {lead_id}; list them at /__admin/leads")
            return backend.lead_json(found, base(request))

    @router.post("/sessions/expire")
    def expire_sessions() -> dict[str, int]:
        with backend.lock:
            return {"expired": backend.sessions.expire_all()}

    @router.get("/sessions")
    def sessions() -> dict[str, int]:
        with backend.lock:
            return {"live": backend.sessions.live_count()}

    @router.get("/content_versions")
    def content_versions(lead_id: str | None = None) -> dict[str, Any]:
        with backend.lock:
            listed = [v.to_json() for v in backend.content.of(lead_id)]
        return {"content_versions": listed, "count": len(listed)}

    add_rules_routes(router, backend)
    return router
