"""``create_app(settings, http=...)``: how the embedded target routes the endpoint's calls."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from reference_server import create_app
from reference_server._alerts import Alert
from tests.support.broken_endpoints import reference_settings


@pytest.mark.anyio
async def test_create_app_uses_the_callers_client_and_leaves_it_open(
    private_key: rsa.RSAPrivateKey, app_secret: str
) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, text="ok")

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        settings = reference_settings(
            private_key, app_secret, slack_webhook_url="http://slack.test/alerts"
        )
        app = create_app(settings, http=http)
        assert app.state.http is http
        async with app.router.lifespan_context(app):
            await app.state.alerter.send(Alert("high", "unknown data API version"))
        assert not http.is_closed  # the caller owns it
        await app.state.redis.aclose()
    assert seen == ["http://slack.test/alerts"]
