"""``check`` against endpoints written the way teams write them from tutorials, run as real
processes on loopback (tests/data/endpoints): every true finding found, no false finding,
a crash reported once as a crash.

Each endpoint's expected verdict is the set of its findings (failures grouped by root
cause, each named by its first check) and whether the run stopped on a dead endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import crypto
from harness.conformance import Grade, check_endpoint

ENDPOINTS = Path(__file__).parents[1] / "data" / "endpoints"
NODE = ENDPOINTS / "node"
START_DEADLINE = 60.0


def _token(flow_id: str = "lead-42") -> str:
    mac = hmac.new(b"corpus-token-secret", flow_id.encode(), hashlib.sha256).hexdigest()
    return f"{flow_id}.{mac[:16]}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Endpoint:
    """One endpoint process on a free loopback port, stopped by PID."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = cwd / f".endpoint-{self.port}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                argv, cwd=cwd, env={**env, "PORT": str(self.port)}, stdout=log, stderr=log
            )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the endpoint exited at start: {self.log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the endpoint did not listen within {START_DEADLINE} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.unlink(missing_ok=True)


@pytest.fixture
def keys(private_key: Any, app_secret: str) -> dict[str, str]:
    pem = crypto.private_key_pem(private_key).decode()
    return {**os.environ, "PRIVATE_KEY": pem, "APP_SECRET": app_secret, "NODE_ENV": "production"}


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """Installs the Node corpus's locked dependencies (npm ci) once."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed here (CI installs them)")
    if not (NODE / "node_modules" / "express").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=NODE, check=True, timeout=300
        )
    return NODE / "node_modules"


def _run(endpoint: Endpoint, public_pem: bytes, app_secret: str) -> Any:
    return check_endpoint(
        endpoint.url,
        public_key=public_pem,
        app_secret=app_secret,
        flow_token=_token(),
        timeout=5.0,
        fuzz=0,
    )


def _verdict(report: Any) -> tuple[set[str], str | None]:
    return {group[0].id for group in report.findings}, report.stopped


@pytest.fixture
def start(keys: dict[str, str]) -> Iterator[Any]:
    started: list[Endpoint] = []

    def run(kind: str, name: str) -> Endpoint:
        if kind == "python":
            argv, cwd = [sys.executable, f"{name}.py"], ENDPOINTS / "python"
        else:
            argv, cwd = [shutil.which("node") or "node", f"{name}.js"], NODE
        endpoint = Endpoint(argv, cwd, keys)
        started.append(endpoint)
        return endpoint

    yield run
    for endpoint in started:
        endpoint.stop()


def test_python_correct_endpoint_conforms(start: Any, public_pem: bytes, app_secret: str) -> None:
    report = _run(start("python", "correct"), public_pem, app_secret)
    assert _verdict(report) == (set(), None), report.to_text()
    assert report.ok


def test_python_tutorial_mistakes_are_found_and_only_they(
    start: Any, public_pem: bytes, app_secret: str
) -> None:
    report = _run(start("python", "tutorial_mistakes"), public_pem, app_secret)
    # 500 on a bad tag (and on every envelope it cannot open): one cause, one finding;
    # no 427 for an invalid token; a 500 on plaintext that is not JSON; error_key not
    # acknowledged. The "version" key in every answer, the key parsed per request and the
    # connection closed after each 500 are no finding.
    expected = {
        "decrypt.wrong-key", "flow-token.invalid", "robust.malformed-json",
        "error-notification.error-key",
    }  # fmt: skip
    assert _verdict(report) == (expected, None), report.to_text()
    decrypt = next(group for group in report.findings if group[0].id == "decrypt.wrong-key")
    assert {r.id for r in decrypt} >= {
        "decrypt.tampered-ciphertext", "decrypt.tampered-tag", "decrypt.tampered-iv",
        "decrypt.truncated-iv", "robust.malformed-envelope",
    }  # fmt: skip
    assert report["decrypt.short-iv"].grade is Grade.PASS
    assert report["ping"].grade is Grade.PASS
    assert "no HTTP answer" not in report.to_text()


@pytest.mark.slow
def test_node_correct_endpoint_conforms(
    node_modules: Path, start: Any, public_pem: bytes, app_secret: str
) -> None:
    report = _run(start("node", "correct"), public_pem, app_secret)
    assert _verdict(report) == (set(), None), report.to_text()
    assert report.ok


@pytest.mark.slow
def test_node_crash_is_one_finding(
    node_modules: Path, start: Any, public_pem: bytes, app_secret: str
) -> None:
    endpoint = start("node", "crash-on-missing-header")
    report = _run(endpoint, public_pem, app_secret)
    stopped = "the endpoint stopped answering after signature.missing"
    assert _verdict(report) == ({"signature.missing"}, stopped), report.to_text()
    assert endpoint.process.poll() is not None  # it really died
    died = report["signature.missing"]
    assert "curl" in died.detail
    later = report.results[[r.id for r in report.results].index("signature.missing") + 1 :]
    assert later
    assert {r.grade for r in later} == {Grade.NOT_RUN}
    assert report["timing.latency"].grade is Grade.NOT_RUN
