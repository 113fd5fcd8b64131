"""The app with its worker in one event loop, and ``flowharness serve`` as a real process."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import respx

from harness import crypto
from harness.client import AsyncFlowClient, FlowClient, Outcome
from reference_server import create_app

from .conftest import GOOD_FORM, TOKEN_SECRET


@pytest.mark.anyio
@respx.mock
async def test_in_process_worker_moves_a_submitted_lead_to_the_crm(
    respx_mock, make_settings, public_pem, app_secret, token
):
    respx_mock.post("https://hubspot.test/crm/v3/objects/contacts/search").respond(
        json={"results": []}
    )
    create = respx_mock.post("https://hubspot.test/crm/v3/objects/contacts").respond(
        201, json={"id": "1"}
    )
    app = create_app(make_settings(run_worker=True, worker_block_ms=20))
    async with app.router.lifespan_context(app):
        async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as c:
            result = await c.data_exchange("CONFIRM", {**GOOD_FORM, "confirmed": True}, token)
        assert result.payload["screen"] == "SUCCESS"
        for _ in range(200):
            if create.called:
                break
            await asyncio.sleep(0.01)
    properties = json.loads(create.calls.last.request.content)["properties"]
    reference = result.payload["data"]["extension_message_response"]["params"]["lead_reference"]
    assert properties["flow_lead_reference"] == reference
    assert app.state.worker.results[reference].record_id == "1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(process: subprocess.Popen[bytes], port: int, *, deadline: float) -> None:
    """Until ``/healthz`` answers 200; fails with the server's stderr if it exits first."""
    give_up = time.monotonic() + deadline
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        assert time.monotonic() < give_up, f"flowharness serve did not start in {deadline} s"
        time.sleep(0.1)


@pytest.mark.slow
def test_flowharness_serve_answers_over_the_network(private_key, public_pem, app_secret):
    port = _free_port()
    env = {
        **os.environ,
        "FLOWHARNESS_PRIVATE_KEYS": json.dumps([crypto.private_key_pem(private_key).decode()]),
        "FLOWHARNESS_APP_SECRETS": json.dumps([app_secret]),
        "FLOWHARNESS_FLOW_TOKEN_SECRETS": json.dumps([TOKEN_SECRET]),
    }
    env.pop("FLOWHARNESS_REDIS_URL", None)
    env.pop("REDIS_URL", None)
    command = [str(Path(sys.executable).parent / "flowharness"), "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    try:
        _wait_until_healthy(process, port, deadline=20)
        with FlowClient(
            f"http://127.0.0.1:{port}/", public_key=public_pem, app_secret=app_secret
        ) as c:
            result = c.ping()
        assert result.outcome is Outcome.OK
        assert result.payload == {"data": {"status": "active"}}
    finally:
        process.terminate()
        process.wait(timeout=10)
        logged = process.stderr.read().decode() if process.stderr else ""
        if process.stderr:
            process.stderr.close()
    # one JSON line per request, from the endpoint; none from uvicorn's access log
    lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["message"] == "flows request"]
    assert [(r["action"], r["status"]) for r in requests] == [("ping", 200)]
    assert requests[0]["elapsed_ms"] >= 0
    assert requests[0]["logger"] == "reference_server.endpoint"
    assert "POST / HTTP/1.1" not in logged


def test_serve_runs_uvicorn_on_uvloop_and_httptools(monkeypatch, private_key, app_secret):
    """What ``flowharness serve`` hands uvicorn, caught before it would start serving."""
    import uvicorn
    import uvloop
    from click.testing import CliRunner
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from harness.cli import main

    configs: list[uvicorn.Config] = []

    def run(server: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        configs.append(server.config)
        for sock in sockets or []:
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", run)
    for name in [n for n in os.environ if n.startswith("FLOWHARNESS_") or n == "REDIS_URL"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv(
        "FLOWHARNESS_PRIVATE_KEYS", json.dumps([crypto.private_key_pem(private_key).decode()])
    )
    monkeypatch.setenv("FLOWHARNESS_APP_SECRETS", json.dumps([app_secret]))
    monkeypatch.setenv("FLOWHARNESS_FLOW_TOKEN_SECRETS", json.dumps([TOKEN_SECRET]))
    try:
        result = CliRunner().invoke(main, ["serve", "--port", "0", "--env-file", os.devnull])
        # the start-up heap is out of the full collections, which paused every request
        frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()
    assert result.exit_code == 0, result.output
    assert frozen > 10_000
    (config,) = configs
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    loop = config.get_loop_factory()()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
    assert config.access_log is False  # the endpoint logs each request itself


@pytest.mark.slow
@pytest.mark.redis_server
def test_serve_with_two_processes_answers_over_the_network(
    real_redis, private_key, public_pem, app_secret
):
    """``--workers 2``: uvicorn's processes build the app themselves, from the environment."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FLOWHARNESS_")},
        "FLOWHARNESS_PRIVATE_KEYS": json.dumps([crypto.private_key_pem(private_key).decode()]),
        "FLOWHARNESS_APP_SECRETS": json.dumps([app_secret]),
        "FLOWHARNESS_FLOW_TOKEN_SECRETS": json.dumps([TOKEN_SECRET]),
        "FLOWHARNESS_REDIS_URL": real_redis.url,
    }
    command = [str(Path(sys.executable).parent / "flowharness"), "serve", "--port", str(port)]
    process = subprocess.Popen([*command, "--workers", "2"], env=env, stderr=subprocess.PIPE)
    try:
        _wait_until_healthy(process, port, deadline=30)
        with FlowClient(
            f"http://127.0.0.1:{port}/", public_key=public_pem, app_secret=app_secret
        ) as c:
            results = [c.ping() for _ in range(10)]
        assert all(r.outcome is Outcome.OK for r in results)
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stderr:
            process.stderr.close()
