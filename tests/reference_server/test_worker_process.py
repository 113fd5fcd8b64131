"""The worker run as its own process, the way the README starts it: settings from ./.env.

`flowharness serve` reads ./.env; so must `python -m reference_server worker` and
`flowharness worker`, or a deployment that keeps its settings there starts an endpoint
whose leads nobody writes to the CRM.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from click.testing import CliRunner

from harness.cli import main
from mocks.crm.hubspot import HubSpotAdmin
from reference_server import LeadQueue
from tests.reference_server._processes import Child, wait_until

LEAD = {"lead_id": "L-worker-process", "phone": "+33612349876", "first_name": "Ana",
        "last_name": "Lima", "email": "ana.lima@example.com", "company": "Acme",
        "interest": "demo", "campaign": "spring", "source": "ads"}  # fmt: skip


def _clean_environment() -> dict[str, str]:
    """The test's environment without a FLOWHARNESS_* or REDIS_URL of its own."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FLOWHARNESS_") and key != "REDIS_URL"
    }


def test_python_m_worker_names_every_missing_setting_of_its_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FLOWHARNESS_CRM=hubspot\nFLOWHARNESS_LOG_LEVEL=INFO\n")
    done = subprocess.run(
        [sys.executable, "-m", "reference_server", "worker"],
        cwd=tmp_path,
        env=_clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "FLOWHARNESS_REDIS_URL" in done.stderr
    assert "FLOWHARNESS_HUBSPOT_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr


def test_flowharness_worker_names_every_missing_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("FLOWHARNESS_") or key == "REDIS_URL":
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["worker"])
    assert result.exit_code == 1
    assert "2 settings to fix first" in result.output
    assert "FLOWHARNESS_REDIS_URL" in result.output
    assert "FLOWHARNESS_HUBSPOT_TOKEN" in result.output


@pytest.mark.redis_server
@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "reference_server", "worker"],
        [str(Path(sys.executable).parent / "flowharness"), "worker"],
    ],
    ids=["python-m", "flowharness"],
)
def test_a_worker_process_configured_by_its_env_file_writes_a_queued_lead(
    tmp_path: Path, redis_url_real: str, mock_hubspot, command: list[str]
) -> None:
    settings = {
        "FLOWHARNESS_REDIS_URL": redis_url_real,
        "FLOWHARNESS_HUBSPOT_BASE_URL": mock_hubspot.url,
        "FLOWHARNESS_HUBSPOT_TOKEN": mock_hubspot.credentials["access_token"],
        "FLOWHARNESS_WORKER_BLOCK_MS": "200",
    }
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))

    async def enqueue() -> None:
        redis = aioredis.Redis.from_url(redis_url_real, decode_responses=True)
        try:
            await LeadQueue(redis).enqueue(LEAD)
        finally:
            await redis.aclose()

    asyncio.run(enqueue())
    worker = Child("worker", command, _clean_environment(), tmp_path / "worker.log", tmp_path)
    worker.start()
    try:
        admin = HubSpotAdmin(mock_hubspot.admin)
        wait_until(
            lambda: admin.contact_by("phone", LEAD["phone"]) or not worker.alive(),
            60,
            "the lead in the HubSpot mock",
        )
        assert worker.alive(), worker.output()
        contact = admin.contact_by("phone", LEAD["phone"])
        assert contact is not None
        assert contact.properties["email"] == LEAD["email"]
    finally:
        code = worker.stop()
    assert code == 0, worker.output()  # SIGTERM: finishes its round and exits cleanly
    logged = [json.loads(line) for line in worker.output().splitlines() if line.startswith("{")]
    assert any(entry.get("message") == "lead written to the CRM" for entry in logged)
