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
postman_option = click.option(
    "--postman",
    "postman_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a Postman Collection v2.1 of the exact signed request(s), and beside it "
    "FILE's journal with the keys `flowharness open` needs to read a replayed answer.",
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
    _report(result, url, as_json)
    if result.ok and not result.acceptable:
        click.secho(
            'The answer is not {"data": {"status": "active"}}: WhatsApp would fail the health '
            "check and refuse to publish the flow.",
            fg="red",
            err=True,
        )
    raise SystemExit(0 if result.acceptable else 1)


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
@click.option(
    "--flow",
    "flow_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The Flow JSON the request belongs to: the answer is also checked against it "
    "(screens that exist, allowed moves, declared data), as WhatsApp does.",
)
@flow_token_option
@client_options
@json_option
@postman_option
def send(
    url: str,
    payload: str,
    signature: str,
    flow_file: Path | None,
    flow_token: str | None,
    as_json: bool,
    postman_file: Path | None,
    **client_settings: Any,
) -> None:
    """Encrypt, sign and send one request, then decrypt and explain the answer.

    Exits 0 only when the outcome is ok and WhatsApp would accept the answer's shape
    (and, with --flow, its screen and data).
    """
    flow = _load_flow(flow_file) if flow_file is not None else None
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
        postman_file=postman_file,
        **client_settings,
    )
    _report(result, url, as_json)
    contract = _contract_errors(flow, request, result) if flow is not None else []
    for line in [*result.problems, *contract]:
        click.secho(f"WhatsApp would reject the answer: {line}", fg="red", err=True)
    raise SystemExit(0 if result.acceptable and not contract else 1)


def _load_flow(path: Path) -> Any:
    from harness.flowjson import FlowJSONError, load_flow

    try:
        return load_flow(path)
    except FlowJSONError as exc:
        raise click.BadParameter(str(exc), param_hint="--flow") from exc


def _contract_errors(flow: Any, request: Any, result: FlowResult) -> list[str]:
    """The answer against the flow, the way the WhatsApp client reads it."""
    from harness.flowjson import check_response

    if not result.ok or not isinstance(request, dict):
        return []
    action = request.get("action")
    if action not in ("INIT", "BACK", "data_exchange"):
        return []
    screen = request.get("screen") if action != "INIT" else None
    if screen is not None and not flow.has_screen(screen):
        return [f"the request's screen {screen!r} is not in the flow"]
    findings = check_response(
        flow, screen, result.payload, flow_token=request.get("flow_token"), action=action
    )
    return [
        f"{f.pointer or '/'}: {f.message} [{f.code}]" for f in findings if f.severity == "error"
    ]


def _run(
    url: str,
    call: Callable[[FlowClient], FlowResult],
    *,
    needs_secret: bool = True,
    postman_file: Path | None = None,
    **client_settings: Any,
) -> FlowResult:
    """``call`` on a client built from the --public-key ... --timeout options."""
    client = open_client(url, needs_secret=needs_secret, **client_settings)
    try:
        with client:
            result = call(client)
    except ClientError as exc:
        raise click.ClickException(str(exc)) from exc
    if postman_file is not None:
        write_postman(client, postman_file)
    return result


def journal_path(postman_file: Path) -> Path:
    """Where the keys for a collection go: ``X.postman.json`` -> ``X.journal.json``."""
    name = postman_file.name
    for suffix in (".postman_collection.json", ".postman.json", ".json"):
        if name.endswith(suffix):
            return postman_file.with_name(name[: -len(suffix)] + ".journal.json")
    return postman_file.with_name(name + ".journal.json")


def write_postman(client: FlowClient, postman_file: Path) -> None:
    journal_file = journal_path(postman_file)
    collection = client.journal.to_postman(name=postman_file.stem, journal_file=journal_file)
    try:
        postman_file.parent.mkdir(parents=True, exist_ok=True)
        postman_file.write_text(json.dumps(collection, indent=2, ensure_ascii=False) + "\n")
        client.journal.dump(journal_file, keys=True)
    except OSError as exc:
        raise click.ClickException(f"cannot write {postman_file}: {exc}") from exc
    click.echo(
        f"wrote {postman_file} (Postman Collection v2.1) and {journal_file} "
        "(the AES keys: keep it private)",
        err=True,
    )


def _report(result: FlowResult, url: str, as_json: bool) -> None:
    if as_json:
        print_json(result)
    else:
        print_result(make_console(), result, url=url)


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
