"""pywa's ``WhatsApp`` client, unmodified but for its httpx session's base URL and CA."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pywa import WhatsApp
from pywa.errors import ExpiredAccessToken, WhatsAppError

from mocks.cloud_api import CloudApiAdmin


def whatsapp(mock: Any, token: str | None = None) -> WhatsApp:
    session = httpx.Client(verify=mock.ssl_context() or True, timeout=10)
    wa = WhatsApp(
        phone_id=mock.credentials["phone_number_id"],
        token=token or mock.credentials["access_token"],
        session=session,
    )
    # pywa pins https://graph.facebook.com/vNN.0 on the session it is given; point it here
    session.base_url = mock.url + session.base_url.path
    return wa


def test_send_text_and_media(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("cloud_api")
    wa = whatsapp(mock)
    sent = wa.send_message(to="15551234567", text="Thanks, Ada! We'll be in touch.")
    assert sent.id.startswith("wamid.")
    (stored,) = CloudApiAdmin(mock.admin).messages()
    assert (stored.wa_id, stored.type) == ("15551234567", "text")
    media = wa.upload_media(media=b"\x89PNG photo", mime_type="image/png", filename="p.png")
    url = wa.get_media_url(media.id)
    assert url.url.startswith(mock.url + "/")  # on the mock's own host and port
    assert wa.get_media_bytes(url.url) == b"\x89PNG photo"


def test_errors_raise_pywas_exceptions(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("cloud_api")
    wa = whatsapp(mock)
    with pytest.raises(WhatsAppError) as invalid:
        wa.send_message(to="not a phone", text="hi")
    assert (invalid.value.code, invalid.value.message) == (100, "(#100) Invalid parameter")
    with pytest.raises(WhatsAppError) as missing:
        wa.send_message(to="15551234567", text="")
    assert "is required" in missing.value.message
    with pytest.raises(ExpiredAccessToken) as bad_token:
        whatsapp(mock, token="not-a-token").send_message(to="15551234567", text="hi")
    assert bad_token.value.code == 190
    assert CloudApiAdmin(mock.admin).messages() == []
