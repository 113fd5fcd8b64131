"""The endpoint corpus (tests/data/endpoints) run as real processes on loopback ports.

``corpus`` is a fixture: ``corpus("python", "tutorial_mistakes")`` starts that endpoint
with the session's private key and app secret and returns it; every endpoint started is
stopped by PID when the test ends.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto

ENDPOINTS = Path(__file__).parents[1] / "data" / "endpoints"
NODE = ENDPOINTS / "node"
START_DEADLINE = 60.0
STOP_DEADLINE = 10.0


def corpus_token(flow_id: str = "lead-42") -> str:
    """A flow token the corpus endpoints accept (they share the token secret)."""
    mac = hmac.new(b"corpus-token-secret", flow_id.encode(), hashlib.sha256).hexdigest()
    return f"{flow_id}.{mac[:16]}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Endpoint:
    """One endpoint process on a free loopback port, stopped by PID."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], logs: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = logs / f"endpoint-{self.port}.log"  # never inside the checkout
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
        self.stop()
        raise RuntimeError(f"the endpoint did not listen within {START_DEADLINE} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.unlink(missing_ok=True)


def install_node_modules() -> None:
    """The Node corpus's locked dependencies (npm ci), once; skips without node or npm
    (fails in CI, which installs them)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        if os.environ.get("CI"):
            pytest.fail("node and npm are not installed, and CI must run the Node corpus")
        pytest.skip("node and npm are not installed here (.ci/run installs them)")
    # xdist workers share the folder: one installs while the others wait, and npm ci
    # writes node_modules/.package-lock.json last, so its presence means "complete"
    with (NODE / ".npm-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (NODE / "node_modules" / ".package-lock.json").is_file():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--silent"],
                cwd=NODE,
                check=True,
                timeout=300,
            )


StartEndpoint = Callable[[str, str], Endpoint]


@pytest.fixture
def corpus(
    private_key: rsa.RSAPrivateKey, app_secret: str, tmp_path: Path
) -> Iterator[StartEndpoint]:
    env = {
        **os.environ,
        "PRIVATE_KEY": crypto.private_key_pem(private_key).decode(),
        "APP_SECRET": app_secret,
        "NODE_ENV": "production",  # Express's default error page then shows no stack trace
    }
    started: list[Endpoint] = []

    def start(kind: str, name: str) -> Endpoint:
        if kind == "python":
            argv, cwd = [sys.executable, f"{name}.py"], ENDPOINTS / "python"
        else:
            install_node_modules()
            argv, cwd = [shutil.which("node") or "node", f"{name}.js"], NODE
        endpoint = Endpoint(argv, cwd, env, tmp_path)
        started.append(endpoint)
        return endpoint

    yield start
    for endpoint in started:
        endpoint.stop()
