"""``flowharness ping`` and ``flowharness send``: one request, the way WhatsApp sends it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from harness.cli._console import make_console
from harness.cli._exchange_view import print_json, print_result
from harness.cli._options import client_options, flow_token_option, open_client
from harness.client import ClientError, FlowClient, FlowResult

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the result as JSON instead of a summary."
)


@click.command()
@click.argument("url")
@client_options
@json_option
def ping(url: str, as_json: bool, **client_settings: Any) -> None:
    """Send the health check WhatsApp sends before publishing (and keeps sending).

    Exits 0 only when the endpoint answers {"data": {"status": "active"}}.
    """
    result = _run(url, lambda client: client.ping(), **client_settings)
    healthy = result.ok and _is_active(result.payload)
    _report(result, url, as_json)
    if result.ok and not healthy:
        click.secho(
            'The answer is not {"data": {"status": "active"}}: WhatsApp would fail the health '
            "check and refuse to publish the flow.",
            fg="red",
            err=True,
        )
    raise SystemExit(0 if healthy else 1)


@click.command()
@click.argument("url")
@click.option(
    "--payload",
    required=True,
    metavar="FILE|JSON",
    help='The request to encrypt: a JSON file, or JSON text like \'{"action": "ping"}\'.',
)
@click.option(
    "--signature",
    type=click.Choice(["valid", "bad", "missing"]),
    default="valid",
    show_default=True,
    help="Sign correctly, with a wrong secret, or not at all (the endpoint should answer 432).",
)
@flow_token_option
@client_options
@json_option
def send(
    url: str,
    payload: str,
    signature: str,
    flow_token: str | None,
    as_json: bool,
    **client_settings: Any,
) -> None:
    """Encrypt, sign and send one request, then decrypt and explain the answer.

    Exits 0 only when the outcome is ok.
    """
    request = _load_payload(payload)
    if flow_token is not None:
        if not isinstance(request, dict):
            raise click.BadParameter(
                "--flow-token needs a JSON object payload", param_hint="--payload"
            )
        request["flow_token"] = flow_token
    body = request if isinstance(request, dict) else json.dumps(request).encode()
    needs_secret = signature == "valid"
    result = _run(
        url,
        lambda client: client.send(body, signature=signature),
        needs_secret=needs_secret,
        **client_settings,
    )
    _report(result, url, as_json)
    raise SystemExit(0 if result.ok else 1)


def _run(
    url: str,
    call: Callable[[FlowClient], FlowResult],
    *,
    needs_secret: bool = True,
    **client_settings: Any,
) -> FlowResult:
    """``call`` on a client built from the --public-key ... --timeout options."""
    client = open_client(url, needs_secret=needs_secret, **client_settings)
    try:
        with client:
            return call(client)
    except ClientError as exc:
        raise click.ClickException(str(exc)) from exc


def _report(result: FlowResult, url: str, as_json: bool) -> None:
    if as_json:
        print_json(result)
    else:
        print_result(make_console(), result, url=url)


def _is_active(payload: Any) -> bool:
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("data"), dict)
        and payload["data"].get("status") == "active"
    )


def _load_payload(value: str) -> Any:
    """--payload: a path to a JSON file if one exists, else JSON text."""
    path = Path(value)
    source = f"file {value}"
    text = value
    if value and not value.lstrip().startswith(("{", "[")) and path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"cannot read {value}: {exc}", param_hint="--payload") from exc
    else:
        source = "text"
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        hint = "" if source != "text" else " (nor an existing file)"
        raise click.BadParameter(
            f"the {source} is not JSON{hint}: {exc}", param_hint="--payload"
        ) from exc
