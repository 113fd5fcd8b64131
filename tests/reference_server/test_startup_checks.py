"""Start-up checks: no endpoint or worker on a Redis that would lose acknowledged leads
on a restart (neither AOF nor RDB), unless the operator opts in; a warning when the
worker cannot reach its CRM."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import redis

from harness import crypto
from reference_server import create_app
from reference_server._redis import connect
from reference_server.exceptions import ConfigurationError
from reference_server.worker import Worker

from ._doubles import ScriptedCrm, captured_logs
from .conftest import TOKEN_SECRET

pytestmark = [pytest.mark.anyio, pytest.mark.redis_server]
OPT_IN = "FLOWHARNESS_REDIS_ALLOW_NO_PERSISTENCE"


async def run_worker_briefly(settings, **kwargs) -> None:
    """Start a worker, let it pass (or fail) its start-up checks, stop it."""
    redis = connect(settings)
    async with httpx.AsyncClient() as http:
        worker = Worker(settings, redis, http=http, **kwargs)
        task = asyncio.create_task(worker.run_forever())
        started = asyncio.create_task(worker.started.wait())
        try:
            await asyncio.wait([task, started], timeout=30, return_when=asyncio.FIRST_COMPLETED)
            assert task.done() or started.done(), "the worker neither started nor failed"
            worker.stop()
            await asyncio.wait_for(task, 30)
        finally:
            started.cancel()
            await redis.aclose()


async def test_the_worker_refuses_a_redis_without_persistence(make_settings, volatile_redis):
    settings = make_settings(redis_url=volatile_redis.url)
    with pytest.raises(ConfigurationError, match=OPT_IN):
        await run_worker_briefly(settings, crm=ScriptedCrm())


async def test_the_endpoint_refuses_a_redis_without_persistence(make_settings, volatile_redis):
    app = create_app(make_settings(redis_url=volatile_redis.url))
    with pytest.raises(ConfigurationError, match=OPT_IN):
        async with app.router.lifespan_context(app):
            pass


async def test_an_operator_may_opt_in_to_a_volatile_redis(make_settings, volatile_redis):
    settings = make_settings(redis_url=volatile_redis.url, redis_allow_no_persistence=True)
    with captured_logs(logging.WARNING) as out:
        await run_worker_briefly(settings, crm=ScriptedCrm())
    assert "no persistence" in out.getvalue()


@pytest.fixture
def clean_redis(real_redis):
    with redis.Redis.from_url(real_redis.url) as client:
        client.flushall()
    return real_redis


async def test_aof_is_persistence_enough(make_settings, clean_redis):
    app = create_app(make_settings(redis_url=clean_redis.url))
    async with app.router.lifespan_context(app):
        pass


async def test_a_worker_whose_crm_is_unreachable_warns_and_keeps_running(make_settings, real_redis):
    # nothing listens on port 9 of loopback: the CRM cannot be reached
    settings = make_settings(redis_url=real_redis.url, hubspot_base_url="http://127.0.0.1:9")
    with captured_logs(logging.WARNING) as out:
        await run_worker_briefly(settings)
    warnings = [json.loads(line) for line in out.getvalue().splitlines()]
    assert any("CRM" in w["message"] and "cannot be reached" in w["message"] for w in warnings)


def test_flowharness_serve_refuses_a_volatile_redis_naming_the_setting(
    private_key, app_secret, volatile_redis, tmp_path
):
    env = {
        **os.environ,
        "FLOWHARNESS_PRIVATE_KEYS": json.dumps([crypto.private_key_pem(private_key).decode()]),
        "FLOWHARNESS_APP_SECRETS": json.dumps([app_secret]),
        "FLOWHARNESS_FLOW_TOKEN_SECRETS": json.dumps([TOKEN_SECRET]),
        "FLOWHARNESS_REDIS_URL": volatile_redis.url,
        "FLOWHARNESS_SPOOL_PATH": str(tmp_path / "spool.sqlite3"),
    }
    env.pop(OPT_IN, None)
    command = [str(Path(sys.executable).parent / "flowharness"), "serve", "--port", "0"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("flowharness serve started on a Redis without persistence")
    text = err.decode()
    assert process.returncode != 0
    assert OPT_IN in text
    assert "Traceback" not in text


def test_the_worker_process_refuses_a_volatile_redis_naming_the_setting(volatile_redis):
    env = {
        **os.environ,
        "FLOWHARNESS_REDIS_URL": volatile_redis.url,
        "FLOWHARNESS_HUBSPOT_TOKEN": "hs-token",
    }
    env.pop(OPT_IN, None)
    command = [sys.executable, "-m", "reference_server", "worker"]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("the worker ran on a Redis without persistence")
    assert done.returncode == 2
    assert OPT_IN in done.stderr
    assert "Traceback" not in done.stderr
