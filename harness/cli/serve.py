"""``flowharness serve``: run the reference lead-capture endpoint (and its worker) with uvicorn."""

from __future__ import annotations

import gc
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from harness.cli._options import listen_options
from harness.cli._server_settings import env_file_option, load_or_explain, print_env_option

if TYPE_CHECKING:
    from reference_server import Settings


_UVICORN: dict[str, Any] = {
    # uvloop and httptools (uvicorn[standard]): "auto" picks them wherever they install
    "loop": "auto",
    "http": "auto",
    "log_level": "warning",
    # the endpoint logs every request itself; uvicorn's line would cost as much again
    "access_log": False,
}


def _listening_socket(host: str, port: int) -> socket.socket:
    """Bound before uvicorn starts, so the URL printed is the one served (port 0 included)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
        )[0]
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


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
@env_file_option
@print_env_option
def serve(
    host: str,
    port: int,
    workers: int,
    with_worker: bool,
    log_level: str | None,
    env_file: Path | None,
) -> None:
    """Serve the endpoint at http://HOST:PORT/ (health at /healthz, metrics at /metrics).

    Settings come from FLOWHARNESS_* environment variables and ./.env (or --env-file);
    every missing or malformed one is reported before anything starts. `--print-env`
    prints them all, annotated.
    """
    import uvicorn

    from reference_server import check_start, configure_logging, create_app
    from reference_server.exceptions import ReferenceServerError

    overrides: dict[str, object] = {"run_worker": True} if with_worker else {}
    if log_level:
        overrides["log_level"] = log_level
    settings = load_or_explain(env_file, "worker" if with_worker else "serve", **overrides)
    if workers > 1 and not settings.redis_url:
        raise click.ClickException(
            "--workers > 1 needs FLOWHARNESS_REDIS_URL: each process would get its own "
            "embedded fakeredis and idempotency would not hold across them"
        )
    if workers > 1 and port == 0:
        raise click.UsageError("--workers > 1 needs a fixed --port")
    configure_logging(settings.log_level, json_lines=settings.log_json)
    try:
        check_start(settings)  # a Redis that would lose leads: one clear line, no traceback
        if workers == 1:
            app = create_app(settings)
            sock = _listening_socket(host, port)
            _announce(host, sock.getsockname()[1], settings, workers)
            config = uvicorn.Config(app, timeout_graceful_shutdown=5, **_UVICORN)
            _freeze_heap()
            uvicorn.Server(config).run(sockets=[sock])
            return
        # uvicorn's worker processes build the app themselves, from the environment
        _export(env_file, overrides)
        _announce(host, port, settings, workers)
        uvicorn.run(
            "harness.cli.serve:_worker_process_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            **_UVICORN,
        )
    except (ReferenceServerError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc


def _freeze_heap() -> None:
    """Leave what exists now (imports, settings, the app) out of garbage collection.

    It lives as long as the process, yet every full collection would walk it again (some
    100,000 objects), pausing every request in flight: tens of milliseconds each time,
    which was the endpoint's p99 under load.
    """
    gc.collect()
    gc.freeze()


def _worker_process_app() -> Any:
    """The app of one of uvicorn's worker processes (``--workers N``), built from the
    environment like ``create_app()``, its start-up heap frozen likewise."""
    from reference_server import create_app

    app = create_app()
    _freeze_heap()
    return app


def _announce(host: str, port: int, settings: Settings, workers: int) -> None:
    worker = "with the CRM worker" if settings.run_worker else "without the CRM worker"
    click.echo(
        f"flowharness serve: listening on {_url(host, port)} "
        f"({workers} process{'es' if workers > 1 else ''}, {worker}; "
        "health /healthz, metrics /metrics; Ctrl-C stops)"
    )


def _export(env_file: Path | None, overrides: dict[str, object]) -> None:
    """Put the env file's settings and the options into the environment, for child processes."""
    from dotenv import dotenv_values

    from reference_server._configuration import DEFAULT_ENV_FILE

    path = env_file or (DEFAULT_ENV_FILE if DEFAULT_ENV_FILE.is_file() else None)
    if path is not None:
        for name, text in dotenv_values(path).items():
            if text is not None:
                os.environ.setdefault(name, text)
    for name, value in overrides.items():
        os.environ[f"FLOWHARNESS_{name.upper()}"] = "true" if value is True else str(value)
