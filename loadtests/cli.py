"""``flowharness load``: the locust users of this package, from the command line.

    flowharness load smoke                       # the reference endpoint on loopback, ~30 s
    flowharness load run URL                     # WhatsApp's health checks against URL
    flowharness load run URL --flow F.json --flow-token T   # walker journeys through F.json

Every run shows a live line (requests, rate, p90, failures), then the verdict of each
stage of :mod:`loadtests.judging` (the latency budget first), and exits 1 when one
fails, 2 when the run could not happen. Locust runs in a child process: it
monkey-patches the standard library at import, and nothing here imports it.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import tempfile
import time
from argparse import Namespace
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import click
from rich.console import Console
from rich.live import Live
from rich.text import Text

from harness._extras import MissingExtraError, require
from harness.cli._console import make_console
from harness.cli._options import app_secret_option, public_key_option
from loadtests.budget import BUDGET_OPTIONS, Budget, BudgetConfigError
from loadtests.config import (
    DEFAULT_RAMP,
    ENVIRONMENT_VARIABLES,
    LoadConfig,
    LoadConfigError,
    parse_duration,
    parse_ramp,
)
from loadtests.judging import FinishedRun, RunVerdict, judge_run
from loadtests.launch import LocustRun, Role, locustfile, run_locust
from loadtests.progress import Snapshot

__all__ = ["PROFILES", "load"]

F = TypeVar("F", bound=Callable[..., Any])

PROFILES: dict[str, tuple[str, str]] = {
    "staging": (
        DEFAULT_RAMP,
        "warm up to 10 users, ramp to 50, hold 10 minutes, ramp down (18 min)",
    ),
    "spike": ("1m:10:2,2m:100:20,5m:100:20,6m:10:20", "10 users, a jump to 100 for 3 min (6 min)"),
    "soak": ("5m:20:1,65m:20:1,66m:0:10", "20 users for an hour (66 min)"),
}
"""Named ramps (``END:USERS:RATE`` stages) for ``--profile``."""

_START_MARGIN = 90.0
"""Seconds allowed beyond the planned duration: locust's start and stop on a busy machine."""


# -- shared options --------------------------------------------------------------------


def _budget_options(command: F) -> F:
    helps = {
        "request_budget": "Seconds no single request may take [default: 3].",
        "max_failure_ratio": "Highest failure ratio that passes [default: 0.01].",
        "max_p90": "p90 limit in seconds [default: 1, Meta's ENDPOINT_LATENCY alert].",
        "max_p95": "p95 limit in seconds [default: 2].",
        "max_p99": "p99 limit in seconds [default: 3].",
    }
    for option in reversed(BUDGET_OPTIONS):
        variable = BUDGET_OPTIONS[option][1]
        command = click.option(
            f"--{option.replace('_', '-')}",
            option,
            type=click.FloatRange(min=0),
            default=None,
            help=f"{helps[option]} Env: {variable}.",
        )(command)
    return command


def _run_options(users: int, spawn_rate: float, duration: str, think: float) -> Callable[[F], F]:
    def decorate(command: F) -> F:
        options = [
            click.option(
                "--users", "-u", type=click.IntRange(min=1), default=users, show_default=True
            ),
            click.option(
                "--spawn-rate",
                "-r",
                type=click.FloatRange(min=0, min_open=True),
                default=spawn_rate,
                show_default=True,
                help="Users started per second.",
            ),
            click.option(
                "--duration",
                "-t",
                default=duration,
                show_default=True,
                help="How long the users run: 30s, 5m, 1h30m.",
            ),
            click.option(
                "--think-scale",
                type=click.FloatRange(min=0),
                default=think,
                show_default=True,
                help="Think times (reading, typing) x this: 1 is a person's pace, 0 none.",
            ),
            click.option(
                "--workers",
                type=click.IntRange(min=0),
                default=0,
                show_default=True,
                help="Local locust worker processes (one per core is about right); "
                "0: one process does everything.",
            ),
            click.option(
                "--csv",
                "csv_prefix",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Keep locust's CSV reports (PREFIX_stats.csv, PREFIX_failures.csv, ...) "
                "and its log (PREFIX_locust.log).",
            ),
            click.option(
                "--html",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Write locust's HTML report here.",
            ),
            click.option(
                "--json", "as_json", is_flag=True, help="Print the verdict as JSON on stdout."
            ),
        ]

        @functools.wraps(command)
        def with_options(**given: Any) -> Any:
            budget = {name: given.pop(name) for name in BUDGET_OPTIONS}
            shared = {name: given.pop(name) for name in _SHARED}
            return command(options=RunOptions(**shared, budget=budget), **given)

        decorated: Any = _budget_options(with_options)  # listed after the others
        for option in reversed(options):
            decorated = option(decorated)
        return cast(F, decorated)

    return decorate


@dataclass(frozen=True)
class RunOptions:
    """The options every load command takes."""

    users: int
    spawn_rate: float
    duration: str
    think_scale: float
    workers: int
    csv_prefix: Path | None
    html: Path | None
    as_json: bool
    budget: Mapping[str, float | None]
    """Budget option -> the value given (None: its variable, else the default)."""

    @property
    def seconds(self) -> float:
        try:
            seconds = parse_duration(self.duration)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--duration") from exc
        if seconds <= 0:
            raise click.BadParameter("must be above 0", param_hint="--duration")
        return seconds

    def console(self) -> Console:
        """Human output: on stdout, or on stderr when stdout carries the JSON verdict."""
        return make_console(stderr=self.as_json, highlight=False)


_SHARED = tuple(f.name for f in fields(RunOptions) if f.name != "budget")


# -- running and judging -----------------------------------------------------------------


class _ProgressLine:
    """One live line on a terminal; when piped, a line every ``every`` seconds."""

    def __init__(self, console: Console, every: float = 10.0):
        self.console = console
        self.every = every
        self.last: Snapshot | None = None
        self._printed_at = 0.0
        self._live: Live | None = None

    def __enter__(self) -> _ProgressLine:
        if self.console.is_terminal:
            self._live = Live(
                Text("starting locust...", style="dim"),
                console=self.console,
                refresh_per_second=4,
                transient=True,
            )
            self._live.start()
        return self

    def __call__(self, snapshot: Snapshot) -> None:
        self.last = snapshot
        if self._live is not None:
            self._live.update(Text(snapshot.line()))
        elif time.monotonic() - self._printed_at >= self.every:
            self._printed_at = time.monotonic()
            self.console.print(snapshot.line(), markup=False, highlight=False)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.stop()
        if self.last is not None:
            self.console.print(self.last.line(), markup=False, highlight=False)


@dataclass
class _Outputs:
    """Where a run's CSV and locust log go: the user's --csv prefix, or a scratch directory."""

    csv_prefix: Path
    log: Path
    progress: Path
    kept: bool


@contextmanager
def _outputs(csv_prefix: Path | None) -> Iterator[_Outputs]:
    with tempfile.TemporaryDirectory(prefix="flowharness-load-") as scratch:
        if csv_prefix is None:
            prefix = Path(scratch) / "run"
            yield _Outputs(
                prefix, Path(scratch) / "locust.log", Path(scratch) / "progress.json", False
            )
            return
        csv_prefix.parent.mkdir(parents=True, exist_ok=True)
        log = csv_prefix.with_name(f"{csv_prefix.name}_locust.log")
        yield _Outputs(csv_prefix, log, Path(scratch) / "progress.json", True)


def _require_locust() -> None:
    try:
        require("locust", extra="load", feature="flowharness load")
    except MissingExtraError as exc:
        raise click.ClickException(str(exc)) from exc


def _budget(given: Mapping[str, float | None], environ: Mapping[str, str]) -> Budget:
    try:
        return Budget.from_options(Namespace(**given), environ)
    except BudgetConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def _environment(**settings: object) -> dict[str, str]:
    """This process's environment with the flowharness settings given on the command line."""
    environ = dict(os.environ)
    for name, value in settings.items():
        if value is not None and value != "":
            environ[ENVIRONMENT_VARIABLES.get(name, f"FLOWHARNESS_{name.upper()}")] = str(value)
    return environ


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    wanted = [line for line in text.splitlines() if "flowharness load test:" in line]
    return "\n".join(wanted or text.splitlines()[-lines:])


def _execute(
    run: LocustRun,
    outputs: _Outputs,
    budget: Budget,
    console: Console,
    *,
    timeout: float | None,
    as_json: bool,
) -> int:
    """Run locust with a live line, then judge the run; the command's exit code."""
    run.csv_prefix = outputs.csv_prefix
    run.progress_file = outputs.progress
    started = time.monotonic()
    try:
        with _ProgressLine(console) as progress:
            code = run_locust(run, log=outputs.log, on_progress=progress, timeout=timeout)
    except TimeoutError as exc:
        console.print(f"[red]{exc}[/]; locust's log ends:\n{_tail(outputs.log)}", highlight=False)
        return 2
    if code not in (0, 1):
        console.print(
            f"[red]locust stopped with exit code {code}[/]:\n{_tail(outputs.log)}",
            highlight=False,
        )
        return 2
    finished = FinishedRun(outputs.csv_prefix, budget, code, time.monotonic() - started)
    verdict = judge_run(finished)
    _report(verdict, console, as_json)
    if outputs.kept:
        console.print(f"reports: {outputs.csv_prefix}_*.csv, log {outputs.log}", highlight=False)
    if run.html is not None:
        console.print(f"HTML report: {run.html}", highlight=False)
    if code == 1 and verdict.passed:
        console.print("[red]locust's own budget check failed the run[/]; see its log")
    return max(code, verdict.exit_code)


def _report(verdict: RunVerdict, console: Console, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(verdict.to_dict(), indent=2))
    for stage in verdict.stages:
        style = "green" if stage.passed else "bold red"
        headline, _, details = stage.summary.partition("\n")
        console.print(Text(f"{stage.stage}: ", style="bold") + Text(headline, style=style))
        if details:
            console.print(Text(details), soft_wrap=True)


# -- the commands --------------------------------------------------------------------------


@click.group()
def load() -> None:
    """Load tests with locust: real encrypted users, a live line, and a verdict on the budget.

    Needs the `load` extra (pip install 'flowharness[load]'). Each run ends with the
    budget verdict (every request under 3 s, p90 under 1 s as Meta alerts, p95 under
    2 s, p99 under 3 s, at most 1 % failures) and Meta's health verdict: which endpoint
    alerts (ENDPOINT_ERROR_RATE, ENDPOINT_LATENCY, ENDPOINT_AVAILABILITY,
    CLIENT_ERROR_RATE) the traffic would fire and whether the flow would stay PUBLISHED
    or be THROTTLED (10 messages an hour) or BLOCKED; an estimate, as Meta judges 10 to
    60 minute windows. Exits 1 when the budget breaks or the flow would be throttled.
    """


@load.command()
@_run_options(users=10, spawn_rate=5.0, duration="30s", think=0.1)
@click.option(
    "--slow",
    type=click.FloatRange(min=0),
    default=0.0,
    metavar="SECONDS",
    help="Serve an endpoint that answers this late: with 4 the run must fail.",
)
def smoke(options: RunOptions, slow: float) -> None:
    """Lead journeys and health checks against the reference endpoint on loopback.

    Serves the reference endpoint in a child process (fresh keys and secrets, a free
    port), runs USERS people through the lead flow for DURATION, and judges the run.
    """
    from loadtests.smoke import serve_target

    _require_locust()
    seconds = options.seconds
    console = options.console()
    environ = _environment(
        app_secret=secrets.token_hex(16),
        token_secret=secrets.token_hex(16),
        think_scale=options.think_scale,
        **options.budget,
    )
    budget = _budget(options.budget, environ)
    with ExitStack() as stack:
        outputs = stack.enter_context(_outputs(options.csv_prefix))
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="load-smoke-")))
        try:
            target = stack.enter_context(
                serve_target(
                    workdir,
                    extra_args=["--slow", f"{slow:g}"] if slow else [],
                    environ=environ,
                )
            )
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from exc
        late = f", answering {slow:g} s late" if slow else ""
        console.print(
            f"load smoke: {options.users} users for {options.duration} against the reference "
            f"endpoint at "
            f"{target.url}{late}"
        )
        run = LocustRun(
            host=target.url,
            locustfiles=[locustfile("lead-capture")],
            users=options.users,
            spawn_rate=options.spawn_rate,
            run_time=f"{seconds:.0f}s",
            processes=options.workers,
            html=options.html,
            environ=target.environ,
        )
        timeout = seconds + _START_MARGIN
        code = _execute(run, outputs, budget, console, timeout=timeout, as_json=options.as_json)
    raise SystemExit(code)


def _split_url(url: str) -> tuple[str, str]:
    """``https://host/flows`` -> (``https://host``, ``/flows``): locust's host and the path."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="URL")
    path = parts.path or "/"
    return f"{parts.scheme}://{parts.netloc}", path + (f"?{parts.query}" if parts.query else "")


def _check_user_settings(environ: Mapping[str, str], flow: Path | None) -> None:
    """Stop before starting locust when the users could not send a request."""
    try:
        config = LoadConfig.from_options(None, environ)
    except LoadConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    if flow is None:
        return
    from loadtests.exchange import load_contract_flow

    try:
        contract = load_contract_flow(flow)
    except Exception as exc:  # any unreadable or invalid Flow JSON: say so, no traceback
        raise click.BadParameter(f"{flow}: {exc}", param_hint="--flow") from exc
    if contract is not None and contract.data_api_version is None:
        raise click.BadParameter(
            f"{flow} has no data_api_version, so its journeys never call an endpoint",
            param_hint="--flow",
        )
    if not config.tokens.available:
        click.echo(
            "note: no --flow-token or --token-secret: each journey makes one up, which an "
            "endpoint that checks flow tokens will refuse",
            err=True,
        )


def _ramp(profile: str | None, ramp: str | None) -> str | None:
    if profile and ramp:
        raise click.UsageError("give --profile or --ramp, not both")
    text = PROFILES[profile][0] if profile else ramp
    if text is None:
        return None
    try:
        parse_ramp(text)
    except LoadConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--ramp") from exc
    return text


def _role(master: bool, worker: bool, master_host: str | None, workers: int) -> Role:
    if master and worker:
        raise click.UsageError("--master or --worker, not both")
    if worker and not master_host:
        raise click.UsageError("--worker needs --master-host (the machine running --master)")
    if workers and (master or worker):
        raise click.UsageError("--workers starts local workers; with --master/--worker drop it")
    return "master" if master else "worker" if worker else "local"


_PROFILE_HELP = "; ".join(f"{name}: {text}" for name, (_, text) in PROFILES.items())


@load.command()
@click.argument("url")
@public_key_option
@app_secret_option
@click.option(
    "--flow",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Walk users through this Flow JSON (default: health checks only).",
)
@click.option(
    "--flow-token",
    envvar="FLOWHARNESS_FLOW_TOKEN",
    show_envvar=True,
    metavar="TOKEN",
    help="--flow: the flow token every journey sends.",
)
@click.option(
    "--token-secret",
    envvar="FLOWHARNESS_TOKEN_SECRET",
    show_envvar=True,
    metavar="SECRET",
    help="--flow: mint a token per person with the reference server's token secret.",
)
@click.option("--flow-id", help="--token-secret: the flow id put in minted tokens.")
@_run_options(users=10, spawn_rate=1.0, duration="1m", think=1.0)
@click.option(
    "--profile",
    type=click.Choice(list(PROFILES)),
    help=f"A ramp instead of -u/-r/-t: {_PROFILE_HELP}.",
)
@click.option(
    "--ramp",
    metavar="STAGES",
    help="A ramp of END:USERS:RATE stages instead of -u/-r/-t, e.g. 2m:10:1,10m:50:2,11m:0:10.",
)
@click.option("--master", is_flag=True, help="Run the master of a distributed run; it judges it.")
@click.option(
    "--expect-workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="--master: start when this many workers are connected.",
)
@click.option(
    "--master-bind-host", default="*", show_default=True, help="--master: interface to listen on."
)
@click.option(
    "--worker", is_flag=True, help="Run a worker for the master at --master-host (needs the keys)."
)
@click.option("--master-host", metavar="HOST", help="--worker: the machine running --master.")
@click.option("--master-port", type=click.IntRange(1, 65535), default=5557, show_default=True)
def run(
    url: str,
    public_key: Path | None,
    app_secret: str | None,
    flow: Path | None,
    flow_token: str | None,
    token_secret: str | None,
    flow_id: str | None,
    options: RunOptions,
    profile: str | None,
    ramp: str | None,
    master: bool,
    expect_workers: int,
    master_bind_host: str,
    worker: bool,
    master_host: str | None,
    master_port: int,
) -> None:
    """Load the Flows endpoint at URL: health checks by default, journeys with --flow.

    Requests are encrypted and signed like WhatsApp's (--public-key, --app-secret).
    Several machines: `--master --expect-workers N` on one, `--worker --master-host HOST`
    on each of the others (the workers need the keys; only the master judges).
    """
    _require_locust()
    role = _role(master, worker, master_host, options.workers)
    seconds = options.seconds
    stages = _ramp(profile, ramp)
    host, path = _split_url(url)
    console = options.console()
    environ = _environment(
        public_key=public_key,
        app_secret=app_secret,
        flow_token=flow_token,
        token_secret=token_secret,
        flow_id=flow_id,
        flow_json=flow,
        endpoint_path=path,
        think_scale=options.think_scale,
        **options.budget,
    )
    if stages is not None:
        environ["FLOWHARNESS_RAMP"] = stages
    budget = _budget(options.budget, environ)
    if role != "master":
        _check_user_settings(environ, flow)
    files = [locustfile("walker" if flow else "lead-capture")]
    if stages is not None:
        files.append(locustfile("ramp"))
        seconds = parse_ramp(stages)[-1].until_seconds
    locust_run = LocustRun(
        host=host,
        locustfiles=files,
        user_classes=["WalkerJourneyUser" if flow else "HealthCheckUser"],
        users=options.users,
        spawn_rate=options.spawn_rate,
        run_time=None if stages is not None else f"{seconds:.0f}s",
        processes=options.workers,
        role=role,
        master_host=master_host or "127.0.0.1",
        master_port=master_port,
        master_bind_host=master_bind_host,
        expect_workers=expect_workers,
        html=options.html,
        environ=environ,
    )
    journeys = f"journeys through {flow}" if flow else "health checks"
    load_text = f"the ramp {stages}" if stages else f"{options.users} users for {options.duration}"
    if role == "worker":
        console.print(f"load worker: {journeys} for the master at {master_host}:{master_port}")
        raise SystemExit(run_locust(locust_run, log=None))
    where = (
        f" (master: waiting for {expect_workers} worker(s) on port {master_port})" if master else ""
    )
    console.print(f"load run: {journeys}, {load_text}, against {url}{where}")
    with _outputs(options.csv_prefix) as outputs:
        timeout = None if master else seconds + _START_MARGIN
        code = _execute(
            locust_run, outputs, budget, console, timeout=timeout, as_json=options.as_json
        )
    raise SystemExit(code)
