"""Deliberately broken Flows endpoints: the reference endpoint with one promise broken.

Each factory takes the test private key (an RSA key or PEM) and the app secret, builds
``reference_server.create_app`` (embedded fakeredis, test flow token secret
:data:`TOKEN_SECRET`) and breaks exactly one promise of the protocol, so a test can show
that the check meant for that promise catches it:

- ``no_signature_check``: re-signs every request with the right secret before the app
  sees it, so any signature (or none) passes. Caught by ``signature.*`` (fail).
- ``five_hundred_on_bad_tag``: turns every 421 (tampered GCM tag, wrong key, bad IV) into
  a 500. Caught by ``decrypt.tampered-tag`` and the other ``decrypt.*`` checks (fail).
- ``no_idempotency``: swaps the idempotency store for one that runs every request again,
  so a replayed CONFIRM queues a second lead with a new reference. Caught by
  ``idempotency.replay`` (warn: the two answers differ).
- ``crm_inline``: after every 200 answer, runs the worker (the CRM upsert, a
  :class:`StandInCrm` taking ``crm_delay`` s, or the ``crm`` adapter given) before
  answering. Caught by ``timing.latency`` (warn over 1 s, fail over the 3 s budget).
- ``slow``: sleeps ``delay`` s before every answer. Caught by ``timing.latency`` (warn
  over 1 s, fail over 3 s).
- ``plaintext_answers``: answers 200 with the plaintext JSON. Caught by
  ``response.encrypted`` (fail).
- ``unflipped_iv``: seals answers with the request IV instead of the flipped one. Caught
  by ``response.flipped-iv`` (fail).
- ``leaks_traceback``: answers a body that is no Flows envelope (not JSON, a missing or
  non-string field) with a 500 carrying a Python traceback. Caught by
  ``robust.malformed-envelope`` (fail) and by the fuzzer (a ``leaked-trace`` finding).
- ``wrong_content_type``: labels answers ``text/html``. Caught by
  ``response.content-type`` (warn: the client does not insist).

:data:`VARIANTS` maps names to factories and :data:`CAUGHT_BY` to ``(check id, grade)``.
The replay and CRM variants need a request that queues a lead: pass
:func:`sample_request` to the check (``sample_request=``) and a token from
:func:`mint_token` (``flow_token=``). Wrappers forward ``state`` to the wrapped app, so
``variant.state.redis`` works as on the reference app.
"""

from __future__ import annotations

import asyncio
import json
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto
from reference_server import CrmResult, FlowTokens, Settings, Worker, create_app

__all__ = [
    "CAUGHT_BY",
    "FLOW_ID",
    "GOOD_FORM",
    "PHONE",
    "TOKEN_SECRET",
    "VARIANTS",
    "BrokenEndpoint",
    "HttpAnswer",
    "HttpRequest",
    "StandInCrm",
    "crm_inline",
    "five_hundred_on_bad_tag",
    "leaks_traceback",
    "mint_token",
    "no_idempotency",
    "no_signature_check",
    "plaintext_answers",
    "reference_app",
    "reference_settings",
    "sample_request",
    "slow",
    "unflipped_iv",
    "wrong_content_type",
]

TOKEN_SECRET = "broken-endpoints-token-secret"
PHONE = "+33612345678"
FLOW_ID = "1234567890"
GOOD_FORM: dict[str, Any] = {
    "first_name": "Jeanne",
    "last_name": "Martin",
    "email": "jeanne.martin@example.com",
    "company": "Acme",
    "phone": "",
    "interest": "demo",
    "consent": True,
}

PrivateKey = rsa.RSAPrivateKey | bytes | str


# -- the healthy reference endpoint ---------------------------------------------------------


def _pem(private_key: PrivateKey) -> str:
    if isinstance(private_key, rsa.RSAPrivateKey):
        return crypto.private_key_pem(private_key).decode()
    return private_key.decode() if isinstance(private_key, bytes) else private_key


def reference_settings(private_key: PrivateKey, app_secret: str, **overrides: Any) -> Settings:
    """Settings for an in-memory reference endpoint (no real CRM, Redis or network)."""
    values: dict[str, Any] = {
        "private_keys": [_pem(private_key)],
        "app_secrets": [app_secret],
        "flow_token_secrets": [TOKEN_SECRET],
        "default_region": "FR",
        "hubspot_token": "hs-test-token",
        "hubspot_base_url": "https://hubspot.test",
        "reclaim_min_idle_ms": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def reference_app(private_key: PrivateKey, app_secret: str, **overrides: Any) -> Any:
    """The well-behaved reference endpoint, for comparison."""
    return create_app(reference_settings(private_key, app_secret, **overrides))


def mint_token(phone: str = PHONE, flow_id: str = FLOW_ID) -> str:
    """A flow token every app built here accepts."""
    return FlowTokens([TOKEN_SECRET]).issue(phone, flow_id, campaign="conformance")


def sample_request() -> dict[str, Any]:
    """A CONFIRM data_exchange with a valid form: it queues a lead (a side effect)."""
    return {"action": "data_exchange", "screen": "CONFIRM", "data": dict(GOOD_FORM)}


# -- a wrapper that sees whole requests and answers ------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def with_header(self, name: str, value: str) -> HttpRequest:
        key = name.lower().encode("latin-1")
        kept = [(k, v) for k, v in self.headers if k.lower() != key]
        return replace(self, headers=[*kept, (key, value.encode("latin-1"))])


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: str) -> str | None:
        key = name.lower().encode("latin-1")
        return next((v.decode("latin-1") for k, v in self.headers if k.lower() == key), None)

    def with_body(self, body: bytes, *, content_type: str | None = None) -> HttpAnswer:
        drop = {b"content-length"} | ({b"content-type"} if content_type else set())
        headers = [(k, v) for k, v in self.headers if k.lower() not in drop]
        if content_type:
            headers.append((b"content-type", content_type.encode("latin-1")))
        headers.append((b"content-length", str(len(body)).encode()))
        return HttpAnswer(self.status, headers, body)


Forward = Callable[[HttpRequest], Awaitable[HttpAnswer]]
Around = Callable[[HttpRequest, Forward], Awaitable[HttpAnswer]]
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


@dataclass
class BrokenEndpoint:
    """An ASGI app running ``inner`` through ``around``, which may change the request, the
    answer, or answer by itself. Lifespan and other scopes go straight to ``inner``."""

    name: str
    inner: Any
    around: Around
    extras: dict[str, Any] = field(default_factory=dict)
    """Things a test may inspect (e.g. the stand-in CRM)."""

    @property
    def state(self) -> Any:
        return self.inner.state

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        request = HttpRequest(
            scope["method"], scope["path"], list(scope["headers"]), b"".join(chunks)
        )

        async def forward(request: HttpRequest) -> HttpAnswer:
            return await _call(self.inner, {**scope, "headers": request.headers}, request.body)

        answer = await self.around(request, forward)
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
        )
        await send({"type": "http.response.body", "body": answer.body})


async def _call(app: Any, scope: Scope, body: bytes) -> HttpAnswer:
    """Run ``app`` on one buffered request and collect its whole answer."""
    done = asyncio.Event()
    delivered = False
    start: Message = {}
    parts: list[bytes] = []

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    try:
        await app(scope, receive, send)
    finally:
        done.set()
    return HttpAnswer(start.get("status", 500), list(start.get("headers", [])), b"".join(parts))


def _is_flows_post(request: HttpRequest) -> bool:
    return request.method == "POST" and request.path == "/"


def _wrap(
    name: str, private_key: PrivateKey, app_secret: str, around: Around, **settings: Any
) -> BrokenEndpoint:
    return BrokenEndpoint(name, reference_app(private_key, app_secret, **settings), around)


def _request_keys(request: HttpRequest, private_key: PrivateKey) -> crypto.ExchangeKeys | None:
    """The request's AES key and IV, as the endpoint saw them (None if it cannot be opened)."""
    try:
        return crypto.decrypt_request(request.body, crypto.KeyRing.of(private_key)).keys
    except crypto.CryptoError:
        return None


# -- the variants ------------------------------------------------------------------------


def no_signature_check(private_key: PrivateKey, app_secret: str, **settings: Any) -> BrokenEndpoint:
    async def around(request: HttpRequest, forward: Forward) -> HttpAnswer:
        signed = crypto.sign_body(request.body, app_secret)
        return await forward(request.with_header(crypto.SIGNATURE_HEADER, signed))

    return _wrap("no_signature_check", private_key, app_secret, around, **settings)


def five_hundred_on_bad_tag(
    private_key: PrivateKey, app_secret: str, **settings: Any
) -> BrokenEndpoint:
    async def around(request: HttpRequest, forward: Forward) -> HttpAnswer:
        answer = await forward(request)
        if answer.status != 421:
            return answer
        return replace(answer, status=500).with_body(
            b"Internal Server Error", content_type="text/plain"
        )

    return _wrap("five_hundred_on_bad_tag", private_key, app_secret, around, **settings)


@dataclass
class _NoIdempotency:
    """Stands in for the lead intake: queues every submission, remembers no answer."""

    queue: Any

    async def submit(
        self, key: str, lead: dict[str, Any], answer: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        await self.queue.enqueue(lead)
        return answer, False


def no_idempotency(private_key: PrivateKey, app_secret: str, **settings: Any) -> BrokenEndpoint:
    app = reference_app(private_key, app_secret, **settings)
    flows = [r.endpoint for r in app.routes if getattr(r, "path", None) == "/"]
    if len(flows) != 1 or not hasattr(flows[0], "intake"):
        raise RuntimeError("the reference app changed: cannot find its Flows endpoint's intake")
    flows[0].intake = _NoIdempotency(app.state.queue)

    async def around(request: HttpRequest, forward: Forward) -> HttpAnswer:
        return await forward(request)

    return BrokenEndpoint("no_idempotency", app, around)


@dataclass
class StandInCrm:
    """A CRM adapter that takes ``delay`` s per upsert and remembers the leads."""

    delay: float = 1.5
    name: str = "stand-in CRM"
    upserts: list[dict[str, Any]] = field(default_factory=list)

    async def upsert(self, lead: dict[str, Any]) -> CrmResult:
        await asyncio.sleep(self.delay)
        self.upserts.append(lead)
        return CrmResult(record_id=f"lead-{len(self.upserts)}", created=True)


def crm_inline(
    private_key: PrivateKey,
    app_secret: str,
    *,
    crm: Any = None,
    crm_delay: float = 1.5,
    **settings: Any,
) -> BrokenEndpoint:
    """``crm`` is any CRM adapter (default: a :class:`StandInCrm` taking ``crm_delay`` s)."""
    app = reference_app(private_key, app_secret, **settings)
    adapter = crm if crm is not None else StandInCrm(crm_delay)
    workers: list[Worker] = []

    async def around(request: HttpRequest, forward: Forward) -> HttpAnswer:
        answer = await forward(request)
        if _is_flows_post(request) and answer.status == 200:
            if not workers:
                workers.append(
                    Worker(app.state.settings, app.state.redis, crm=adapter, http=app.state.http)
                )
            await workers[0].run_once(block_ms=None)  # the mistake: the CRM call in the request
        return answer

    endpoint = BrokenEndpoint("crm_inline", app, around)
    endpoint.extras["crm"] = adapter
    return endpoint


def slow(
    private_key: PrivateKey, app_secret: str, *, delay: float = 1.5, **settings: Any
) -> BrokenEndpoint:
    async def around(request: HttpRequest, forward: Forward) -> HttpAnswer:
        await asyncio.sleep(delay)
        return await forward(request)

    return _wrap("slow", private_key, app_secret, around, **settings)


def plaintext_answers(private_key: PrivateKey, app_secret: str, **settings: Any) -> BrokenEndpoint:
    async def around(request: HttpRequest, forward: Forward) -> HttpAnswer:
        answer = await forward(request)
        keys = _request_keys(request, private_key)
        if answer.status != 200 or keys is None:
            return answer
        payload = crypto.decrypt_response(answer.body, keys)
        return answer.with_body(json.dumps(payload).encode(), content_type="application/json")

    return _wrap("plaintext_answers", private_key, app_secret, around, **settings)


def unflipped_iv(private_key: PrivateKey, app_secret: str, **settings: Any) -> BrokenEndpoint:
    async def around(request: HttpRequest, forward: Forward) -> HttpAnswer:
        answer = await forward(request)
        keys = _request_keys(request, private_key)
        if answer.status not in (200, 427) or keys is None or not answer.body:
            return answer
        payload = crypto.decrypt_response(answer.body, keys)
        # encrypt_response flips the IV it is given: hand it the flipped one to get the original
        wrong = crypto.ExchangeKeys(keys.aes_key, crypto.flip_iv(keys.iv))
        return answer.with_body(crypto.encrypt_response(payload, wrong).encode("ascii"))

    return _wrap("unflipped_iv", private_key, app_secret, around, **settings)


def leaks_traceback(private_key: PrivateKey, app_secret: str, **settings: Any) -> BrokenEndpoint:
    async def around(request: HttpRequest, forward: Forward) -> HttpAnswer:
        if _is_flows_post(request):
            try:
                crypto.parse_envelope(request.body)
            except crypto.MalformedEnvelopeError:
                trace = traceback.format_exc().encode()  # the mistake: debug output to clients
                return HttpAnswer(500, [(b"content-type", b"text/plain")], trace).with_body(trace)
        return await forward(request)

    return _wrap("leaks_traceback", private_key, app_secret, around, **settings)


def wrong_content_type(private_key: PrivateKey, app_secret: str, **settings: Any) -> BrokenEndpoint:
    async def around(request: HttpRequest, forward: Forward) -> HttpAnswer:
        answer = await forward(request)
        return answer.with_body(answer.body, content_type="text/html; charset=utf-8")

    return _wrap("wrong_content_type", private_key, app_secret, around, **settings)


VARIANTS: dict[str, Callable[..., BrokenEndpoint]] = {
    "no_signature_check": no_signature_check,
    "five_hundred_on_bad_tag": five_hundred_on_bad_tag,
    "no_idempotency": no_idempotency,
    "crm_inline": crm_inline,
    "slow": slow,
    "plaintext_answers": plaintext_answers,
    "unflipped_iv": unflipped_iv,
    "leaks_traceback": leaks_traceback,
    "wrong_content_type": wrong_content_type,
}

CAUGHT_BY: dict[str, tuple[str, str]] = {
    "no_signature_check": ("signature.wrong", "fail"),
    "five_hundred_on_bad_tag": ("decrypt.tampered-tag", "fail"),
    "no_idempotency": ("idempotency.replay", "warn"),
    "crm_inline": ("timing.latency", "warn"),
    "slow": ("timing.latency", "warn"),
    "plaintext_answers": ("response.encrypted", "fail"),
    "unflipped_iv": ("response.flipped-iv", "fail"),
    "leaks_traceback": ("robust.malformed-envelope", "fail"),
    "wrong_content_type": ("response.content-type", "warn"),
}
"""The check meant to catch each variant, and its grade with the default options."""
