"""The official ``wasenderapi`` SDK, unmodified but for its base URL and the CA it trusts.

Its sync client calls ``requests.request`` with no session, so over TLS it trusts
the mock's CA through ``REQUESTS_CA_BUNDLE`` (as requests itself documents); its
async client takes an ``httpx.AsyncClient``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from wasenderapi import WasenderAPIError, create_async_wasender, create_sync_wasender
from wasenderapi.models import RetryConfig

from mocks.wasender import WasenderAdmin

TO = "+14155550123"


@pytest.fixture
def wasender(sdk_mocks: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    mock = sdk_mocks.get("wasender")
    if mock.ca_bundle:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", mock.ca_bundle)
    return mock


def client(mock: Any, api_key: str | None = None, **options: Any) -> Any:
    base_url = mock.url + mock.credentials["api_path"]
    return create_sync_wasender(
        api_key or mock.credentials["api_key"], base_url=base_url, **options
    )


def test_send_text_and_read_it_back(wasender: Any) -> None:
    api = client(wasender)
    sent = api.send_text(to=TO, text_body="New lead: Ada Lovelace https://crm.test/lead/1")
    assert sent.response.success is True
    data = sent.response.data
    assert data.jid == TO
    assert data.status == "in_progress"
    assert sent.rate_limit.limit == 256
    assert sent.rate_limit.remaining == 255
    assert sent.rate_limit.get_reset_timestamp_as_date() is not None
    info = api.get_message_info(data.message_id)
    assert info.response.data["msgId"] == data.message_id
    stored = WasenderAdmin(wasender.admin).messages()[0]
    assert stored.text == "New lead: Ada Lovelace https://crm.test/lead/1"
    assert stored.payload["messageType"] == "text"  # the SDK names the type


def test_every_helper_the_sdk_offers(wasender: Any) -> None:
    api = client(wasender)
    api.send_image(to=TO, url="https://x.test/a.png", caption="photo")
    api.send_video(to=TO, url="https://x.test/a.mp4")
    api.send_document(to=TO, url="https://x.test/lead.pdf", filename="lead.pdf")
    api.send_audio(to=TO, url="https://x.test/a.mp3")
    api.send_sticker(to=TO, url="https://x.test/a.webp")
    api.send_contact(to=TO, contact_name="Ada", contact_phone_number="+442071234567")
    api.send_location(to=TO, latitude=51.5, longitude=-0.12, name="HQ")
    api.send_poll(to=TO, question="Call back?", options=["yes", "no"])
    group = "120363025246125486@g.us"
    api.send_message_with_mentions(group, "see this", ["14155550123@s.whatsapp.net"])
    kinds = [m.type for m in WasenderAdmin(wasender.admin).messages()]
    assert kinds == [
        "image", "video", "document", "audio", "sticker", "contact", "location", "poll", "text",
    ]  # fmt: skip
    document = WasenderAdmin(wasender.admin).messages(type="document")[0]
    assert document.file_name == "lead.pdf"
    mention = WasenderAdmin(wasender.admin).messages(to=group)[0]
    assert mention.mentions == ["14155550123@s.whatsapp.net"]


def test_errors_are_the_sdks_exceptions(wasender: Any) -> None:
    api = client(wasender)
    with pytest.raises(WasenderAPIError) as invalid:
        api.send_text(to="not-a-number", text_body="hi")
    assert invalid.value.status_code == 422
    assert invalid.value.api_message == "Validation failed"
    assert "to" in invalid.value.error_details
    with pytest.raises(WasenderAPIError) as bad_key:
        client(wasender, api_key="wrong-key").send_text(to=TO, text_body="hi")
    assert bad_key.value.status_code == 401
    assert bad_key.value.api_message == "Invalid API key"
    WasenderAdmin(wasender.admin).set_session(status="logged_out")
    with pytest.raises(WasenderAPIError) as offline:
        api.send_text(to=TO, text_body="hi")
    assert offline.value.status_code == 400
    assert WasenderAdmin(wasender.admin).messages() == []


def test_rate_limit_on_the_trial_plan(wasender: Any) -> None:
    WasenderAdmin(wasender.admin).set_session(plan="trial")
    api = client(wasender)
    api.send_text(to=TO, text_body="first")
    with pytest.raises(WasenderAPIError) as limited:
        api.send_text(to=TO, text_body="second")
    assert limited.value.status_code == 429
    assert 0 < limited.value.retry_after <= 60
    assert limited.value.rate_limit.limit == 1
    assert limited.value.rate_limit.remaining == 0


def test_the_sdks_retry_honours_retry_after(wasender: Any) -> None:
    WasenderAdmin(wasender.admin).throttle(retry_after=1, times=1)
    api = client(wasender, retry_options=RetryConfig(enabled=True, max_retries=2))
    assert api.send_text(to=TO, text_body="after a wait").response.success is True
    assert wasender.admin.count(status=429) == 1
    assert wasender.admin.count(status=200) == 1


def test_async_client(wasender: Any) -> None:
    async def run() -> Any:
        async with httpx.AsyncClient(verify=wasender.ssl_context() or True) as http:
            api = create_async_wasender(
                wasender.credentials["api_key"],
                base_url=wasender.url + wasender.credentials["api_path"],
                http_client=http,
            )
            return await api.send_text(to=TO, text_body="from asyncio")

    sent = asyncio.run(run())
    assert sent.response.success is True
    assert WasenderAdmin(wasender.admin).messages()[0].text == "from asyncio"
