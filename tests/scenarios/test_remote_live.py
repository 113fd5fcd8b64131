"""The remote target for real: `flowharness mocks up` and `flowharness serve` as processes
on loopback, then `flowharness run --target remote` against them, as a team would do it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto
from harness.scenarios import ALERTS_PATH, NOTIFY_PATH

from .conftest import CATALOG

pytestmark = pytest.mark.slow

FLOWHARNESS = str(Path(sys.executable).with_name("flowharness"))
TOKEN_SECRET = "remote-scenarios-token-secret"
TEAMS_PATH = "/webhookb2/flowharness@tenant/IncomingWebhook/notify/owner"
REMOTE_SCENARIOS = ("ping", "signature", "happy_path", "double_tap", "notifications_record_link")
EMBEDDED_ONLY = "crm_down_recovers"  # reads the dead-letter stream: skipped remotely


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[str]) -> str:
    """Stop our own child process; its stderr so far, for failure messages."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    stderr = process.stderr
    errors = stderr.read() if stderr is not None and not stderr.closed else ""
    for stream in (process.stdout, stderr):
        if stream is not None:
            stream.close()
    return errors


@pytest.fixture(scope="module")
def mocks_line() -> Iterator[str]:
    """The JSON line `flowharness mocks up --json` prints, every mock on a free port."""
    process = subprocess.Popen(
        [FLOWHARNESS, "mocks", "up", "--json", "--base-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("{"):
            pytest.fail(f"mocks up printed {line!r}; stderr: {_stop(process)}")
        yield line
    finally:
        _stop(process)


def _endpoint_env(
    mocks: dict[str, Any], private_key: rsa.RSAPrivateKey, secret: str
) -> dict[str, str]:
    """FLOWHARNESS_* settings pointing the reference endpoint at the mocks."""
    from mocks.crm.hubspot import DEFAULT_PORTAL_ID

    pem = crypto.private_key_pem(private_key).decode()
    slack, cloud_api = mocks["slack"]["url"], mocks["cloud_api"]
    settings = {
        "PRIVATE_KEYS": json.dumps([pem]),
        "APP_SECRETS": json.dumps([secret]),
        "FLOW_TOKEN_SECRETS": json.dumps([TOKEN_SECRET]),
        "DEFAULT_REGION": "FR",
        "CRM": "hubspot",
        "HUBSPOT_BASE_URL": mocks["hubspot"]["url"],
        "HUBSPOT_TOKEN": mocks["hubspot"]["credentials"]["access_token"],
        "HUBSPOT_PORTAL_ID": str(DEFAULT_PORTAL_ID),
        "SLACK_WEBHOOK_URL": slack + ALERTS_PATH,
        "NOTIFY_SLACK_WEBHOOK_URL": slack + NOTIFY_PATH,
        "NOTIFY_TEAMS_WEBHOOK_URL": mocks["teams"]["url"] + TEAMS_PATH,
        "CLOUD_API_URL": cloud_api["url"],
        "CLOUD_API_TOKEN": cloud_api["credentials"]["access_token"],
        "PHONE_NUMBER_ID": "106540352242922",
        "NOTIFY_WHATSAPP_TO": "+14155550100",
        "SMTP_HOST": mocks["email"]["smtp_host"],
        "SMTP_PORT": str(mocks["email"]["smtp_port"]),
        "NOTIFY_EMAIL_TO": json.dumps(["sales@example.com"]),
        "RETRY_BASE_DELAY_SECONDS": "0.2",
        "WORKER_BLOCK_MS": "200",
        "LOG_LEVEL": "WARNING",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWHARNESS_")}
    env.pop("REDIS_URL", None)  # unset: the endpoint's own embedded fakeredis
    return env | {f"FLOWHARNESS_{name}": value for name, value in settings.items()}


@pytest.fixture(scope="module")
def endpoint(
    mocks_line: str,
    private_key: rsa.RSAPrivateKey,
    app_secret: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    port = _free_port()
    env = _endpoint_env(json.loads(mocks_line)["mocks"], private_key, app_secret)
    log = tmp_path_factory.mktemp("serve") / "stderr.log"
    with log.open("w") as stderr:  # a file, not a pipe: a chatty server never blocks on it
        process = subprocess.Popen(
            [FLOWHARNESS, "serve", "--port", str(port), "--with-worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(process)
                pytest.fail(f"flowharness serve did not start: {log.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        _stop(process)


def test_catalog_scenarios_pass_against_a_served_endpoint(
    endpoint: str, mocks_line: str, public_pem: bytes, app_secret: str, tmp_path: Path
) -> None:
    public_key = tmp_path / "public.pem"
    public_key.write_bytes(public_pem)
    report = tmp_path / "report.json"
    paths = [str(CATALOG / f"{name}.yaml") for name in (*REMOTE_SCENARIOS, EMBEDDED_ONLY)]
    # the mocks' JSON line goes in on standard input, as `mocks up --json | ...` would
    run = subprocess.run(
        [
            FLOWHARNESS,
            "run",
            *paths,
            "--target",
            "remote",
            "--endpoint",
            endpoint,
            "--public-key",
            str(public_key),
            "--mocks-config",
            "-",
            "--flow-token-secret",
            TOKEN_SECRET,
            "--json",
            str(report),
        ],
        input=mocks_line,
        env=os.environ | {"FLOWHARNESS_APP_SECRET": app_secret},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    data = json.loads(report.read_text())
    statuses = {Path(s["path"]).stem: s["status"] for s in data["scenarios"]}
    assert statuses == {**dict.fromkeys(REMOTE_SCENARIOS, "passed"), EMBEDDED_ONLY: "skipped"}
    skipped = next(s for s in data["scenarios"] if s["status"] == "skipped")
    assert "embedded" in skipped["error"]
