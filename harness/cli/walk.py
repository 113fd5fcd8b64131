"""``flowharness walk``: play users through a flow against a team's endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.text import Text

from harness.cli._console import make_console
from harness.cli._options import client_options, flow_token_option, open_client
from harness.flowjson import Finding, FlowJSONError, load_flow
from harness.walker import DEFAULT_FLOW_TOKEN, Transcript, WalkerError
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
@click.option("--json", "as_json", is_flag=True, help="Print the transcripts as JSON.")
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
    as_json: bool,
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
    raise SystemExit(1 if failed else 0)


def _print(transcripts: list[tuple[int, Transcript]]) -> None:
    console = make_console(highlight=False, soft_wrap=True)
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
