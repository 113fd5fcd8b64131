"""``flowharness worker``: the reference endpoint's CRM worker in a process of its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from harness.cli._server_settings import env_file_option, load_or_explain


@click.command()
@env_file_option
@click.option("--consumer", help="Name in the queue's consumer group [default: host-pid].")
@click.option("--log-level", default=None, help="Overrides FLOWHARNESS_LOG_LEVEL.")
def worker(env_file: Path | None, consumer: str | None, log_level: str | None) -> None:
    """Move queued leads into the CRM and tell staff, until Ctrl-C or SIGTERM.

    Shares the endpoint's Redis (FLOWHARNESS_REDIS_URL; with FLOWHARNESS_QUEUE=sqs, its SQS
    queues too): run as many as you like, on this machine or others; one that dies leaves
    its leads to the others. Same as `python -m reference_server worker`.
    """
    from reference_server.__main__ import run_worker
    from reference_server._logging import configure_logging
    from reference_server.exceptions import ReferenceServerError

    overrides: dict[str, object] = {"log_level": log_level} if log_level else {}
    settings = load_or_explain(env_file, "worker-process", **overrides)
    configure_logging(settings.log_level, json_lines=settings.log_json)
    try:
        asyncio.run(run_worker(settings, consumer))
    except ReferenceServerError as exc:
        raise click.ClickException(str(exc)) from exc
