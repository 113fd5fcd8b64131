"""``flowharness walk``: play users through a flow against a team's endpoint."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.cli._console import make_console
from harness.cli._health import health_option, print_verdict, walk_traffic
from harness.cli._options import client_options, flow_token_option, open_client
from harness.cli._progress import CountProgress
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
@health_option
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="With several journeys, one line per journey (a summary table otherwise).",
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
    health: bool,
    verbose: bool,
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
    console = make_console(highlight=False, soft_wrap=True, stderr=as_json)
    started = time.monotonic()
    with (
        open_client(
            endpoint, public_key=public_key, app_secret=app_secret, budget=budget, timeout=timeout
        ) as client,
        CountProgress(console) as progress,
    ):
        task = progress.add("journeys", count if count > 1 else None)
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
            if verbose and count > 1 and not as_json:
                console.print(_journey_line(seed + number, transcript))
            progress.advance(task, note=_tally(transcripts))
    if as_json:
        entries = [{"seed": s, **t.to_dict()} for s, t in transcripts]
        click.echo(json.dumps(entries, indent=2, ensure_ascii=False, default=str))
    elif count == 1:
        _print(console, transcripts)
    else:
        _summarise(console, transcripts, flow_file)
    failed = any(not t.completed or t.findings for _, t in transcripts)
    if health:
        verdict = walk_traffic((t for _, t in transcripts), time.monotonic() - started)
        print_verdict(console, verdict)
        failed = failed or not verdict.passed
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


def _tally(transcripts: list[tuple[int, Transcript]]) -> str:
    incomplete = sum(not t.completed for _, t in transcripts)
    findings = sum(len(t.findings) for _, t in transcripts)
    return f"{incomplete} incomplete, {findings} finding(s)" if incomplete or findings else ""


def _journey_line(seed: int, transcript: Transcript) -> Text:
    line = Text(f"seed={seed}: ", style="bold")
    if transcript.completed:
        line.append("completed", style="green")
    else:
        line.append(f"NOT completed ({transcript.ending})", style="bold red")
    line.append(f"  {' -> '.join(transcript.screens)}")
    if transcript.findings:
        line.append(f"  {len(transcript.findings)} finding(s)", style="red")
    return line


def _summarise(
    console: Console, transcripts: list[tuple[int, Transcript]], flow_file: Path
) -> None:
    """Journeys by ending, findings by rule and place, and how to replay one."""
    endings: dict[str, list[int]] = {}
    for seed, transcript in transcripts:
        endings.setdefault(transcript.ending, []).append(seed)
    table = Table(title=f"{len(transcripts)} journeys through {flow_file}")
    for column in ("ending", "journeys", "seeds"):
        table.add_column(column)
    for ending, seeds in sorted(endings.items(), key=lambda item: -len(item[1])):
        table.add_row(ending, str(len(seeds)), _seeds(seeds))
    console.print(table)
    grouped: dict[tuple[str, str, str], list[tuple[int, Finding]]] = {}
    for seed, transcript in transcripts:
        for finding in transcript.findings:
            key = (finding.severity, finding.code, finding.pointer or "/")
            grouped.setdefault(key, []).append((seed, finding))
    if grouped:
        findings = Table(title="findings")
        for column in ("severity", "rule", "times"):
            findings.add_column(column, no_wrap=True)  # the message column gives way first
        for column in ("where", "seeds", "first message"):
            findings.add_column(column, overflow="fold")
        for (severity, code, pointer), items in sorted(grouped.items()):
            seeds = sorted({seed for seed, _ in items})
            findings.add_row(
                Text(severity, style=_STYLES[severity]),
                code,
                str(len(items)),
                pointer,
                _seeds(seeds),
                items[0][1].message,
            )
        console.print(findings)
    console.print(_summary(transcripts))
    replay = next((s for s, t in transcripts if not t.completed or t.findings), None)
    if replay is not None:
        console.print(f"replay one in full: --seed {replay} --journeys 1", style="dim")


def _seeds(seeds: list[int], shown: int = 8) -> str:
    text = ", ".join(str(seed) for seed in seeds[:shown])
    return text + (f" (+{len(seeds) - shown})" if len(seeds) > shown else "")


def _print(console: Console, transcripts: list[tuple[int, Transcript]]) -> None:
    for seed, transcript in transcripts:
        head = Text("journey ", style="bold") + _journey_line(seed, transcript)
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
    console.print(_summary(transcripts))


def _summary(transcripts: list[tuple[int, Transcript]]) -> Text:
    total = sum(len(t.findings) for _, t in transcripts)
    done = sum(t.completed for _, t in transcripts)
    style = "bold green" if total == 0 and done == len(transcripts) else "bold red"
    return Text(f"{done}/{len(transcripts)} journey(s) completed, {total} finding(s)", style=style)


def _line(finding: Finding) -> Text:
    line = Text("    ")
    line.append(finding.severity, style=_STYLES[finding.severity])
    line.append(f" [{finding.code}]", style="bold")
    line.append(f" {finding.pointer or '/'}", style="cyan")
    line.append(f": {finding.message}")
    if finding.hint:
        line.append(f"\n      hint: {finding.hint}", style="dim")
    return line
