"""Media pickers: files go encrypted to the mock CDN; the endpoint can fetch and decrypt them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness import crypto
from harness.stub import received_payloads
from harness.walker import CDNError, MockCDN, walk


def test_the_endpoint_downloads_and_decrypts_uploaded_photos(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v4.0-photo-picker")
    with MockCDN() as cdn, stub_client(flow) as (client, app):
        transcript = walk(flow, client, seed=3, cdn=cdn)
        assert transcript.completed, transcript.format()
        [request] = received_payloads(app, action="data_exchange")
        images = request["data"]["images"]
        assert 1 <= len(images) <= 10
        for image in images:
            assert set(image) == {"media_id", "cdn_url", "file_name", "encryption_metadata"}
            downloaded = httpx.get(image["cdn_url"]).content
            plaintext = crypto.decrypt_media(downloaded, image["encryption_metadata"])
            assert plaintext == cdn.files[image["media_id"]].plaintext
            assert plaintext.startswith(b"\xff\xd8\xff")  # looks like the JPEG it claims
            assert image["file_name"].endswith(".jpg")
        assert sum(cdn.downloads.values()) == len(images)


def test_a_tampered_download_fails_to_decrypt(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v4.0-photo-picker")
    with MockCDN() as cdn, stub_client(flow) as (client, app):
        walk(flow, client, seed=0, cdn=cdn)
        [request] = received_payloads(app, action="data_exchange")
        image = request["data"]["images"][0]
        downloaded = bytearray(httpx.get(image["cdn_url"]).content)
        downloaded[0] ^= 1
        with pytest.raises(crypto.MediaIntegrityError):
            crypto.decrypt_media(bytes(downloaded), image["encryption_metadata"])
        assert httpx.get(image["cdn_url"] + "0").status_code == 404


def test_documents_respect_allowed_mime_types(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v4.0-doc-picker")
    with stub_client(flow) as (client, _app):
        for seed in range(5):
            transcript = walk(flow, client, seed=seed)
            documents = transcript.completion["documents"]  # type: ignore[index]
            assert len(documents) == 1  # min and max uploaded documents are both 1
            assert documents[0]["file_name"].endswith((".jpg", ".pdf"))


def test_the_walk_starts_its_own_cdn_and_stops_it(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v4.0-photo-picker")
    with stub_client(flow) as (client, app):
        walk(flow, client, seed=0)
    [request] = received_payloads(app, action="data_exchange")
    with pytest.raises(httpx.ConnectError):
        httpx.get(request["data"]["images"][0]["cdn_url"])


def test_uploading_to_a_stopped_cdn_says_what_to_do() -> None:
    with pytest.raises(CDNError, match="not started"):
        MockCDN().upload(b"x", file_name="a.pdf", mime_type="application/pdf")
