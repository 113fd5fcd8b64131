"""Hostile input, written by hand beside the project's fuzzer: for every action, every
field gets lone surrogates, NUL, 1 MB strings and every wrong JSON type. The endpoint
never answers 5xx and never takes more than a second.

The client encodes JSON with ``ensure_ascii=False``, which cannot carry a lone
surrogate, so these payloads go out as bytes of ASCII-escaped JSON (``"\\ud800"``):
valid JSON that decodes to a string Python cannot encode as UTF-8.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.client import AsyncFlowClient

from .conftest import GOOD_FORM

pytestmark = pytest.mark.anyio

MEGABYTE = 1_000_000
HOSTILE: dict[str, Any] = {
    "lone surrogate": "\ud800",
    "surrogates around text": "Ana\udfff \ud83d",
    "NUL": "Ana\x00Lima",
    "control characters": "\x01\x1b[31m\x7f",
    "1 MB word": "a" * MEGABYTE,
    "1 MB of words": "ab " * (MEGABYTE // 3),
    "int": 7,
    "huge int": 10**40,
    "float": 1e308,
    "bool": True,
    "null": None,
    "list": ["a", 1, None],
    "object": {"first_name": {"$ne": 1}},
    "empty string": "",
}
SCREENS = ("LEAD", "CONFIRM")


def base_payloads(token: str) -> dict[str, dict[str, Any]]:
    """A valid request of every kind the endpoint knows (and one it does not)."""
    form = {**GOOD_FORM, "confirmed": True}
    exchange = {"version": "3.0", "action": "data_exchange", "flow_token": token}
    error = {"error": "payload-schema-error", "error_message": "bad"}
    return {
        "ping": {"version": "3.0", "action": "ping"},
        "INIT": {"version": "3.0", "action": "INIT", "flow_token": token},
        "BACK": {"version": "3.0", "action": "BACK", "screen": "CONFIRM", "flow_token": token},
        "data_exchange LEAD": {**exchange, "screen": "LEAD", "data": form},
        "data_exchange CONFIRM": {**exchange, "screen": "CONFIRM", "data": form},
        "error notification": {**exchange, "screen": "LEAD", "data": error},
        "navigate": {**exchange, "action": "navigate", "screen": "LEAD", "data": {}},
    }


def hostile_variants(token: str) -> list[tuple[str, dict[str, Any]]]:
    variants = []
    for kind, base in base_payloads(token).items():
        fields = {*base, "version", "action", "screen", "data", "flow_token"}
        for field in sorted(fields):
            for label, value in HOSTILE.items():
                variants.append((f"{kind}: {field} = {label}", {**base, field: value}))
        for field in sorted(base.get("data") or {}):
            for label, value in HOSTILE.items():
                data = {**base["data"], field: value}
                variants.append((f"{kind}: data.{field} = {label}", {**base, "data": data}))
        variants.append((f"{kind}: data key = lone surrogate", {**base, "data": {"\ud800": 1}}))
    return variants


def as_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=True).encode("ascii")


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("where", ["screen", "first_name", "email", "key"])
async def test_a_lone_surrogate_gets_an_answer_not_a_500(client, token, screen, where):
    data: dict[str, Any] = {**GOOD_FORM, "confirmed": True}
    payload = {"version": "3.0", "action": "data_exchange", "screen": screen, "flow_token": token}
    if where == "screen":
        payload["screen"] = "\ud800"
    elif where == "key":
        data["\udc00"] = "x"
    else:
        data[where] = "\ud800" + str(data[where])
    result = await client.send(as_bytes({**payload, "data": data}))
    assert result.status in (200, 400), (result.status, result.error)


async def test_hostile_input_never_gets_a_5xx_or_a_slow_answer(
    make_settings, create_app_fixture, public_pem, app_secret, token
):
    app = create_app_fixture(make_settings())
    failures = []
    async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as c:
        for name, payload in hostile_variants(token):
            result = await c.send(as_bytes(payload))
            if result.status is None or result.status >= 500 or result.elapsed > 1.0:
                failures.append((name, result.status, round(result.elapsed, 3), result.error))
    assert failures == []


@pytest.fixture
async def create_app_fixture():
    from reference_server import create_app

    apps = []

    def make(settings):
        app = create_app(settings)
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.state.alerter.drain()
        await app.state.http.aclose()
        await app.state.redis.aclose()
