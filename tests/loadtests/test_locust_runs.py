"""Locust for real, always in subprocesses (it monkey-patches the standard library at import).

The endpoint is the reference server, served in-process by uvicorn on a loopback port.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto
from harness.testing import run_server
from loadtests.serve_target import slowed
from loadtests.verdict import figures_from_csv
from reference_server import Settings, create_app
from tests.support.network import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "loadtests" / "locustfile.py"
TOKEN_SECRET = "load-test-token-secret"


@pytest.fixture
def endpoint_env(
    tmp_path: Path, private_key: rsa.RSAPrivateKey, public_pem: bytes, app_secret: str
) -> dict[str, str]:
    key_path = tmp_path / "public.pem"
    key_path.write_bytes(public_pem)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWHARNESS_")}
    return env | {
        "FLOWHARNESS_PUBLIC_KEY": str(key_path),
        "FLOWHARNESS_APP_SECRET": app_secret,
        "FLOWHARNESS_TOKEN_SECRET": TOKEN_SECRET,
        "FLOWHARNESS_THINK_SCALE": "0.05",
    }


@contextmanager
def reference_endpoint(
    private_key: rsa.RSAPrivateKey, app_secret: str, slow: float = 0.0
) -> Iterator[str]:
    settings = Settings(
        private_keys=[crypto.private_key_pem(private_key).decode()],
        app_secrets=[app_secret],
        flow_token_secrets=[TOKEN_SECRET],
        log_level="WARNING",
    )
    app: Any = create_app(settings)
    with run_server(slowed(app, slow) if slow else app) as url:
        yield url


def locust(
    *args: str, env: dict[str, str], timeout: float = 45
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--only-summary", *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def verdict(prefix: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "loadtests.verdict", "--csv", str(prefix)]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
    )


def headless(url: str, prefix: Path, duration: str) -> list[str]:
    return ["--host", url, "--headless", "-u", "5", "-r", "5", "-t", duration, "--csv", str(prefix)]


def test_a_healthy_endpoint_passes_the_budget(
    tmp_path: Path, private_key: rsa.RSAPrivateKey, app_secret: str, endpoint_env: dict[str, str]
) -> None:
    prefix = tmp_path / "healthy"
    with reference_endpoint(private_key, app_secret) as url:
        run = locust(*headless(url, prefix, "5s"), env=endpoint_env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "loadtests: PASS:" in run.stderr
    checked = verdict(prefix)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.startswith("PASS: ")
    # the lead journey ran end to end, not only pings
    stats = Path(f"{prefix}_stats.csv").read_text(encoding="utf-8")
    assert "data_exchange:CONFIRM" in stats
    assert figures_from_csv(prefix).failures == 0


def test_an_endpoint_answering_in_4_s_fails_the_budget(
    tmp_path: Path, private_key: rsa.RSAPrivateKey, app_secret: str, endpoint_env: dict[str, str]
) -> None:
    prefix = tmp_path / "slow"
    with reference_endpoint(private_key, app_secret, slow=4.0) as url:
        run = locust(*headless(url, prefix, "6s"), "--stop-timeout", "5", env=endpoint_env)
    assert run.returncode == 1, run.stderr[-3000:]
    assert "loadtests: FAIL:" in run.stderr
    assert "over the 3 s budget" in run.stderr
    checked = verdict(prefix)
    assert checked.returncode == 1, checked.stdout
    assert checked.stdout.startswith("FAIL: ")
    figures = figures_from_csv(prefix)
    assert figures.requests > 0
    assert figures.failures == figures.requests  # each answer took 4 s: all over budget
    assert figures.over_budget >= 1
    # at least the 4 s delay (locust keeps 100 ms resolution above 1 s); a busy machine adds
    assert 3.9 <= figures.p90_seconds <= 9.5


def test_missing_settings_stop_locust_with_the_fix(endpoint_env: dict[str, str]) -> None:
    env = {k: v for k, v in endpoint_env.items() if k != "FLOWHARNESS_APP_SECRET"}
    run = locust("--host", "http://127.0.0.1:9", "--headless", "-t", "1s", env=env, timeout=30)
    assert run.returncode != 0
    assert "set FLOWHARNESS_APP_SECRET" in run.stderr


def test_a_master_with_two_workers_judges_the_whole_run(
    tmp_path: Path, private_key: rsa.RSAPrivateKey, app_secret: str, endpoint_env: dict[str, str]
) -> None:
    prefix = tmp_path / "distributed"
    port = str(free_port())
    base = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE)]
    master_args = [
        "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
        "--expect-workers", "2", "--expect-workers-max-wait", "20", "--only-summary",
    ]  # fmt: skip
    worker_args = ["--worker", "--master-host", "127.0.0.1", "--master-port", port]
    # the master holds no keys: it only needs the budget
    master_env = {k: v for k, v in endpoint_env.items() if k != "FLOWHARNESS_APP_SECRET"}
    logs = [tmp_path / name for name in ("master.log", "worker-1.log", "worker-2.log")]
    commands = [[*base, *master_args], [*base, *worker_args], [*base, *worker_args]]
    environments = [master_env, endpoint_env, endpoint_env]
    with reference_endpoint(private_key, app_secret) as url:
        commands[0] += headless(url, prefix, "5s")
        processes: list[subprocess.Popen[bytes]] = []
        try:
            for command, env, log in zip(commands, environments, logs, strict=True):
                with log.open("wb") as out:  # the child keeps its own copy of the descriptor
                    processes.append(
                        subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
                    )
            master, *workers = processes
            master.wait(timeout=60)
            worker_codes = [worker.wait(timeout=20) for worker in workers]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=10)
    master_log = logs[0].read_text(encoding="utf-8")
    assert master.returncode == 0, master_log[-3000:]
    assert "2 workers connected" in master_log
    assert "loadtests: PASS:" in master_log
    assert worker_codes == [0, 0]
    checked = verdict(prefix)
    assert checked.returncode == 0, checked.stdout
    assert figures_from_csv(prefix).requests > 0
