"""Running scenarios: setup, steps in order, a timeout, and many scenarios at once.

Each scenario gets its own environment from the target, so scenarios share no
state and run ``parallel`` at a time on one event loop (slow mocks sleep, they do
not block). The first failing step stops its scenario; later steps are "not run".
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from harness.scenarios._context import Variables
from harness.scenarios._embedded import EmbeddedTarget
from harness.scenarios._environment import Environment
from harness.scenarios._loader import load_scenario, parse_scenario
from harness.scenarios._model import Scenario
from harness.scenarios._people import person
from harness.scenarios._results import RunResult, ScenarioResult, StepResult
from harness.scenarios._steps import fault_rule, run_step
from harness.scenarios.exceptions import ScenarioError

__all__ = [
    "Progress",
    "ScenarioRunner",
    "Target",
    "arun_scenario",
    "arun_scenarios",
    "run_scenarios",
    "select",
]


class Target(Protocol):
    name: str

    def environment(self, scenario: Scenario) -> Environment: ...

    def describe(self) -> str: ...


class Progress(Protocol):
    def started(self, scenario: Scenario) -> None: ...

    def step_done(self, scenario: Scenario, step: StepResult) -> None: ...

    def finished(self, result: ScenarioResult) -> None: ...


def _new_result(scenario: Scenario, target: Target) -> ScenarioResult:
    return ScenarioResult(
        id=scenario.id,
        name=scenario.name,
        path=scenario.path,
        description=scenario.description,
        tags=scenario.tags,
        target=target.name,
        steps=[
            StepResult(index=s.index, name=s.name, kind=s.kind, line=s.line) for s in scenario.steps
        ],
    )


async def _prepare(scenario: Scenario, env: Environment) -> Variables:
    setup = scenario.setup
    variables = Variables()
    for name, options in setup.people.items():
        variables[name] = person(options.get("seed", 0), options.get("region", "FR"))
    for name, value in setup.vars.items():
        variables[name] = variables.fill(value)
    for name, options in setup.tokens.items():
        options = variables.fill(options)
        variables[name] = env.mint_token(
            options["phone"],
            flow_id=options.get("flow_id", ""),
            campaign=options.get("campaign", ""),
            source=options.get("source", ""),
            ttl_seconds=options.get("ttl_seconds"),
            forged=bool(options.get("forged", False)),
        )
    for rule in setup.faults:
        await env.mock(rule["mock"]).post("faults", fault_rule(variables.fill(rule)))
    return variables


async def arun_scenario(
    scenario: Scenario, target: Target, progress: Progress | None = None
) -> ScenarioResult:
    """Run one scenario against ``target``; never raises for a scenario's own problems."""
    result = _new_result(scenario, target)
    if target.name not in scenario.targets:
        result.status = "skipped"
        result.error = f"runs on {', '.join(scenario.targets)} only, not on {target.name}"
        why = _unsupported(target, scenario)
        result.error += f" ({why})" if why else ""
        return result
    reason = _unsupported(target, scenario)
    if reason:
        result.status = "skipped"
        result.error = reason
        return result
    started = time.perf_counter()
    current: StepResult | None = None
    try:
        async with asyncio.timeout(scenario.timeout):
            async with target.environment(scenario) as env:
                variables = await _prepare(scenario, env)
                for step, record in zip(scenario.steps, result.steps, strict=True):
                    current = record
                    record.started = time.perf_counter() - started
                    try:
                        await run_step(step, env, variables, record)
                    finally:
                        record.elapsed = time.perf_counter() - started - record.started
                    record.status = "failed" if record.failures else "passed"
                    if progress is not None:
                        progress.step_done(scenario, record)
                    if record.failures:
                        break
                current = None
        result.status = "failed" if result.failed_step else "passed"
    except TimeoutError:
        result.status = "failed"
        message = f"the scenario timed out after {scenario.timeout:g} s"
        _blame(result, current, message)
    except ScenarioError as exc:
        result.status = "error"
        _blame(result, current, str(exc))
    except Exception as exc:  # a bug or an unexpected crash: report it, keep the run going
        result.status = "error"
        where = traceback.format_exception(exc)[-3:]
        _blame(result, current, f"{type(exc).__name__}: {exc}\n{''.join(where)}".strip())
    result.elapsed = time.perf_counter() - started
    return result


def _unsupported(target: Target, scenario: Scenario) -> str | None:
    # optional on a Target: RemoteTarget says which scenarios need the endpoint's insides
    check = getattr(target, "unsupported", None)
    return check(scenario) if callable(check) else None


def _blame(result: ScenarioResult, step: StepResult | None, message: str) -> None:
    if step is not None:
        step.status = "error" if result.status == "error" else "failed"
        step.failures.append(message)
    else:
        result.error = message


async def arun_scenarios(
    scenarios: Sequence[Scenario],
    target: Target,
    *,
    parallel: int = 4,
    progress: Progress | None = None,
) -> RunResult:
    """Run ``scenarios``, ``parallel`` at a time; results keep the input order."""
    if parallel < 1:
        raise ValueError(f"parallel must be at least 1, not {parallel}")
    parallel = min(parallel, getattr(target, "max_parallel", parallel))
    gate = asyncio.Semaphore(parallel)
    started = time.perf_counter()

    async def one(scenario: Scenario) -> ScenarioResult:
        async with gate:
            if progress is not None:
                progress.started(scenario)
            result = await arun_scenario(scenario, target, progress)
            if progress is not None:
                progress.finished(result)
            return result

    results = await asyncio.gather(*(one(s) for s in scenarios))
    return RunResult(
        target=target.describe(),
        scenarios=list(results),
        elapsed=time.perf_counter() - started,
        parallel=parallel,
    )


def run_scenarios(
    scenarios: Sequence[Scenario],
    target: Target,
    *,
    parallel: int = 4,
    progress: Progress | None = None,
) -> RunResult:
    """:func:`arun_scenarios` for synchronous code (starts its own event loop)."""
    return asyncio.run(arun_scenarios(scenarios, target, parallel=parallel, progress=progress))


def select(scenarios: Sequence[Scenario], pattern: str | None) -> list[Scenario]:
    """Scenarios whose id, name or tags contain ``pattern`` (case-insensitive); all if None."""
    if not pattern:
        return list(scenarios)
    needle = pattern.casefold()
    chosen: list[Scenario] = []
    for s in scenarios:
        haystack: list[Any] = [s.id, s.name, *s.tags]
        if any(needle in str(h).casefold() for h in haystack):
            chosen.append(s)
    return chosen


class ScenarioRunner:
    """Runs scenario files or texts against one target, embedded unless told otherwise.

    What the ``scenario_runner`` fixture gives teams writing their own tests.
    """

    def __init__(self, target: Target | None = None) -> None:
        self.target: Target = target if target is not None else EmbeddedTarget()

    async def arun(self, path: Path | str) -> ScenarioResult:
        return await arun_scenario(load_scenario(path), self.target)

    async def arun_text(self, text: str, *, name: str = "<string>") -> ScenarioResult:
        return await arun_scenario(parse_scenario(text, name), self.target)

    def run(self, path: Path | str) -> ScenarioResult:
        """Run one scenario file (starts its own event loop)."""
        return asyncio.run(self.arun(path))

    def run_text(self, text: str, *, name: str = "<string>") -> ScenarioResult:
        """Run a scenario given as YAML text; ``name`` is what errors call the file."""
        return asyncio.run(self.arun_text(text, name=name))
