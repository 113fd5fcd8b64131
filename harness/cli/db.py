"""``flowharness db``: the reference server's SQL CRM schema, for operators who migrate
apart from the worker (``FLOWHARNESS_SQL_MIGRATE=false``, a database user without DDL
rights for the worker). Reads ``FLOWHARNESS_SQL_URL`` like the worker does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from harness.cli._server_settings import env_file_option, load_or_explain

T = TypeVar("T")


def _with_engine(env_file: Path | None, work: Callable[[Any], Awaitable[T]]) -> tuple[str, T]:
    """Run ``work(engine)`` on the configured database; (where, result) or a click error."""
    from reference_server._sql import classify_error
    from reference_server._sql_schema import describe_url, sql_engine
    from reference_server.exceptions import ConfigurationError

    settings = load_or_explain(env_file, "nothing")
    where = describe_url(settings.sql_url)

    async def main() -> T:
        engine = sql_engine(settings.sql_url, timeout=settings.crm_timeout_seconds)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return where, asyncio.run(main())
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # the driver's errors: say which database and why, no traceback
        kind = classify_error(exc)
        hint = " (is it running and reachable?)" if kind == "transient" else ""
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise click.ClickException(
            f"the database at {where} failed{hint}: {reason[0] if reason else type(exc).__name__}"
        ) from None


@click.group()
def db() -> None:
    """The reference server's SQL CRM database (FLOWHARNESS_SQL_URL)."""


@db.command()
@env_file_option
def upgrade(env_file: Path | None) -> None:
    """Apply the pending schema migrations (all or none, in one transaction).

    The worker does the same at start unless FLOWHARNESS_SQL_MIGRATE=false; running
    both at once is safe (a lock makes each migration apply once).
    """
    from reference_server._sql_schema import LATEST_VERSION
    from reference_server._sql_schema import upgrade as apply_pending

    where, applied = _with_engine(env_file, apply_pending)
    if not applied:
        click.echo(f"{where}: schema already at version {LATEST_VERSION}, nothing to do")
        return
    for migration in applied:
        click.echo(f"{where}: applied migration {migration.version}: {migration.description}")
    click.echo(f"schema now at version {LATEST_VERSION}")


@db.command()
@env_file_option
def status(env_file: Path | None) -> None:
    """Print the schema version of the database and the version this release needs."""
    from reference_server._sql_schema import LATEST_VERSION, current_version

    where, version = _with_engine(env_file, current_version)
    state = "up to date" if version >= LATEST_VERSION else "run `flowharness db upgrade`"
    click.echo(f"{where}: schema version {version}, this release needs {LATEST_VERSION} ({state})")
