"""``flowharness run``: play scenario files against the embedded reference endpoint or yours."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from harness.cli._console import make_console
from harness.cli._health import health_option, print_verdict, run_traffic
from harness.cli._options import (
    app_secret_option,
    budget_option,
    parallel_option,
    pattern_option,
    public_key_option,
)

if TYPE_CHECKING:
    from harness.scenarios._remote import RemoteTarget


def quiet_reference_server() -> None:
    """The embedded endpoint logs warnings on purpose (alerts, parked leads): hide them."""
    logger = logging.getLogger("reference_server")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False


def _remote_target(
    *,
    endpoint: str | None,
    public_key: Path | None,
    app_secret: str | None,
    mocks_config: str | None,
    mock: tuple[str, ...],
    crm: str | None,
    flow_token_secret: str | None,
    webhook_url: str | None,
    sql_url: str | None,
    sql_record_url: str | None,
    budget: float,
) -> RemoteTarget:
    from harness.scenarios._remote import RemoteTarget, parse_mock_options, read_mocks_config

    missing = [
        name
        for name, value in (("--endpoint", endpoint), ("--public-key", public_key))
        if value is None
    ]
    if app_secret is None:
        missing.append("--app-secret (or FLOWHARNESS_APP_SECRET)")
    if missing or endpoint is None or public_key is None or app_secret is None:
        raise click.UsageError("the remote target needs " + ", ".join(missing))
    mocks = read_mocks_config(mocks_config) if mocks_config else {}
    mocks |= parse_mock_options(mock)
    return RemoteTarget(
        endpoint,
        public_key=public_key.read_bytes(),
        app_secret=app_secret,
        mocks=mocks,
        crm=crm,
        flow_token_secret=flow_token_secret,
        webhook_url=webhook_url,
        sql_url=sql_url,
        sql_record_url_template=sql_record_url,
        budget=budget,
    )


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--target",
    type=click.Choice(["embedded", "remote"]),
    default="embedded",
    show_default=True,
    help="embedded: the reference endpoint, worker and mocks in-process; remote: your endpoint.",
)
@parallel_option(4)
@pattern_option
@click.option(
    "--junit", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML here."
)
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write JSON here."
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an HTML report here.",
)
@click.option("--endpoint", metavar="URL", help="Remote: the endpoint's URL.")
@public_key_option
@app_secret_option
@click.option(
    "--mocks-config",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
    help="Remote: the JSON `flowharness mocks up --json` prints, saved to a file "
    "('-': read it from standard input).",
)
@click.option(
    "--mock", multiple=True, metavar="NAME=URL", help="Remote: one mock's URL (repeatable)."
)
@click.option(
    "--crm",
    type=click.Choice(["hubspot", "salesforce", "sql"]),
    help="Remote: the CRM the endpoint writes to (default: each scenario's setup.crm).",
)
@click.option(
    "--sql-url",
    envvar="FLOWHARNESS_SQL_URL",
    metavar="URL",
    help="Remote: the SQL CRM's database (a SQLite file path or postgresql://...), read "
    "only, for `sql` and `contacts` checks.",
)
@click.option(
    "--sql-record-url",
    envvar="FLOWHARNESS_SQL_RECORD_URL_TEMPLATE",
    metavar="TEMPLATE",
    help="Remote: how the endpoint links a SQL CRM row, e.g. https://crm.example.com/leads/{id}.",
)
@click.option(
    "--flow-token-secret",
    envvar="FLOWHARNESS_FLOW_TOKEN_SECRET",
    help="Remote: mint flow tokens in the reference server's format with this secret.",
)
@click.option("--webhook-url", metavar="URL", help="Remote: where webhook steps post.")
@budget_option
@health_option
@click.option(
    "--verbose", "-v", is_flag=True, help="Print every scenario's report, not only failures."
)
def run(
    paths: tuple[Path, ...],
    target: str,
    parallel: int,
    pattern: str | None,
    junit: Path | None,
    json_path: Path | None,
    html_path: Path | None,
    budget: float,
    health: bool,
    verbose: bool,
    **remote: Any,  # --endpoint ... --webhook-url: the remote target's, see _remote_target
) -> None:
    """Run scenario files (default: the scenarios/ catalog); exit 1 if any fails."""
    from harness.scenarios import (
        EmbeddedTarget,
        ScenarioError,
        Target,
        arun_scenarios,
        catalog_path,
        load_scenarios,
        select,
    )
    from harness.scenarios._reports import write_reports
    from harness.scenarios._terminal import LiveProgress, summary_table

    console = make_console()
    chosen: Target
    try:
        scenarios = select(load_scenarios(paths or [catalog_path()]), pattern)
        if target == "remote":
            chosen = _remote_target(budget=budget, **remote)
        else:
            chosen = EmbeddedTarget(budget=budget)
    except ScenarioError as exc:
        raise click.ClickException(str(exc)) from exc
    if not scenarios:
        raise click.ClickException("no scenario matches" + (f" -k {pattern!r}" if pattern else ""))
    quiet_reference_server()
    import asyncio

    with LiveProgress(console, len(scenarios)) as progress:
        result = asyncio.run(
            arun_scenarios(scenarios, chosen, parallel=parallel, progress=progress)
        )
    for scenario in result.scenarios:
        if verbose or scenario.status in ("failed", "error"):
            console.print(scenario.report(), markup=False, highlight=False)
    console.print(summary_table(result))
    for path in write_reports(result, junit=junit, json_path=json_path, html_path=html_path):
        console.print(f"wrote {path}")
    throttled = False
    if health:  # the requests sent as WhatsApp sends them
        verdict = run_traffic(result)
        print_verdict(console, verdict)
        throttled = not verdict.passed
    if not result.ok or throttled:
        raise SystemExit(1)
