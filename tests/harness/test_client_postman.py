"""Postman export: collections valid against Postman's schema, carrying the exact signed
bodies; journals with keys; answers to replays read with ``flowharness open``."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from click.testing import CliRunner

from harness import crypto
from harness.cli import main
from harness.client import FlowClient, JournalKeysError, open_answer
from harness.flowjson import load_flow
from harness.stub import create_stub_app
from harness.testing import run_server

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "data" / "postman" / "collection-v2.1.0.schema.json").read_text()
)
LEAD = Path(__file__).parents[2] / "reference_server" / "flows" / "lead_capture.json"


def validate(collection: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(collection)


@pytest.fixture
def stub_url(private_key: Any, app_secret: str) -> Iterator[str]:
    with run_server(create_stub_app(load_flow(LEAD), private_key, app_secret)) as url:
        yield url + "/"


@pytest.fixture
def client(stub_url: str, public_pem: bytes, app_secret: str) -> Iterator[FlowClient]:
    with FlowClient(stub_url, public_key=public_pem, app_secret=app_secret) as client:
        yield client


def test_the_schema_rejects_what_postman_would() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate({"info": {"name": "x"}, "item": []})  # no info.schema
    with pytest.raises(jsonschema.ValidationError):
        validate({"info": {"name": "x", "schema": "s"}, "item": [{"name": "no request"}]})


def test_collection_is_valid_and_carries_exact_bodies_and_signatures(
    client: FlowClient, tmp_path: Path, app_secret: str
) -> None:
    client.ping()
    client.init("tok-1")
    client.data_exchange("LEAD", {"first_name": "Zoë"}, "tok-1")
    collection = client.journal.to_postman(name="lead", journal_file=tmp_path / "j.json")
    validate(collection)
    assert collection["info"]["schema"] == (
        "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    )
    assert [item["name"] for item in collection["item"]] == [
        "1. ping",
        "2. INIT",
        "3. data_exchange LEAD",
    ]
    for item, exchange in zip(collection["item"], client.journal, strict=True):
        request = item["request"]
        assert request["body"]["raw"].encode() == exchange.request_body
        headers = {h["key"]: h["value"] for h in request["header"]}
        assert headers[crypto.SIGNATURE_HEADER] == crypto.sign_body(
            exchange.request_body, app_secret
        )
        assert request["url"]["raw"] == exchange.url
        assert f"flowharness open --journal {tmp_path / 'j.json'}" in item["description"]
    text = json.dumps(collection)
    for exchange in client.journal:
        assert exchange.keys is not None
        assert base64.b64encode(exchange.keys.aes_key).decode() not in text  # no keys in it
    assert "Zoë" not in text  # nor the plaintext


def test_credential_headers_become_postman_variables(
    stub_url: str, public_pem: bytes, app_secret: str
) -> None:
    headers = {"Authorization": "Bearer hush"}
    with FlowClient(stub_url, public_key=public_pem, app_secret=app_secret, headers=headers) as c:
        c.ping()
        collection = c.journal.to_postman()
    validate(collection)
    assert "hush" not in json.dumps(collection)
    assert collection["variable"][0]["key"] == "header_authorization"


def test_journal_with_keys_says_so_and_without_keys_has_none(
    client: FlowClient, tmp_path: Path
) -> None:
    client.init("tok")
    plain = json.loads(client.journal.dump(tmp_path / "plain.json").read_text())
    assert isinstance(plain, list)
    assert "keys" not in plain[0]
    keyed = json.loads(client.journal.dump(tmp_path / "keys.json", keys=True).read_text())
    assert "AES key" in keyed["warning"]
    assert keyed["exchanges"][0]["keys"]["aes_key"]
    written = client.journal.dump(tmp_path / "x.postman_collection.json")
    validate(json.loads(written.read_text()))


def test_a_replayed_answer_opens_with_the_journal(client: FlowClient, tmp_path: Path) -> None:
    client.init("tok-1")
    client.data_exchange("LEAD", {"first_name": "Ana"}, "tok-1")
    journal = client.journal.dump(tmp_path / "journal.json", keys=True)
    collection = client.journal.to_postman(journal_file=journal)
    item = collection["item"][1]
    request = item["request"]
    replay = httpx.post(
        request["url"]["raw"],
        content=request["body"]["raw"].encode(),
        headers={h["key"]: h["value"] for h in request["header"]},
    )
    assert replay.status_code == 200
    opened = open_answer(journal, replay.text)
    assert opened.exchange == 2
    assert opened.request["action"] == "data_exchange"
    assert opened.payload["screen"] == "CONFIRM"
    cli = CliRunner().invoke(main, ["open", "--journal", str(journal), "--response", replay.text])
    assert cli.exit_code == 0, cli.output
    assert '"screen": "CONFIRM"' in cli.output


def test_open_says_why_it_cannot(client: FlowClient, tmp_path: Path) -> None:
    client.ping()
    no_keys = client.journal.dump(tmp_path / "plain.json")
    with pytest.raises(JournalKeysError, match="kept no keys"):
        open_answer(no_keys, "AAAA")
    keyed = client.journal.dump(tmp_path / "keys.json", keys=True)
    with pytest.raises(JournalKeysError, match="none of the 1"):
        open_answer(keyed, "bm90IGFuIGFuc3dlcg==")
    result = CliRunner().invoke(main, ["open", "--journal", str(keyed), "--response", "junk"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_send_postman_writes_collection_and_journal(
    stub_url: str, tmp_path: Path, public_pem: bytes, app_secret: str
) -> None:
    key = tmp_path / "public.pem"
    key.write_bytes(public_pem)
    target = tmp_path / "init.postman.json"
    result = CliRunner().invoke(
        main,
        [
            "send",
            stub_url,
            "--public-key",
            str(key),
            "--payload",
            '{"version": "3.0", "action": "INIT"}',
            "--flow-token",
            "tok",
            "--postman",
            str(target),
        ],
        env={"FLOWHARNESS_APP_SECRET": app_secret},
    )
    assert result.exit_code == 0, result.output
    validate(json.loads(target.read_text()))
    journal = json.loads((tmp_path / "init.journal.json").read_text())
    assert journal["exchanges"][0]["keys"]


@pytest.mark.slow
def test_a_collection_from_send_replays_against_flowharness_stub(
    tmp_path: Path, app_secret: str
) -> None:
    """The user's path: `flowharness stub`, `send --postman`, a replay, `flowharness open`."""
    cli = [str(Path(sys.executable).parent / "flowharness")]
    env = {**os.environ, "FLOWHARNESS_APP_SECRET": app_secret}
    log = (tmp_path / "stub.log").open("wb")
    with socket_port() as port:
        stub = subprocess.Popen(
            [*cli, "stub", str(LEAD), "--port", str(port), "--app-secret", app_secret],
            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until_up(url)
        sent = subprocess.run(
            [*cli, "send", url, "--public-key", "stub-public.pem", "--payload",
             '{"version": "3.0", "action": "INIT"}', "--flow-token", "tok", "--postman",
             "init.postman.json"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stdout + sent.stderr
        collection = json.loads((tmp_path / "init.postman.json").read_text())
        validate(collection)
        request = collection["item"][0]["request"]
        replay = httpx.post(
            request["url"]["raw"],
            content=request["body"]["raw"].encode(),
            headers={h["key"]: h["value"] for h in request["header"]},
            timeout=30,
        )
        assert replay.status_code == 200
        opened = subprocess.run(
            [*cli, "open", "--journal", "init.journal.json", "--response", replay.text],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert opened.returncode == 0, opened.stderr
        assert json.loads(opened.stdout)["screen"] == "LEAD"
    finally:
        stub.send_signal(signal.SIGINT)
        try:
            stub.wait(timeout=15)
        except subprocess.TimeoutExpired:
            stub.kill()
            stub.wait(timeout=15)
        log.close()


class socket_port:
    """A free loopback port (closed again before the server binds it)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        return None


def wait_until_up(url: str, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up within {deadline} s")
