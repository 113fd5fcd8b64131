"""Requests per second the reference endpoint answers, against the RSA decrypt ceiling.

Run: .venv/bin/python benchmarks/reference_endpoint.py [--seconds 5] [--concurrency 16]

The endpoint runs in a subprocess (``flowharness serve``: one uvicorn process, loopback,
free port, embedded fakeredis, no worker, so no CRM call). ``AsyncFlowClient`` drives it
at a fixed concurrency, first with pings, then with lead submissions (the CONFIRM
``data_exchange`` that queues a lead, a fresh flow token each). Every request costs the
endpoint one RSA-2048 private-key decrypt; that ceiling is measured in this run, on one
core, so ``efficiency = rps / ceiling``. The client shares the machine: its CPU seconds
per request are printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from statistics import quantiles

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from harness import crypto
from harness.client import AsyncFlowClient, FlowResult, Outcome
from reference_server import FlowTokens

APP_SECRET = "benchmark-app-secret"
TOKEN_SECRET = "benchmark-token-secret"
OAEP = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None
)
FORM = {"first_name": "Ana", "last_name": "Lima", "email": "ana@example.com", "company": "Acme",
        "phone": "", "interest": "demo", "consent": True, "confirmed": True}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rsa_ceiling(private_key, seconds: float) -> float:
    """RSA-OAEP-SHA256 private-key decrypts per second, one thread."""
    wrapped = private_key.public_key().encrypt(os.urandom(16), OAEP)
    count, deadline = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        private_key.decrypt(wrapped, OAEP)
        count += 1
    return count / (time.perf_counter() - started)


def start_endpoint(private_key, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FLOWHARNESS_PRIVATE_KEYS": json.dumps([crypto.private_key_pem(private_key).decode()]),
        "FLOWHARNESS_APP_SECRETS": json.dumps([APP_SECRET]),
        "FLOWHARNESS_FLOW_TOKEN_SECRETS": json.dumps([TOKEN_SECRET]),
        "FLOWHARNESS_LOG_LEVEL": "WARNING",
    }
    for name in ("FLOWHARNESS_REDIS_URL", "REDIS_URL", "FLOWHARNESS_RUN_WORKER"):
        env.pop(name, None)
    command = [str(Path(sys.executable).parent / "flowharness"), "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            error = process.stderr.read().decode() if process.stderr else ""
            raise SystemExit(f"the endpoint did not start: {error[-500:]}")
        time.sleep(0.1)


async def drive(
    send: Callable[[int], Awaitable[FlowResult]], seconds: float, concurrency: int
) -> tuple[list[float], int, float, float]:
    """``(latencies, failures, wall seconds, client CPU seconds)`` over ``seconds``."""
    latencies: list[float] = []
    failures = 0
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds

    async def user() -> None:
        nonlocal failures
        while time.perf_counter() < deadline:
            result = await send(next(counter))
            if result.outcome is Outcome.OK:
                latencies.append(result.elapsed)
            else:
                failures += 1

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(user() for _ in range(concurrency)))
    return latencies, failures, time.perf_counter() - started, time.process_time() - cpu


def report(name: str, run: tuple[list[float], int, float, float], ceiling: float) -> None:
    latencies, failures, wall, cpu = run
    done = len(latencies) + failures
    rps = len(latencies) / wall
    p50, p95, p99 = (quantiles(latencies, n=100)[i] * 1000 for i in (49, 94, 98))
    print(
        f"{name:<16} {rps:8.1f} rps  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms  "
        f"efficiency {rps / ceiling:5.1%}  client CPU {cpu / max(done, 1) * 1000:5.2f} ms/req  "
        f"failures {failures}"
    )


async def benchmark(seconds: float, concurrency: int, public_pem: bytes, url: str) -> dict:
    tokens = FlowTokens([TOKEN_SECRET])
    phones = [f"+3361234{n:04d}" for n in range(5000)]
    async with AsyncFlowClient(
        url, public_key=public_pem, app_secret=APP_SECRET, journal_size=1
    ) as client:
        await client.ping()  # warm up the connection pool

        async def ping(_: int) -> FlowResult:
            return await client.ping()

        async def submit(n: int) -> FlowResult:
            token = tokens.issue(phones[n % len(phones)], "1234567890")
            return await client.data_exchange("CONFIRM", FORM, token)

        return {
            "ping": await drive(ping, seconds, concurrency),
            "lead submission": await drive(submit, seconds, concurrency),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement (default 5)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    args = parser.parse_args()
    if args.seconds <= 0 or args.concurrency < 1:
        parser.error("--seconds must be positive and --concurrency at least 1")
    private_key = crypto.generate_private_key(2048)
    public_pem = crypto.public_key_pem(private_key)
    ceiling = rsa_ceiling(private_key, min(args.seconds, 3.0))
    print(f"cores: {os.cpu_count()}, concurrency {args.concurrency}, {args.seconds:g} s each")
    print(f"RSA-2048 OAEP private-key decrypt ceiling: {ceiling:.0f} ops/s on one core")
    port = free_port()
    process = start_endpoint(private_key, port)
    try:
        runs = asyncio.run(
            benchmark(args.seconds, args.concurrency, public_pem, f"http://127.0.0.1:{port}/")
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()
    for name, run in runs.items():
        report(name, run, ceiling)


if __name__ == "__main__":
    main()
