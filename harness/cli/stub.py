"""``flowharness stub``: serve a stub endpoint for a Flow JSON with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from harness import crypto
from harness.cli._options import app_secret_option, listen_options
from harness.flowjson import FlowJSONError, load_flow
from harness.stub import StubError, create_stub_app

ENV_PASSPHRASE = "FLOWHARNESS_PRIVATE_KEY_PASSPHRASE"


@click.command()
@click.argument("flow_file", metavar="FLOW.json", type=click.Path(path_type=Path))
@listen_options
@click.option(
    "--private-key",
    "private_key_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The business private key PEM; without it a new key pair is made.",
)
@click.option(
    "--passphrase",
    envvar=ENV_PASSPHRASE,
    show_envvar=True,
    help="The private key's passphrase, if it is encrypted.",
)
@click.option(
    "--public-key-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("stub-public.pem"),
    show_default=True,
    help="Where to write the public key of a generated pair.",
)
@app_secret_option
def stub(
    flow_file: Path,
    host: str,
    port: int,
    private_key_path: Path | None,
    passphrase: str | None,
    public_key_out: Path,
    app_secret: str | None,
) -> None:
    """Serve a Flows endpoint for FLOW.json that answers every request validly.

    INIT opens the entry screen with its __example__ data, data_exchange moves to
    the first route routing_model allows (SUCCESS from a terminal screen), BACK stays,
    ping and error notifications are answered. With --app-secret requests must be
    signed (432 otherwise). Try it with `flowharness walk FLOW.json --endpoint ...`.
    """
    try:
        flow = load_flow(flow_file)
    except FlowJSONError as exc:
        raise click.ClickException(f"cannot serve {flow_file}: {exc}") from exc
    if private_key_path is not None:
        try:
            key = crypto.load_private_key(private_key_path, passphrase)
        except crypto.InvalidKeyError as exc:
            raise click.BadParameter(str(exc), param_hint="--private-key") from exc
    else:
        key = crypto.generate_private_key(2048)
        public_pem = crypto.public_key_pem(key)
        public_key_out.write_bytes(public_pem)
        click.echo(f"generated a key pair; public key written to {public_key_out}:")
        click.echo(public_pem.decode().strip())
    try:
        app = create_stub_app(flow, key, app_secret)
    except StubError as exc:
        raise click.ClickException(str(exc)) from exc
    signed = "signed requests only" if app_secret else "no signature check"
    click.echo(f"stub endpoint for {flow_file} at http://{host}:{port}/ ({signed})")
    serve_app(app, host=host, port=port)


def serve_app(app: Any, *, host: str, port: int) -> None:
    """Run until interrupted (tests replace this)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning")
