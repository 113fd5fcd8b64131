"""Real processes for the as-deployed tests: redis-server with AOF, moto's SQS server,
and child processes stopped by PID whatever happens to the test.

``RedisProcess`` keeps its port and data directory across :meth:`RedisProcess.kill` and
:meth:`RedisProcess.start`, so a restarted server replays its AOF like a deployed one.
It runs ``appendfsync always``, as the README asks for: with ``everysec`` a Redis busy
with a background fsync delays writing the AOF for up to two seconds while it already
answers, and a SIGKILL then loses writes it acknowledged (seen here under load).
``Child`` wraps ``subprocess.Popen``: output goes to a log file the failure message
quotes, and :meth:`Child.stop` ends the process by its PID (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = [
    "AWS_ENV",
    "Child",
    "MotoProcess",
    "RedisProcess",
    "free_port",
    "moto_process",
    "redis_process",
    "wait_until",
]
NO_RETRY = Retry(NoBackoff(), 0)  # polling: one try each time (redis-py retries by default)


def free_port(host: str = "127.0.0.1") -> int:
    """A free port below the ephemeral range, picked at random: port 0 hands out the port
    another test just released, and a server restarted there would find it taken."""
    for _ in range(50):
        port = random.randint(20_000, 32_000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``condition`` until it is truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def _answering_pid(host: str, port: int) -> int | None:
    """The PID of the redis-server answering there, or None."""
    client = redis.Redis(
        host=host, port=port, socket_connect_timeout=0.2, socket_timeout=0.5, retry=NO_RETRY
    )
    try:
        return int(client.info("server")["process_id"])
    except redis.RedisError:
        return None
    finally:
        client.close()


@dataclass
class Child:
    """A child process whose output goes to ``log``; always stopped by PID."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> Child:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=self.cwd
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self, last: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-last:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL by PID, as a crash or the OOM killer would."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM by PID, SIGKILL after ``timeout``; the exit code."""
        if self.process is None:
            return None
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        return self.process.returncode


@dataclass
class RedisProcess:
    """A redis-server on a fixed loopback port and data directory, AOF (fsync always) on."""

    workdir: Path
    port: int
    appendonly: bool = True
    host: str = "127.0.0.1"
    child: Child | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def command(self, binary: str) -> list[str]:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
            if self.appendonly
            else ["--appendonly", "no", "--save", ""]
        )
        return [
            binary, "--port", str(self.port), "--bind", self.host, "--dir", str(self.workdir),
            "--protected-mode", "no", *persistence,
        ]  # fmt: skip

    def start(self, timeout: float = 15.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.child = Child(
            "redis-server", self.command(binary), dict(os.environ), self.workdir / "redis.log"
        ).start()
        deadline = time.monotonic() + timeout
        # ours, not another test's server that took the port while this one was down
        while _answering_pid(self.host, self.port) != self.child.pid:
            if not self.child.alive() or time.monotonic() > deadline:
                output = self.child.output()
                self.child.stop()
                raise RuntimeError(f"redis-server did not start: {output[-500:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.child is not None:
            self.child.kill()

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()


@contextlib.contextmanager
def redis_process(workdir: Path, *, appendonly: bool = True) -> Iterator[RedisProcess]:
    """A started :class:`RedisProcess` in ``workdir`` (created), stopped by PID after."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = RedisProcess(workdir, free_port(), appendonly=appendonly)
    try:
        server.start()
        yield server
    finally:
        server.stop()


AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    # never the machine's own AWS set-up
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}
"""What a process talking to moto needs: any credentials, one region, no AWS files."""


@dataclass
class MotoProcess:
    """moto's real server (``python -m moto.server``) on a loopback port: SQS over HTTP."""

    workdir: Path
    port: int
    host: str = "127.0.0.1"
    child: Child | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        command = [sys.executable, "-m", "moto.server", "-H", self.host, "-p", str(self.port)]
        env = dict(os.environ) | AWS_ENV
        self.child = Child("moto_server", command, env, self.workdir / "moto.log").start()

        def answering() -> bool:
            assert self.child is not None
            if not self.child.alive():
                raise RuntimeError(f"moto_server did not start: {self.child.output()[-500:]}")
            try:
                return httpx.get(f"{self.url}/moto-api/data.json", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(answering, timeout, "moto_server to answer")

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()


@contextlib.contextmanager
def moto_process(workdir: Path) -> Iterator[MotoProcess]:
    """A started :class:`MotoProcess` in ``workdir`` (created), stopped by PID after."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = MotoProcess(workdir, free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
