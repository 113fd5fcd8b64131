"""Scenario files and their runner: a team's endpoint, a story, and the checks that matter.

    from harness.scenarios import EmbeddedTarget, load_scenarios, run_scenarios

    scenarios = load_scenarios(["scenarios/"])
    run = run_scenarios(scenarios, EmbeddedTarget(), parallel=4)
    for result in run.scenarios:
        print(result.report())

A scenario file (YAML, checked by ``scenario.schema.json``, see ``scenarios/README.md``)
sets up a flow, mocks, faults, people and flow tokens, then plays steps (``send``,
``repeat``, ``walk``, ``fault``, ``wait_for``, ``check``, ``webhook``, ``sleep``) with
expectations on each answer and on the mocks. Targets: :class:`EmbeddedTarget`
(the reference endpoint, its worker and the mocks in-process) and
:class:`RemoteTarget` (an endpoint and mocks on the network).
"""

from harness.scenarios._catalog import catalog_path
from harness.scenarios._context import Variables
from harness.scenarios._embedded import EmbeddedTarget, reference_flow
from harness.scenarios._environment import ALERTS_PATH, NOTIFY_PATH, Environment
from harness.scenarios._keys import KeySet
from harness.scenarios._loader import (
    discover,
    load_scenario,
    load_scenarios,
    parse_scenario,
    scenario_schema,
)
from harness.scenarios._matchers import MATCHERS, mismatches
from harness.scenarios._model import Scenario, Setup, Step
from harness.scenarios._people import person
from harness.scenarios._remote import RemoteTarget
from harness.scenarios._results import Exchange, RunResult, ScenarioResult, StepResult
from harness.scenarios._runner import (
    Progress,
    ScenarioRunner,
    Target,
    arun_scenario,
    arun_scenarios,
    run_scenarios,
    select,
)
from harness.scenarios.exceptions import (
    ScenarioError,
    ScenarioFileError,
    ScenarioRuntimeError,
    TargetError,
)

__all__ = [
    "ALERTS_PATH",
    "MATCHERS",
    "NOTIFY_PATH",
    "EmbeddedTarget",
    "Environment",
    "Exchange",
    "KeySet",
    "Progress",
    "RemoteTarget",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "ScenarioFileError",
    "ScenarioResult",
    "ScenarioRunner",
    "ScenarioRuntimeError",
    "Setup",
    "Step",
    "StepResult",
    "Target",
    "TargetError",
    "Variables",
    "arun_scenario",
    "arun_scenarios",
    "catalog_path",
    "discover",
    "load_scenario",
    "load_scenarios",
    "mismatches",
    "parse_scenario",
    "person",
    "reference_flow",
    "run_scenarios",
    "scenario_schema",
    "select",
]
