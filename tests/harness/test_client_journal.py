"""The journal: every attempt recorded, as JSON and as replayable curl commands."""

from __future__ import annotations

import base64
import json
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto
from harness.client import FlowClient, Journal
from harness.testing import FakeEndpoint, Fault, make_test_endpoint, run_server


@pytest.fixture
def endpoint(private_key: rsa.RSAPrivateKey, app_secret: str) -> FakeEndpoint:
    return make_test_endpoint(private_key, app_secret)


@pytest.fixture
def client(endpoint: FakeEndpoint, public_pem: bytes, app_secret: str) -> Iterator[FlowClient]:
    with FlowClient(
        endpoint,
        public_key=public_pem,
        app_secret=app_secret,
        retry_delay=0.01,
        headers={"Authorization": "Bearer hush"},
    ) as client:
        yield client


def test_json_records_each_attempt(
    client: FlowClient, endpoint: FakeEndpoint, app_secret: str
) -> None:
    endpoint.inject(Fault.STATUS_421, times=1)
    client.init("tok", {"a": 1})
    records = json.loads(client.journal.to_json())
    assert [r["attempt"] for r in records] == [1, 2]
    assert [r["response"]["status"] for r in records] == [421, 200]
    first, second = records
    assert first["request"]["payload"] == {
        "version": "3.0",
        "action": "INIT",
        "data": {"a": 1},
        "flow_token": "tok",
    }
    assert second["response"]["payload"]["screen"] == "START"
    assert second["request"]["body"].encode() == client.journal[1].request_body
    assert second["outcome"] == "ok"
    assert first["outcome"] == "business-decryption-error"
    assert first["request"]["envelope"] != second["request"]["envelope"]
    text = client.journal.to_json()
    assert app_secret not in text
    assert "hush" not in text  # credentials in headers are redacted
    aes_key = client.journal[0].keys.aes_key  # type: ignore[union-attr]
    assert base64.b64encode(aes_key).decode() not in text
    assert aes_key.hex() not in text


def test_json_redacts_cookies_the_endpoint_sets(client: FlowClient) -> None:
    client.init("tok")
    exchange = client.journal[-1]
    exchange.response_headers["Set-Cookie"] = "session=s3cr3t-cookie; HttpOnly"
    record = json.loads(client.journal.to_json())[-1]
    assert record["response"]["headers"]["Set-Cookie"] == "<redacted>"
    assert "s3cr3t-cookie" not in client.journal.to_json()


def test_curl_command_carries_the_exact_body_and_signature(client: FlowClient) -> None:
    client.send(b'{"action":"ping","note":"it\'s $HOME"}')
    exchange = client.journal[-1]
    tokens = shlex.split(client.journal.to_curl().splitlines()[1])
    assert tokens[:3] == ["printf", "%s", exchange.request_body.decode()]
    signature = f"{crypto.SIGNATURE_HEADER}: {exchange.request_headers[crypto.SIGNATURE_HEADER]}"
    assert signature in tokens
    assert "Content-Type: application/json" in tokens
    assert tokens[tokens.index("--data-binary") + 1] == "@-"


def test_raw_body_that_is_not_utf8_goes_through_base64(client: FlowClient) -> None:
    client.send(body=b"\xff\x00\xfe")
    command = client.journal[-1].to_curl()
    assert "base64 -d" in command
    assert json.loads(client.journal.to_json())[-1]["request"]["body_base64"] == "/wD+"


def test_dump_writes_json_or_a_curl_script(client: FlowClient, tmp_path: Path) -> None:
    client.ping()
    as_json = client.journal.dump(tmp_path / "journal.json")
    assert json.loads(as_json.read_text())[0]["request"]["payload"]["action"] == "ping"
    script = client.journal.dump(tmp_path / "replay.sh")
    assert script.read_text().count("curl ") == 1


def test_empty_journal() -> None:
    journal = Journal()
    assert len(journal) == 0
    assert journal.to_curl() == ""
    assert json.loads(journal.to_json()) == []


def test_journal_size_is_bounded(
    endpoint: FakeEndpoint, public_pem: bytes, app_secret: str
) -> None:
    with FlowClient(endpoint, public_key=public_pem, app_secret=app_secret, journal_size=3) as c:
        for _ in range(5):
            c.ping()
        assert len(c.journal) == 3
        assert c.journal[-1] is c.journal[2]
        c.journal.clear()
        assert len(c.journal) == 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="the curl binary is not installed")
def test_curl_replay_reaches_the_endpoint_byte_for_byte(
    endpoint: FakeEndpoint, public_pem: bytes, app_secret: str
) -> None:
    with (
        run_server(endpoint) as url,
        FlowClient(url + "/", public_key=public_pem, app_secret=app_secret) as client,
    ):
        client.data_exchange("FORM", {"name": "O'Brien", "city": "Zürich"}, "tok")
        exchange = client.journal[-1]
        endpoint.received.clear()
        replay = subprocess.run(
            ["bash", "-c", exchange.to_curl()], capture_output=True, timeout=30, check=True
        )
    assert replay.stdout.startswith(b"HTTP/1.1 200")
    seen = endpoint.received[-1]
    assert seen.body == exchange.request_body
    assert seen.signature_valid
    answer = replay.stdout.split(b"\r\n\r\n", 1)[1]
    assert (
        crypto.decrypt_response(answer, exchange.keys)["data"]["received"]["data"]["name"]
        == "O'Brien"
    )  # type: ignore[arg-type]
