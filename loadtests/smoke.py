"""The reference endpoint served for a load test, in its own process, until a block exits.

:func:`serve_target` runs ``python -m loadtests.serve_target`` (fresh keys and secrets,
a free loopback port) and waits until it answers; ``flowharness load smoke`` (and
``python -m loadtests.smoke``, the same command) loads it. No locust import here.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = ["ServedTarget", "main", "serve_target"]

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
_START_TIMEOUT = 30.0


class ServedTarget:
    """A running ``serve_target``: its URL and the variables a load generator needs."""

    def __init__(self, url: str, environ: dict[str, str]):
        self.url = url
        self.environ = environ


@contextmanager
def serve_target(
    workdir: Path,
    *,
    extra_args: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    cpu: int | None = None,
) -> Iterator[ServedTarget]:
    """Run ``python -m loadtests.serve_target`` until the block exits; wait until it answers.

    ``cpu`` pins it to that core (benchmarks keep it apart from the load generator)."""
    env = dict(os.environ if environ is None else environ)
    env.setdefault("FLOWHARNESS_APP_SECRET", secrets.token_hex(16))
    env.setdefault("FLOWHARNESS_TOKEN_SECRET", secrets.token_hex(16))
    workdir.mkdir(parents=True, exist_ok=True)
    ready = workdir / "target.json"
    log = (workdir / "server.log").open("wb")
    command = [sys.executable, "-m", "loadtests.serve_target", "--workdir", str(workdir / "keys")]
    command += ["--ready-file", str(ready), *extra_args]
    server = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=None if cpu is None else (lambda: os.sched_setaffinity(0, {cpu})),
    )
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        url = ""
        while time.monotonic() < deadline and server.poll() is None:
            if ready.exists() and not url:
                url = json.loads(ready.read_text())["url"]
            if url and _answers(url):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(
                f"the target did not start in {_START_TIMEOUT:.0f} s; see {workdir / 'server.log'}"
            )
        info = json.loads(ready.read_text())
        env["FLOWHARNESS_PUBLIC_KEY"] = info["public_key"]
        yield ServedTarget(url, env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1.0).status_code < 500
    except httpx.HTTPError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m loadtests.smoke ARGS`` is ``flowharness load smoke ARGS``."""
    from loadtests.cli import smoke

    try:
        smoke.main(args=list(argv) if argv is not None else None, prog_name="load smoke")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
