"""``flowharness open``: read an endpoint's encrypted answer with the keys a journal kept."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from harness.client import JournalKeysError, open_answer


@click.command("open")
@click.option(
    "--journal",
    "journal_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The journal written with keys (`send --postman` writes it beside the collection).",
)
@click.option(
    "--response",
    "body",
    required=True,
    metavar="BODY|@FILE|-",
    help="The response body as Postman shows it; @FILE reads a file, - reads stdin.",
)
def open_answer_command(journal_file: Path, body: str) -> None:
    """Decrypt a response body pasted from Postman (or curl) with the journal's keys.

    A replay of a recorded request is answered with that request's AES key, so the
    journal that kept the key opens it. Prints which request it answers and the answer.
    """
    if body == "-":
        body = sys.stdin.read()
    elif body.startswith("@"):
        try:
            body = Path(body[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            message = f"cannot read {body[1:]}: {exc}"
            raise click.BadParameter(message, param_hint="--response") from exc
    try:
        opened = open_answer(journal_file, body)
    except JournalKeysError as exc:
        raise click.ClickException(str(exc)) from exc
    request = opened.request if isinstance(opened.request, dict) else {}
    what = request.get("action", "request")
    screen = f" on {request['screen']}" if request.get("screen") else ""
    click.echo(f"the answer to request {opened.exchange} ({what}{screen}):", err=True)
    click.echo(json.dumps(opened.payload, indent=2, ensure_ascii=False))
