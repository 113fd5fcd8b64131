"""Locust event hooks: the load test's options, a config check at start, the budget at the end.

Importing this module registers the listeners (locust's way); locustfiles import it.
The budget is judged where the complete figures are: on a ``MasterRunner`` in a
distributed run, on the ``LocalRunner`` otherwise, never on a worker. The verdict sets
``environment.process_exit_code`` (0 or 1), overriding locust's "any failure -> 1" rule.
The same process writes the live figures to ``--progress-file`` every second, and at
the end rewrites the ``--csv`` stats and failures from the final figures: locust's own
CSV writer runs once a second and closes its files without a last write, so a run's
final second could be missing from them.
"""

from __future__ import annotations

import csv
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

from loadtests.budget import (
    OVER_BUDGET_MARKER,
    Budget,
    BudgetConfigError,
    Figures,
    Verdict,
    judge,
)
from loadtests.config import ENVIRONMENT_VARIABLES, LoadConfigError
from loadtests.progress import Snapshot, write_snapshot
from loadtests.users import LeadSubmission, LoadContext
from loadtests.walking import WalkerUser

__all__ = ["figures_from_stats", "judge_environment"]

log = logging.getLogger("loadtests")

_OPTIONS: dict[str, tuple[str, bool]] = {
    "public_key": ("PEM file of the endpoint's business public key", False),
    "app_secret": ("app secret that signs requests (X-Hub-Signature-256)", True),
    "token_secret": ("flow-token secret of the reference server: mint a token per person", True),
    "flow_token": ("fixed flow token, when tokens cannot be minted", True),
    "flow_id": ("flow id put in minted tokens (lead_capture)", False),
    "flow_json": ("Flow JSON answers are checked against ('none': shape checks only)", False),
    "endpoint_path": ("path of the Flows endpoint on --host (/)", False),
    "think_scale": ("multiplier of the think times (1 = realistic, 0 = none)", False),
    "request_budget": ("seconds no single request may take (3)", False),
    "max_failure_ratio": ("highest failure ratio that passes (0.01)", False),
    "max_p90": ("p90 limit in seconds (1.0, Meta's ENDPOINT_LATENCY alert)", False),
    "max_p95": ("p95 limit in seconds (2.0)", False),
    "max_p99": ("p99 limit in seconds (3.0)", False),
    "progress_file": ("file the live figures are written to every second, as JSON", False),
}


@events.init_command_line_parser.add_listener
def _add_options(parser: LocustArgumentParser, **_: Any) -> None:
    for name, (help_text, secret) in _OPTIONS.items():
        variable = ENVIRONMENT_VARIABLES[name]
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            default="",
            env_var=variable,
            help=f"flowharness: {help_text} [env {variable}]",
            is_secret=secret,
        )


def figures_from_stats(environment: Environment) -> Figures:
    """The run's figures from locust's aggregated stats (milliseconds -> seconds)."""
    total = environment.stats.total
    over_budget = sum(
        error.occurrences
        for error in environment.stats.errors.values()
        if OVER_BUDGET_MARKER in str(error.error)
    )
    ms = 1000.0
    has_requests = total.num_requests > 0
    return Figures(
        requests=total.num_requests,
        failures=total.num_failures,
        over_budget=over_budget,
        max_seconds=(total.max_response_time or 0) / ms,
        p90_seconds=total.get_response_time_percentile(0.90) / ms if has_requests else 0.0,
        p95_seconds=total.get_response_time_percentile(0.95) / ms if has_requests else 0.0,
        p99_seconds=total.get_response_time_percentile(0.99) / ms if has_requests else 0.0,
    )


def judge_environment(environment: Environment) -> Verdict:
    budget = Budget.from_options(environment.parsed_options)
    return judge(figures_from_stats(environment), budget)


def _judges(environment: Environment) -> bool:
    """Whether this process holds the run's complete figures (not a worker)."""
    return environment.parsed_options is not None and not isinstance(
        environment.runner, WorkerRunner
    )


class _ProgressWriter:
    """Writes the run's figures to ``--progress-file`` every second, then once at the end."""

    def __init__(self, environment: Environment, path: Path):
        self.environment = environment
        self.path = path
        self.started = time.monotonic()
        self.peak_users = 0
        self._greenlet = gevent.spawn(self._loop)

    def snapshot(self, state: str | None = None) -> Snapshot:
        total = self.environment.stats.total
        runner = self.environment.runner
        if isinstance(runner, MasterRunner):  # its user_count stays 0: workers report classes
            users = sum(runner.reported_user_classes_count.values())
        else:
            users = runner.user_count if runner is not None else 0
        self.peak_users = max(self.peak_users, users)
        return Snapshot(
            elapsed_seconds=time.monotonic() - self.started,
            users=users,
            peak_users=self.peak_users,
            requests=total.num_requests,
            failures=total.num_failures,
            rps=total.current_rps,
            p90_seconds=total.get_response_time_percentile(0.90) / 1000.0
            if total.num_requests
            else 0.0,
            state=state or (str(runner.state) if runner is not None else "starting"),
        )

    def _write(self, snapshot: Snapshot) -> bool:
        try:
            write_snapshot(self.path, snapshot)
        except OSError as exc:
            log.warning("cannot write the progress file %s: %s", self.path, exc)
            return False
        return True

    def _loop(self) -> None:
        while self._write(self.snapshot()):
            gevent.sleep(1.0)

    def finish(self) -> None:
        self._greenlet.kill()  # first: it could write over the final figures
        self._write(self.snapshot("stopped"))


@events.init.add_listener
def _start_progress(environment: Environment, **_: Any) -> None:
    path = getattr(environment.parsed_options, "progress_file", "") if _judges(environment) else ""
    if path:
        environment.flowharness_progress = _ProgressWriter(environment, Path(path))  # type: ignore[attr-defined]


@events.init.add_listener
def _check_config(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, MasterRunner) or environment.parsed_options is None:
        return  # the master sends no requests; workers check their own keys
    try:
        context = LoadContext.build(environment)
    except (LoadConfigError, BudgetConfigError) as exc:
        sys.exit(f"flowharness load test: {exc}")
    journeys = any(
        LeadSubmission in _task_sets(user_class) for user_class in environment.user_classes
    )
    walkers = any(issubclass(user_class, WalkerUser) for user_class in environment.user_classes)
    if walkers:
        _check_walker_flow(context)
    if journeys and not context.config.tokens.available:
        sys.exit(
            "flowharness load test: lead journeys need flow tokens: set "
            "FLOWHARNESS_TOKEN_SECRET (--token-secret) or FLOWHARNESS_FLOW_TOKEN (--flow-token)"
        )


def _check_walker_flow(context: LoadContext) -> None:
    if context.contract is None:
        sys.exit(
            "flowharness load test: walker journeys need a flow: set FLOWHARNESS_FLOW_JSON "
            "(--flow-json) to the Flow JSON file, not 'none'"
        )
    if context.contract.data_api_version is None:
        sys.exit(
            f"flowharness load test: {context.config.flow_json} has no data_api_version, so "
            "its journeys never call an endpoint: pick a flow that does"
        )


def _task_sets(user_class: type) -> list[Any]:
    tasks = getattr(user_class, "tasks", [])
    return list(tasks.keys() if isinstance(tasks, dict) else tasks)


@events.quitting.add_listener
def _enforce_budget(environment: Environment, **_: Any) -> None:
    if not _judges(environment):
        return
    prefix = getattr(environment.parsed_options, "csv_prefix", None)
    if prefix:
        _write_final_csv(environment, prefix)
    progress = getattr(environment, "flowharness_progress", None)
    if progress is not None:
        progress.finish()
    try:
        verdict = judge_environment(environment)
    except (LoadConfigError, BudgetConfigError) as exc:
        log.error("budget not checked: %s", exc)
        environment.process_exit_code = 2
        return
    (log.info if verdict.passed else log.error)("%s", verdict.summary())
    environment.process_exit_code = verdict.exit_code


def _write_final_csv(environment: Environment, prefix: str) -> None:
    """``PREFIX_stats.csv`` and ``PREFIX_failures.csv`` from the final figures.

    Each file is replaced, not rewritten: locust's writer keeps its own handle on the
    old file until it closes it, and anything it still writes goes there.
    """
    writer = StatsCSV(environment, PERCENTILES_TO_REPORT)
    for suffix, write in (("stats", writer.requests_csv), ("failures", writer.failures_csv)):
        path = Path(f"{prefix}_{suffix}.csv")
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            with partial.open("w", newline="", encoding="utf-8") as handle:
                write(csv.writer(handle))
            partial.replace(path)
        except OSError as exc:
            log.error("cannot write the final %s: %s", path, exc)
