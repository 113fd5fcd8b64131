"""A throwaway ``redis-server`` for tests: free loopback port, no persistence, temp dir.

    with redis_server() as server:
        client = redis.Redis.from_url(server.url)

Raises :class:`RedisServerUnavailable` when the binary is not installed, so a fixture
can skip with that reason (``apt-get install redis-server``).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["RedisServer", "RedisServerUnavailable", "redis_server"]


class RedisServerUnavailable(RuntimeError):
    """No ``redis-server`` binary, or it did not start: install it or skip the test."""


@dataclass(frozen=True, slots=True)
class RedisServer:
    host: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _answers_ping(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server(
    *, binary: str = "redis-server", host: str = "127.0.0.1", startup_timeout: float = 10.0
) -> Iterator[RedisServer]:
    """Start a private redis-server, yield where it listens, stop it afterwards."""
    path = shutil.which(binary)
    if path is None:
        raise RedisServerUnavailable(
            f"{binary} is not installed (apt-get install redis-server); Redis tests need it"
        )
    with tempfile.TemporaryDirectory(prefix="flowharness-redis-") as workdir:
        port = _free_port(host)
        command = [
            path, "--port", str(port), "--bind", host, "--save", "", "--appendonly", "no",
            "--dir", workdir, "--protected-mode", "no",
        ]  # fmt: skip
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, binary found on PATH
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + startup_timeout
            while not _answers_ping(host, port):
                if process.poll() is not None or time.monotonic() > deadline:
                    error = process.stderr.read().decode(errors="replace") if process.stderr else ""
                    raise RedisServerUnavailable(f"redis-server did not start: {error[-300:]}")
                time.sleep(0.05)
            yield RedisServer(host, port, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr:
                process.stderr.close()
