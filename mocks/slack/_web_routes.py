"""The thin HTTP layer of the Slack Web API mock: read the call, ask ``WebApi``, answer.

Slack's Web API is RPC over HTTP: ``GET`` or ``POST https://slack.com/api/{method}``,
arguments in the query string, a form body (``application/x-www-form-urlencoded``
or ``multipart/form-data``) or a JSON body, a mix of query and body allowed. The
token comes in ``Authorization: Bearer xox...`` or, with a form body, as the
``token`` argument; a JSON body must use the header (its ``token`` field is not
read). Every answer is JSON with HTTP 200, refusals included
(``{"ok": false, "error": ...}``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response
from starlette.types import Scope

from mocks._core import parse_multipart
from mocks.slack._backend import SlackBackend
from mocks.slack._web_api import METHODS, WebApi
from mocks.slack.exceptions import SlackWebApiError

__all__ = ["API_PATH", "WebApiCall", "add_web_api_routes", "read_call", "slack_unmatched"]

API_PATH = "/api/"
"""Where the Web API lives on the mock: slack_sdk's ``base_url`` is ``url + API_PATH``."""

_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_JSON = "application/json"
_TEXT = "text/plain"


@dataclass
class WebApiCall:
    """One call's arguments (query and body merged, body winning) and its token."""

    args: dict[str, Any] = field(default_factory=dict)
    token: str | None = None


def add_web_api_routes(router: APIRouter, backend: SlackBackend) -> None:
    """Declare ``GET|POST /api/{method}`` for each served method on ``router``."""
    api = WebApi(backend)
    for method in METHODS:
        endpoint = _endpoint(api, method)
        for verb in ("POST", "GET"):  # one route each: OpenAPI wants one operation id per verb
            router.add_api_route(
                API_PATH + method,
                endpoint,
                methods=[verb],
                name=f"{method} ({verb})",
                summary=f"Slack Web API {method}",
            )


def _endpoint(api: WebApi, method: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            call = read_call(
                request.url.query, request.headers.get("content-type"), await request.body()
            )
            call.token = _bearer(request.headers.get("authorization")) or call.token
            return JSONResponse(api.call(method, call.token, call.args))
        except SlackWebApiError as refusal:
            return JSONResponse(refusal.body, status_code=refusal.status)

    return endpoint


def read_call(query: str, content_type: str | None, body: bytes) -> WebApiCall:
    """A call's arguments from its query string and body, or Slack's refusal of the body.

    A ``token`` in the query string is not read: Slack stopped accepting it for
    apps created after February 2021.
    """
    args = {k: v for k, v in _form(query.encode(), strict=False).items() if k != "token"}
    call = WebApiCall(args)
    if not body.strip():
        return call
    if not content_type:
        raise SlackWebApiError("missing_post_type")
    mime = content_type.split(";")[0].strip().lower()
    if mime == _JSON:
        fields = _json_object(body)
        fields.pop("token", None)  # JSON bodies carry the token in the header only
    elif mime in (_FORM, _TEXT):
        fields = _form(body)
        call.token = fields.pop("token", None)
    elif mime == _MULTIPART:
        fields = _multipart(content_type, body)
        call.token = fields.pop("token", None)
    else:
        raise SlackWebApiError("invalid_post_type")
    call.args.update(fields)
    return call


def _bearer(header: str | None) -> str | None:
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _form(raw: bytes, *, strict: bool = True) -> dict[str, Any]:
    try:
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=strict)
    except ValueError:  # a pair without "=", and UnicodeDecodeError
        raise SlackWebApiError("invalid_form_data") from None
    return {key: values[-1] for key, values in parsed.items()}


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except ValueError:
        raise SlackWebApiError("invalid_json") from None
    if not isinstance(payload, dict):
        raise SlackWebApiError("json_not_object")
    return payload


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    try:
        parts = parse_multipart(content_type, body)
    except ValueError:
        raise SlackWebApiError("invalid_form_data") from None
    return {name: value for name, value in parts.items() if isinstance(value, str)}


def slack_unmatched(scope: Scope) -> Response:
    """Slack's answer to a method it does not have; other paths get a plain 404."""
    path: str = scope["path"]
    if path.startswith(API_PATH):
        method = path.removeprefix(API_PATH)
        return JSONResponse(
            {"ok": False, "error": "unknown_method", "req_method": method}, status_code=404
        )
    return JSONResponse(
        {
            "error": "unmatched",
            "message": f"the slack mock has no route for {scope.get('method')} {path}; "
            f"see GET /__admin/requests/unmatched",
        },
        status_code=404,
    )
