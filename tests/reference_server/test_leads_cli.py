"""``flowharness leads list|replay`` against a real redis-server and against SQS (moto's
server), personal data masked."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner

from harness.cli import main
from reference_server import held

from ._queue_backends import QueueBackend, backend_env

PHONE, EMAIL = "+33612345678", "ana.lima@example.com"
T = TypeVar("T")


class CliBackend:
    """A backend the CLI reaches through its environment; the test reads it in between."""

    def __init__(self, name: str, overrides: dict[str, Any], make_settings: Any):
        self.name = name
        self.overrides = overrides
        self.make_settings = make_settings

    @property
    def env(self) -> dict[str, str | None]:
        env: dict[str, str | None] = {"REDIS_URL": None, "FLOWHARNESS_REDIS_URL": None}
        return env | backend_env(self.overrides)

    def run(self, work: Callable[[QueueBackend], Awaitable[T]]) -> T:
        async def main() -> T:
            backend = QueueBackend.open(self.name, self.overrides, self.make_settings)
            try:
                return await work(backend)
            finally:
                await backend.close()

        return asyncio.run(main())

    def lead_ids(self, source: str) -> list[str]:
        async def read(backend: QueueBackend) -> list[str]:
            if source == "incoming":
                return [f["lead_id"] for f in await backend.incoming()]
            return [e.lead_id for e in await held(backend.queue, source)]  # type: ignore[arg-type]

        return self.run(read)


@pytest.fixture(
    params=[
        pytest.param("redis-server", marks=pytest.mark.redis_server),
        pytest.param("sqs", marks=pytest.mark.sqs),
    ]
)
def cli_backend(request: pytest.FixtureRequest, make_settings) -> CliBackend:
    if request.param == "sqs":
        overrides = {"redis_url": None, **request.getfixturevalue("sqs_settings")}
    else:
        overrides = {"redis_url": request.getfixturevalue("redis_url_real")}
    return CliBackend(request.param, overrides, make_settings)


@pytest.fixture
def dead_ids(cli_backend) -> list[str]:
    """Two dead-lettered leads whose error text carries a phone number and an email."""

    async def seed(backend: QueueBackend) -> list[str]:
        ids = []
        for n in (1, 2):
            lead = {"lead_id": f"L{n}", "phone": PHONE, "email": EMAIL}
            ids.append(
                await backend.queue.dead_letter(
                    f"L{n}",
                    json.dumps(lead),
                    reason="retry_budget_exhausted",
                    error=f"503 for {PHONE} / {EMAIL}",
                    attempts=5,
                )
            )
        return ids

    return cli_backend.run(seed)


def invoke(env, *args: str, input: str | None = None):
    return CliRunner().invoke(main, ["leads", *args], env=env, input=input)


def test_list_shows_held_leads_masked(cli_backend, dead_ids):
    result = invoke(cli_backend.env, "list", "dead")
    assert result.exit_code == 0, result.output
    for entry_id, lead_id in zip(dead_ids, ("L1", "L2"), strict=True):
        assert entry_id in result.output
        assert lead_id in result.output
    assert "retry_budget_exhausted" in result.output
    assert "***78" in result.output
    assert PHONE not in result.output
    assert "612345678" not in result.output
    assert EMAIL not in result.output


def test_list_json_is_one_masked_object_a_line(cli_backend, dead_ids):
    result = invoke(cli_backend.env, "list", "dead", "--json", "--limit", "1")
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.output.splitlines()]
    assert (row["id"], row["lead_id"], row["attempts"], row["replays"]) == (dead_ids[0], "L1", 5, 0)
    assert row["reason"] == "retry_budget_exhausted"
    assert row["at"]
    assert "a***@***" in row["error"]
    assert PHONE not in row["error"]
    assert EMAIL not in row["error"]


def test_replay_asks_first_and_moves_each_entry_once(cli_backend, dead_ids):
    env = cli_backend.env
    refused = invoke(env, "replay", "dead", "--all", input="n\n")
    assert refused.exit_code == 1
    assert cli_backend.lead_ids("dead") == ["L1", "L2"]

    done = invoke(env, "replay", "dead", "--id", dead_ids[0], input="y\n")
    assert done.exit_code == 0, done.output
    assert "1 replayed" in done.output
    again = invoke(env, "replay", "dead", "--id", dead_ids[0], "--yes")
    assert again.exit_code == 1
    assert "already replayed" in again.output

    async def incoming(backend: QueueBackend) -> list[dict[str, str]]:
        return await backend.incoming()

    (back,) = cli_backend.run(incoming)
    assert (back["lead_id"], back["replays"]) == ("L1", "1")

    rest = invoke(env, "replay", "dead", "--all", "--yes")
    assert rest.exit_code == 0, rest.output
    assert cli_backend.lead_ids("dead") == []
    assert sorted(cli_backend.lead_ids("incoming")) == ["L1", "L2"]
    assert "nothing held" in invoke(env, "list", "dead").output


def test_replay_needs_ids_or_all(cli_backend):
    result = invoke(cli_backend.env, "replay", "parked")
    assert result.exit_code == 2
    assert "--id" in result.output


def test_without_redis_url_it_refuses():
    result = invoke({"FLOWHARNESS_REDIS_URL": None, "REDIS_URL": None}, "list", "parked")
    assert result.exit_code == 1
    assert "FLOWHARNESS_REDIS_URL is not set" in result.output


def test_a_bad_entry_id_is_refused(cli_backend):
    result = invoke(cli_backend.env, "replay", "dead", "--id", "yesterday", "--yes")
    assert result.exit_code == 1
    assert "not a stream entry id" in result.output or "not an SQS message id" in result.output


def test_replay_by_lead_reference_as_the_alert_says(cli_backend, dead_ids):
    moved = invoke(cli_backend.env, "replay", "dead", "--lead", "L2", "--yes")
    assert moved.exit_code == 0, moved.output
    assert f"replayed {dead_ids[1]}" in moved.output
    assert cli_backend.lead_ids("incoming") == ["L2"]
    assert cli_backend.lead_ids("dead") == ["L1"]
    again = invoke(cli_backend.env, "replay", "dead", "--lead", "L2", "--yes")
    assert again.exit_code == 1
    assert "no entry of lead L2" in again.output


@pytest.mark.sqs
def test_an_unreachable_sqs_is_a_clear_error(sqs_settings):
    env = {"REDIS_URL": None, "FLOWHARNESS_REDIS_URL": None, "FLOWHARNESS_QUEUE": "sqs",
           "FLOWHARNESS_SQS_REGION": "us-east-1", "FLOWHARNESS_SQS_TIMEOUT_SECONDS": "0.5",
           "FLOWHARNESS_SQS_ENDPOINT_URL": "http://127.0.0.1:9"}  # fmt: skip
    result = invoke(env, "list", "dead")
    assert result.exit_code == 1
    assert "SQS" in result.output
    assert "Traceback" not in result.output
