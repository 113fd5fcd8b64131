"""``flowharness serve``: run the reference lead-capture endpoint (and its worker) with uvicorn."""

from __future__ import annotations

import os

import click

from harness.cli._options import listen_options


@click.command()
@listen_options
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="uvicorn processes; more than one needs FLOWHARNESS_REDIS_URL (shared queue).",
)
@click.option(
    "--with-worker/--without-worker",
    default=False,
    show_default=True,
    help="Also run the CRM worker in each process's event loop.",
)
@click.option("--log-level", default=None, help="Overrides FLOWHARNESS_LOG_LEVEL.")
def serve(host: str, port: int, workers: int, with_worker: bool, log_level: str | None) -> None:
    """Serve the endpoint at http://HOST:PORT/ (health at /healthz, metrics at /metrics).

    Configuration comes from FLOWHARNESS_* environment variables (see .env.example).
    """
    import uvicorn

    from reference_server import Settings, check_start, configure_logging, create_app
    from reference_server.exceptions import ReferenceServerError

    try:
        settings = Settings()
        if with_worker:
            settings = settings.model_copy(update={"run_worker": True})
        if log_level:
            settings = settings.model_copy(update={"log_level": log_level})
        if workers > 1 and not settings.redis_url:
            raise click.ClickException(
                "--workers > 1 needs FLOWHARNESS_REDIS_URL: each process would get its own "
                "embedded fakeredis and idempotency would not hold across them"
            )
        configure_logging(settings.log_level, json_lines=settings.log_json)
        check_start(settings)  # a Redis that would lose leads: one clear line, no traceback
        if workers == 1:
            uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
            return
        # uvicorn's worker processes build the app themselves from the environment
        if with_worker:
            os.environ["FLOWHARNESS_RUN_WORKER"] = "true"
        uvicorn.run(
            "reference_server:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
    except (ReferenceServerError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
