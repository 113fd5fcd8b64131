"""``flowharness walk``: play users through a flow against a team's endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from harness.cli._options import client_options, flow_token_option, open_client
from harness.flowjson import Finding, Flow, FlowJSONError, load_flow
from harness.walker import DEFAULT_FLOW_TOKEN, EmptyInputs, Transcript, WalkerError
from harness.walker import walk as walk_flow

_STYLES = {"error": "bold red", "warning": "yellow"}


@click.command()
@click.argument("flow_file", metavar="FLOW.json", type=click.Path(path_type=Path))
@click.option("--endpoint", required=True, metavar="URL", help="The endpoint's URL.")
@client_options
@flow_token_option
@click.option(
    "--journeys",
    "count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="How many users to play through the flow.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Journey N uses seed SEED+N: rerun one with --seed and --journeys 1.",
)
@click.option("--max-steps", type=click.IntRange(min=1), default=50, show_default=True)
@click.option(
    "--empty-inputs",
    type=click.Choice(["empty", "omit"]),
    default="empty",
    show_default=True,
    help='What an optional input left empty sends: its empty value ("", [], false), as '
    "Meta's Flow JSON reference reads an unfilled input, or no key at all. Meta does not "
    "document which the client sends: check your endpoint both ways.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the transcripts as JSON.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write an HTML report: each step as the screen the person saw, beside the answer.",
)
@click.option(
    "--webhook",
    "webhook_url",
    metavar="URL",
    help="After each completed journey, send its completion webhook (nfm_reply) to URL, "
    "signed with the app secret and retried like Meta.",
)
def walk(
    flow_file: Path,
    endpoint: str,
    public_key: Path | None,
    app_secret: str | None,
    budget: float,
    timeout: float,
    flow_token: str | None,
    count: int,
    seed: int,
    max_steps: int,
    empty_inputs: EmptyInputs,
    as_json: bool,
    html_file: Path | None,
    webhook_url: str | None,
) -> None:
    """Walk JOURNEYS users through FLOW.json against the endpoint at URL.

    Every input gets a valid random value, every answer is checked against the flow
    (routing_model, declared data, SUCCESS flow token) and an invalid one is reported
    back with an error notification, like WhatsApp does. Exits 1 when a journey does
    not complete or any finding (error or warning) is reported.
    """
    try:
        flow = load_flow(flow_file)
    except FlowJSONError as exc:
        raise click.ClickException(f"cannot walk {flow_file}: {exc}") from exc
    transcripts: list[tuple[int, Transcript]] = []
    with open_client(
        endpoint, public_key=public_key, app_secret=app_secret, budget=budget, timeout=timeout
    ) as client:
        for number in range(count):
            try:
                transcript = walk_flow(
                    flow,
                    client,
                    flow_token=flow_token or DEFAULT_FLOW_TOKEN,
                    seed=seed + number,
                    max_steps=max_steps,
                    empty_inputs=empty_inputs,
                )
            except WalkerError as exc:
                raise click.ClickException(f"journey {number + 1}: {exc}") from exc
            transcripts.append((seed + number, transcript))
    if as_json:
        entries = [{"seed": s, **t.to_dict()} for s, t in transcripts]
        click.echo(json.dumps(entries, indent=2, ensure_ascii=False, default=str))
    else:
        _print(transcripts)
    failed = any(not t.completed or t.findings for _, t in transcripts)
    if html_file is not None:
        _write_html(flow, transcripts, html_file)
    if webhook_url is not None:
        failed = not _send_webhooks(webhook_url, app_secret, transcripts, timeout) or failed
    raise SystemExit(1 if failed else 0)


def _write_html(flow: Flow, transcripts: list[tuple[int, Transcript]], path: Path) -> None:
    from harness.preview import walk_report_html

    journeys = [(f"journey seed={seed}", transcript) for seed, transcript in transcripts]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(walk_report_html(flow, journeys), encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc}") from exc
    click.echo(f"wrote {path}", err=True)


def _send_webhooks(
    url: str, app_secret: str | None, transcripts: list[tuple[int, Transcript]], timeout: float
) -> bool:
    """The completion webhook of every completed journey; True when all were delivered."""
    from harness.cli.webhook import print_delivery
    from harness.webhooks import WebhookError, WebhookSender, completion_from_walk

    try:
        sender = WebhookSender(url, app_secret, timeout=timeout)
    except WebhookError as exc:
        raise click.ClickException(str(exc)) from exc
    delivered = True
    for seed, transcript in transcripts:
        if not transcript.completed:
            continue
        click.echo(f"completion webhook of journey seed={seed}:", err=True)
        delivery = sender.deliver(completion_from_walk(transcript))
        print_delivery(delivery, prefix="  ")
        delivered = delivered and delivery.delivered
    return delivered


def _print(transcripts: list[tuple[int, Transcript]]) -> None:
    console = Console(highlight=False, soft_wrap=True)
    for seed, transcript in transcripts:
        head = Text(f"journey seed={seed}: ", style="bold")
        if transcript.completed:
            head.append("completed", style="bold green")
        else:
            head.append(f"NOT completed ({transcript.ending})", style="bold red")
        head.append(f"  {' -> '.join(transcript.screens)}")
        if transcript.reason:
            head.append(f"\n  {transcript.reason}", style="dim")
        console.print(head)
        for step in transcript.steps:
            console.print(Text(step.format().splitlines()[0], style="dim"))
            for finding in step.findings:
                console.print(_line(finding))
            if step.notification:
                note = step.notification
                console.print(Text(f"    reported {note.error!r} to the endpoint: {note.outcome}"))
    total = sum(len(t.findings) for _, t in transcripts)
    done = sum(t.completed for _, t in transcripts)
    style = "bold green" if total == 0 and done == len(transcripts) else "bold red"
    summary = f"{done}/{len(transcripts)} journey(s) completed, {total} finding(s)"
    console.print(Text(summary, style=style))


def _line(finding: Finding) -> Text:
    line = Text("    ")
    line.append(finding.severity, style=_STYLES[finding.severity])
    line.append(f" [{finding.code}]", style="bold")
    line.append(f" {finding.pointer or '/'}", style="cyan")
    line.append(f": {finding.message}")
    if finding.hint:
        line.append(f"\n      hint: {finding.hint}", style="dim")
    return line
