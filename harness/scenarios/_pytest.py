"""Scenario files as pytest items; imported by ``harness.pytest_plugin`` only when needed.

Each file is one :class:`ScenarioFile` holding one :class:`ScenarioItem`. A failing
scenario's message is its own report (every step, why the failing one failed),
not a traceback of the runner; a bad file is a collection error at ``file:line``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from harness.scenarios._loader import load_scenario
from harness.scenarios._model import Scenario
from harness.scenarios._results import ScenarioResult
from harness.scenarios._runner import Target, arun_scenario
from harness.scenarios.exceptions import ScenarioError, ScenarioFileError

__all__ = ["ScenarioFailed", "ScenarioFile", "ScenarioItem", "target_from_config"]

_TARGET = pytest.StashKey["Target"]()


class ScenarioFailed(Exception):
    """A scenario did not pass; carries its result for :meth:`ScenarioItem.repr_failure`."""

    def __init__(self, result: ScenarioResult):
        step = result.failed_step
        if step is not None:
            why = step.failures[0].splitlines()[0] if step.failures else step.status
            summary = f"step {step.index + 1} (line {step.line}) {step.name}: {why}"
        else:
            summary = result.error or result.status
        super().__init__(summary)
        self.result = result


def target_from_config(config: pytest.Config) -> Target:
    """The target the ``--scenario-*`` options describe, built once per session."""
    if _TARGET not in config.stash:
        config.stash[_TARGET] = _build_target(config)
    return config.stash[_TARGET]


def _build_target(config: pytest.Config) -> Target:
    option = config.getoption
    budget = float(option("scenario_budget"))
    if option("scenario_target") != "remote":
        from harness.scenarios._embedded import EmbeddedTarget

        return EmbeddedTarget(budget=budget)
    from harness.scenarios._remote import RemoteTarget, parse_mock_options, read_mocks_config

    key_path = Path(option("scenario_public_key"))
    try:
        public_key = key_path.read_bytes()
    except OSError as exc:
        raise pytest.UsageError(f"--scenario-public-key {key_path}: {exc.strerror}") from exc
    try:
        config_path = option("scenario_mocks_config")
        mocks = read_mocks_config(config_path) if config_path else {}
        mocks |= parse_mock_options(option("scenario_mock") or ())
        return RemoteTarget(
            option("scenario_endpoint"),
            public_key=public_key,
            app_secret=option("scenario_app_secret"),
            mocks=mocks,
            crm=option("scenario_crm"),
            flow_token_secret=option("scenario_flow_token_secret"),
            webhook_url=option("scenario_webhook_url"),
            sql_url=option("scenario_sql_url"),
            sql_record_url_template=option("scenario_sql_record_url"),
            budget=budget,
        )
    except ScenarioError as exc:
        raise pytest.UsageError(str(exc)) from exc


class ScenarioFile(pytest.File):
    def collect(self) -> list[ScenarioItem]:
        scenario = load_scenario(self.path)
        item = ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)
        return [item]

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ScenarioFileError):
            return f"bad scenario file {excinfo.value}"
        return super().repr_failure(excinfo)


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, **kwargs: Any):
        super().__init__(**kwargs)
        self.scenario = scenario
        self.result: ScenarioResult | None = None
        # -k selects by tag as well as by file and scenario name
        self.extra_keyword_matches.update(scenario.tags)

    def runtest(self) -> None:
        target = target_from_config(self.config)
        self.result = asyncio.run(arun_scenario(self.scenario, target))
        self.user_properties.append(("scenario_status", self.result.status))
        if self.result.status == "skipped":
            pytest.skip(self.result.error)
        if not self.result.passed:
            raise ScenarioFailed(self.result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ScenarioFailed):
            return excinfo.value.result.report()
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.scenario.name}"
