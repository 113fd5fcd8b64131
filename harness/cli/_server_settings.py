"""The reference server's settings for the commands that run it (serve, token, leads).

Read from the environment and ``./.env`` (or ``--env-file``); every missing or malformed
setting is reported at once, with its variable and an example, instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

if TYPE_CHECKING:
    from reference_server import Settings

__all__ = ["env_file_option", "load_or_explain", "print_env_option"]


def _print_env(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from reference_server._configuration import env_example

    click.echo(env_example(), nl=False)
    ctx.exit(0)


env_file_option = click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Read settings from this file [default: ./.env when it exists]; "
    "environment variables win over it.",
)


Needs = Literal["nothing", "serve", "worker", "worker-process", "tokens"]


def load_or_explain(env_file: Path | None, needs: Needs, **overrides: object) -> Settings:
    """The reference server's settings, or a click error listing every one to fix.

    ``needs`` says what the command needs beyond valid values: ``serve`` (keys and
    secrets), ``worker`` (those and the CRM's credentials: serve with its worker),
    ``worker-process`` (a worker alone: the shared Redis and the CRM) or ``tokens``.
    """
    from reference_server import _configuration as configuration

    required = {
        "nothing": (),
        "serve": configuration.SERVE,
        "worker": configuration.SERVE + configuration.WORKER,
        "worker-process": configuration.WORKER_PROCESS,
        "tokens": configuration.TOKENS,
    }[needs]
    try:
        return configuration.load_settings(env_file, needs=required, **overrides)
    except configuration.SettingsProblems as exc:
        where = env_file or (
            configuration.DEFAULT_ENV_FILE if configuration.DEFAULT_ENV_FILE.is_file() else "./.env"
        )
        count = len(exc.problems)
        lines = [f"{count} setting{'s' if count > 1 else ''} to fix first:"]
        lines += [f"  {problem.describe()}".replace("\n", "\n  ") for problem in exc.problems]
        lines.append(
            f"Set them in the environment or in {where}; `flowharness serve --print-env > .env` "
            "writes an annotated example of every setting."
        )
        raise click.ClickException("\n".join(lines)) from None


print_env_option = click.option(
    "--print-env",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_env,
    help="Print an annotated example of every setting (to start a .env file) and exit.",
)
