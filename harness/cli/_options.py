"""Options shared by the commands (endpoint client, scenario selection, serving), and
turning the endpoint ones into a client.

Secrets come from the environment by preference (FLOWHARNESS_APP_SECRET): a value on
the command line is visible to other users in the process list.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto
from harness.client import ClientError, FlowClient

ENV_PUBLIC_KEY = "FLOWHARNESS_PUBLIC_KEY"
ENV_APP_SECRET = "FLOWHARNESS_APP_SECRET"

F = TypeVar("F", bound=Callable[..., Any])

public_key_option = click.option(
    "--public-key",
    "public_key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar=ENV_PUBLIC_KEY,
    show_envvar=True,
    help="The business public key PEM the requests are encrypted to.",
)
app_secret_option = click.option(
    "--app-secret",
    "app_secret",
    envvar=ENV_APP_SECRET,
    show_envvar=True,
    metavar="SECRET",
    help="The Meta app secret requests are signed with (prefer the environment variable).",
)


def _seconds_option(name: str, default: float, help: str) -> Callable[[F], F]:
    return click.option(
        name,
        type=click.FloatRange(min=0, min_open=True),
        default=default,
        show_default=True,
        help=help,
    )


budget_option = _seconds_option(
    "--budget", 3.0, "Seconds an answer may take and still count as fast enough."
)
timeout_option = _seconds_option(
    "--timeout", 10.0, "Seconds before giving up, like WhatsApp (10 s)."
)
flow_token_option = click.option(
    "--flow-token",
    "flow_token",
    metavar="TOKEN",
    help="The flow token to send (as set when the flow message was sent).",
)


pattern_option = click.option(
    "-k",
    "pattern",
    metavar="PATTERN",
    help="Only scenarios whose file, name or tag contains PATTERN.",
)


def parallel_option(default: int) -> Callable[[F], F]:
    """--parallel/-n: how many scenarios run at once."""
    return click.option(
        "--parallel", "-n", type=click.IntRange(min=1), default=default, show_default=True
    )


def listen_options(command: F) -> F:
    """--host and --port of a command that serves HTTP."""
    command = click.option(
        "--port", type=click.IntRange(0, 65535), default=8080, show_default=True
    )(command)
    return click.option("--host", default="127.0.0.1", show_default=True)(command)


def client_options(command: F) -> F:
    """--public-key, --app-secret, --budget and --timeout in one decorator."""
    for option in (timeout_option, budget_option, app_secret_option, public_key_option):
        command = option(command)
    return command


def require_public_key(path: Path | None) -> rsa.RSAPublicKey:
    """Load --public-key, or stop with a message that says what to pass."""
    if path is None:
        raise click.UsageError(
            f"no public key: pass --public-key PATH or set {ENV_PUBLIC_KEY} "
            "(create a pair with `flowharness keys generate`)"
        )
    try:
        return crypto.load_public_key(path)
    except crypto.InvalidKeyError as exc:
        raise click.BadParameter(
            f"{path}: {exc} (give the public.pem written by `flowharness keys generate`)",
            param_hint="--public-key",
        ) from exc


def open_client(
    url: str,
    *,
    public_key: Path | None,
    app_secret: str | None,
    budget: float,
    timeout: float,
    needs_secret: bool = True,
    **settings: Any,
) -> FlowClient:
    """A :class:`FlowClient` from the shared options; bad values stop with a click error."""
    key = require_public_key(public_key)
    secret = require_app_secret(app_secret) if needs_secret else app_secret
    try:
        return FlowClient(
            url, public_key=key, app_secret=secret, budget=budget, timeout=timeout, **settings
        )
    except ClientError as exc:
        raise click.ClickException(str(exc)) from exc


def require_app_secret(app_secret: str | None) -> str:
    if not app_secret:
        raise click.UsageError(
            f"no app secret: set {ENV_APP_SECRET} (or pass --app-secret); it is the Meta "
            "app secret the endpoint checks X-Hub-Signature-256 with"
        )
    return app_secret
