"""``flowharness check``: the conformance suite (and optional fuzzing) against an endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from harness.cli._console import make_console
from harness.cli._extras import require_extra
from harness.cli._options import (
    client_options,
    flow_token_option,
    require_app_secret,
    require_public_key,
)
from harness.client import ClientError

if TYPE_CHECKING:
    from harness.flowjson import Flow


def _list_checks(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from harness.conformance import CHECKS

    for spec in CHECKS:  # Meta's page on a line of its own: long URLs stay whole when piped
        click.echo(f"{spec.id:30} {spec.title}\n{'':30} {spec.source}")
    ctx.exit(0)


@click.command()
@click.argument("url")
@client_options
@flow_token_option
@click.option(
    "--token-command",
    metavar="CMD",
    help="A command printing a valid flow token on its last line (run without a shell), "
    "e.g. 'flowharness token issue --phone +14155552671 --flow-id FLOW_ID'.",
)
@click.option(
    "--sample-request",
    metavar="FILE|JSON",
    help="A decrypted request that does real work (e.g. a data_exchange that saves a lead), "
    "replayed by the idempotency check and timed. Default: an INIT with the token, or a ping.",
)
@click.option(
    "--only", multiple=True, metavar="ID", help="Run only this check (or prefix like 'decrypt.')."
)
@click.option("--skip", multiple=True, metavar="ID", help="Leave this check (or prefix) out.")
@click.option(
    "--fuzz",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="N",
    help="Also send N hypothesis-generated hostile requests and report 5xx, hangs, dropped "
    "connections and leaked stack traces.",
)
@click.option(
    "--fuzz-out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("fuzz-findings"),
    show_default=True,
    help="Where minimal reproducers (.json and .sh) of fuzzing findings are written.",
)
@click.option("--fuzz-seed", type=int, default=None, help="Seed for a repeatable fuzzing run.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write an HTML report: every check with its grade, finding and hint, each "
    "request it sent (decrypted) and the answer (decrypted when possible).",
)
@click.option(
    "--flow",
    "flow_file",
    metavar="FLOW.json",
    type=click.Path(path_type=Path),
    help="With --html: the endpoint's Flow JSON; answers that open or move to a screen "
    "(INIT, the sample request) show it as the person would see it, checked against it.",
)
@click.option(
    "--list",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_list_checks,
    help="List the checks and exit.",
)
def check(
    url: str,
    public_key: Path | None,
    app_secret: str | None,
    budget: float,
    timeout: float,
    flow_token: str | None,
    token_command: str | None,
    sample_request: str | None,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    fuzz: int,
    fuzz_out: Path,
    fuzz_seed: int | None,
    as_json: bool,
    html_file: Path | None,
    flow_file: Path | None,
) -> None:
    """Check that the endpoint at URL keeps the Flows protocol's promises.

    Each check is graded pass, warn, fail or skip, with a hint to fix it. Exits 0 only
    when nothing fails (warnings allowed) and fuzzing, if asked for, finds nothing.
    """
    from harness.cli._progress import CheckProgress
    from harness.conformance import (
        ConformanceError,
        check_endpoint,
        command_token_source,
        select_checks,
    )
    from harness.conformance._render import report_renderable

    if flow_token and token_command:
        raise click.UsageError("give --flow-token or --token-command, not both")
    flow = _load_flow(flow_file, html_file) if flow_file is not None else None
    key = require_public_key(public_key)
    secret = require_app_secret(app_secret)
    if fuzz:
        require_extra("hypothesis", extra="hypothesis", feature="check --fuzz")
    try:
        checks = len(select_checks(only or None, skip or None))
        source = command_token_source(token_command) if token_command else flow_token
        with CheckProgress(make_console(stderr=True), checks=checks, fuzz=fuzz) as progress:
            report = check_endpoint(
                url,
                public_key=key,
                app_secret=secret,
                flow_token=source,
                sample_request=_load_request(sample_request) if sample_request else None,
                only=only or None,
                skip=skip or None,
                budget=budget,
                timeout=timeout,
                fuzz=fuzz,
                fuzz_out=fuzz_out,
                fuzz_seed=fuzz_seed,
                on_result=progress.check_done,
                on_fuzz_request=progress.fuzz_sent,
            )
    except (ConformanceError, ClientError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(report.to_json())
    else:
        make_console(highlight=False).print(report_renderable(report))
    if html_file is not None:
        try:
            html_file.parent.mkdir(parents=True, exist_ok=True)
            html_file.write_text(report.to_html(flow), encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot write {html_file}: {exc}") from exc
        click.echo(f"wrote {html_file}", err=True)
    raise SystemExit(0 if report.ok else 1)


def _load_flow(path: Path, html_file: Path | None) -> Flow:
    """--flow: the Flow JSON the HTML report lays screens out with (checked up front)."""
    if html_file is None:
        raise click.UsageError("--flow lays out the screens of the HTML report: add --html FILE")
    from harness.flowjson import FlowJSONError, load_flow

    try:
        return load_flow(path)
    except FlowJSONError as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--flow") from exc


def _load_request(value: str) -> dict[str, Any]:
    """--sample-request: a JSON file if one exists at that path, else JSON text."""
    path = Path(value)
    text = value
    if not value.lstrip().startswith("{") and path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(
                f"cannot read {value}: {exc}", param_hint="--sample-request"
            ) from exc
    try:
        request = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(
            f"not JSON (nor a readable JSON file): {exc}", param_hint="--sample-request"
        ) from exc
    if not isinstance(request, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--sample-request")
    return request
