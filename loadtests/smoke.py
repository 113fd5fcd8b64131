"""``make load-smoke``: lead journeys against the reference endpoint on loopback, then a verdict.

    python -m loadtests.smoke [--duration 30s] [--users 10] [--slow 4] [--keep DIR]

Starts ``loadtests.serve_target`` (fresh keys and secrets, a free port), runs locust
headless with ``--csv``, stops the server, and re-checks the CSV with
``loadtests.verdict``. Exits non-zero when locust's own budget check or the CSV
verdict fails. ``--slow 4`` serves an endpoint that answers every request 4 s late:
the run must FAIL. No locust import here: locust runs as a subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from loadtests import verdict

__all__ = ["ServedTarget", "main", "run_locust", "serve_target"]

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
    workdir: Path, *, extra_args: Sequence[str] = (), environ: Mapping[str, str] | None = None
) -> Iterator[ServedTarget]:
    """Run ``python -m loadtests.serve_target`` until the block exits; wait until it answers."""
    env = dict(os.environ if environ is None else environ)
    env.setdefault("FLOWHARNESS_APP_SECRET", secrets.token_hex(16))
    env.setdefault("FLOWHARNESS_TOKEN_SECRET", secrets.token_hex(16))
    workdir.mkdir(parents=True, exist_ok=True)
    ready = workdir / "target.json"
    log = (workdir / "server.log").open("wb")
    command = [sys.executable, "-m", "loadtests.serve_target", "--workdir", str(workdir / "keys")]
    command += ["--ready-file", str(ready), *extra_args]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
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


def run_locust(
    target: ServedTarget,
    csv_prefix: Path,
    *,
    users: int,
    spawn_rate: float,
    duration: str,
    extra_args: Sequence[str] = (),
    timeout: float = 120.0,
) -> int:
    """Run locust headless against ``target``; its exit code (budget enforced by the hooks)."""
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", target.url,
        "--headless", "-u", str(users), "-r", str(spawn_rate), "-t", duration,
        "--csv", str(csv_prefix), "--only-summary", "--stop-timeout", "5", *extra_args,
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=target.environ, timeout=timeout).returncode


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loadtests.smoke", description=__doc__)
    parser.add_argument("--duration", default="30s", help="locust --run-time (30s)")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--spawn-rate", type=float, default=5.0)
    parser.add_argument("--think-scale", default="0.1", help="think times x this (0.1)")
    parser.add_argument("--slow", type=float, default=0.0, help="endpoint answers S s late")
    parser.add_argument("--keep", type=Path, help="keep the CSV and logs in this directory")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="load-smoke-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        prefix = workdir / "smoke"
        target_args = ["--slow", str(args.slow)] if args.slow else []
        with serve_target(workdir, extra_args=target_args) as target:
            print(
                f"load-smoke: {args.users} users for {args.duration} against {target.url}"
                + (f" (answers {args.slow:g} s late)" if args.slow else ""),
                flush=True,
            )
            locust_code = run_locust(
                target,
                prefix,
                users=args.users,
                spawn_rate=args.spawn_rate,
                duration=args.duration,
                extra_args=["--think-scale", args.think_scale],
            )
        print("load-smoke: CSV verdict:", flush=True)
        verdict_code = verdict.main(["--csv", str(prefix)])
    if locust_code != verdict_code:
        print(f"load-smoke: locust exited {locust_code} but the CSV verdict is {verdict_code}")
    code = max(locust_code, verdict_code)
    print(f"load-smoke: {'PASS' if code == 0 else 'FAIL'} (exit {code})")
    return code


if __name__ == "__main__":
    sys.exit(main())
