"""``flowharness token``: issue (and optionally send) or check a reference-server flow token.

Secrets and Cloud API settings come from the reference server's environment
(``FLOWHARNESS_FLOW_TOKEN_SECRETS``, ``FLOWHARNESS_CLOUD_API_*``, in the environment or
``./.env``; ``flowharness serve --print-env`` lists them all).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from harness.cli._server_settings import env_file_option, load_or_explain

if TYPE_CHECKING:
    from reference_server import FlowTokens, Settings


def _load(env_file: Path | None) -> tuple[Settings, FlowTokens]:
    # imported late: `flowharness --help` must not load the server
    from reference_server import FlowTokens
    from reference_server.exceptions import ReferenceServerError

    settings = load_or_explain(env_file, "tokens")
    try:
        tokens = FlowTokens(
            settings.flow_token_secret_values(), ttl_seconds=settings.flow_token_ttl_seconds
        )
    except (ReferenceServerError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    return settings, tokens


@click.group()
def token() -> None:
    """Flow tokens of the reference server: they carry the phone number and the flow id."""


@token.command()
@click.option("--phone", required=True, help="The person's number in E.164, e.g. +14155552671.")
@click.option(
    "--flow-id", default=None, help="The flow's id [default: FLOWHARNESS_DEFAULT_FLOW_ID]."
)
@click.option("--campaign", default="", help="Campaign to attach to the lead.")
@click.option("--source", default=None, help="Lead source [default: FLOWHARNESS_DEFAULT_SOURCE].")
@click.option("--ttl", type=click.IntRange(min=1), default=None, help="Lifetime in seconds.")
@click.option("--send", is_flag=True, help="Also send the flow message through the Cloud API.")
@env_file_option
def issue(
    phone: str,
    flow_id: str | None,
    campaign: str,
    source: str | None,
    ttl: int | None,
    send: bool,
    env_file: Path | None,
) -> None:
    """Print a signed flow token (and send the flow with it when --send is given).

    Needs FLOWHARNESS_FLOW_TOKEN_SECRETS (the endpoint's), and a flow id: --flow-id or
    FLOWHARNESS_DEFAULT_FLOW_ID. Example: flowharness token issue --phone +14155552671
    --flow-id 1234567890
    """
    from reference_server.exceptions import ReferenceServerError

    settings, tokens = _load(env_file)
    flow_id = flow_id or settings.default_flow_id
    if not flow_id:
        raise click.UsageError(
            "a flow token needs the flow id: pass --flow-id FLOW_ID (the id of the flow in "
            "WhatsApp Manager) or set FLOWHARNESS_DEFAULT_FLOW_ID"
        )
    try:
        value = tokens.issue(
            phone,
            flow_id,
            campaign=campaign,
            source=settings.default_source if source is None else source,
            ttl_seconds=ttl,
        )
    except (ReferenceServerError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(value)
    if send:
        message_id = asyncio.run(_send(settings, phone, flow_id, value))
        click.echo(f"sent: {message_id}", err=True)


async def _send(settings: Settings, phone: str, flow_id: str, value: str) -> str:
    import httpx

    from reference_server._cloud_api import send_flow_message
    from reference_server.exceptions import ReferenceServerError

    async with httpx.AsyncClient() as http:
        try:
            return await send_flow_message(
                http, settings, to=phone, flow_id=flow_id, flow_token=value
            )
        except ReferenceServerError as exc:
            raise click.ClickException(str(exc)) from exc


@token.command()
@click.argument("value")
@env_file_option
def verify(value: str, env_file: Path | None) -> None:
    """Check a token and print its claims as JSON (exit 1 if forged or expired)."""
    from reference_server.exceptions import FlowTokenError

    _, tokens = _load(env_file)
    try:
        claims = tokens.verify(value)
    except FlowTokenError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(asdict(claims)))
