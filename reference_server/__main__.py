"""``python -m reference_server worker`` (or ``flowharness worker``): run the CRM worker alone,
configured from the environment and ``./.env`` (or ``--env-file``), as ``flowharness serve`` is.

A separate worker process shares the endpoint's Redis (``FLOWHARNESS_REDIS_URL``); several
may run at once, on any number of machines (one consumer group), and one that dies leaves
its entries to the others (``XAUTOCLAIM``; on SQS, ``FLOWHARNESS_QUEUE=sqs``, the
visibility timeout). It refuses a Redis without persistence and missing SQS queues it
may not create (exit status 2, naming the setting) and warns when the CRM cannot be
reached.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from reference_server._configuration import WORKER_PROCESS, load_settings
from reference_server._logging import configure_logging
from reference_server._redis import connect
from reference_server._settings import Settings
from reference_server.exceptions import ConfigurationError, ReferenceServerError


async def run_worker(settings: Settings, consumer: str | None = None) -> None:
    """Run until SIGTERM or SIGINT, then finish the current batch and return."""
    from reference_server.worker import Worker

    if not settings.redis_url:
        raise ConfigurationError(
            "a worker process needs FLOWHARNESS_REDIS_URL: the embedded fakeredis "
            "is private to one process"
        )
    redis = connect(settings, blocking_ms=settings.worker_block_ms)
    worker = Worker(settings, redis, consumer=consumer)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.stop)
    try:
        await worker.run_forever()
    finally:
        await redis.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reference_server",
        description="Reference endpoint processes; settings come from FLOWHARNESS_* variables.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="move queued leads into the CRM")
    worker.add_argument("--consumer", help="consumer name in the Redis group (default: host-pid)")
    worker.add_argument(
        "--env-file",
        type=Path,
        help="read settings from this file (default: ./.env when it exists); "
        "environment variables win over it",
    )
    args = parser.parse_args(argv)
    if args.env_file is not None and not args.env_file.is_file():
        print(f"error: --env-file {args.env_file}: no such file", file=sys.stderr)
        return 2
    try:
        settings = load_settings(args.env_file, needs=WORKER_PROCESS)
        configure_logging(settings.log_level, json_lines=settings.log_json)
        asyncio.run(run_worker(settings, args.consumer))
    except (ReferenceServerError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
