"""The whole catalog passes on the embedded target, and scenarios fail against broken endpoints."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.scenarios import EmbeddedTarget, KeySet, arun_scenario, load_scenario
from tests.support import broken_endpoints

from .conftest import CATALOG

SLOW_TAGS = {"latency"}  # the 10 s slow CRM: real sleeps


def _catalog_params() -> list[Any]:
    params = []
    for path in sorted(CATALOG.glob("*.yaml")):
        slow = SLOW_TAGS & set(load_scenario(path).tags)
        marks = [pytest.mark.slow] if slow else []
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


@pytest.mark.anyio
@pytest.mark.parametrize("path", _catalog_params())
async def test_catalog_scenario_passes_embedded(path: Path, embedded: EmbeddedTarget) -> None:
    result = await arun_scenario(load_scenario(path), embedded)
    assert result.status == "passed", result.report()
    assert all(step.status == "passed" for step in result.steps)


def _broken(variant: Callable[..., Any], keys: KeySet, **extra: Any) -> Callable[[Any], Any]:
    """An app factory: the broken variant built on the scenario's own settings."""

    def factory(settings: Any) -> Any:
        # "crm" would collide with crm_inline's own argument; hubspot is the default anyway
        values = {n: getattr(settings, n) for n in type(settings).model_fields if n != "crm"}
        return variant(keys.pem("current"), keys.secrets["current"], **values, **extra)

    return factory


CASES = {
    "no_signature_check": (
        broken_endpoints.no_signature_check,
        {},
        "signature",
        0,
        "status: expected 432, got 200",
    ),
    "five_hundred_on_bad_tag": (
        broken_endpoints.five_hundred_on_bad_tag,
        {},
        "wrong_key",
        0,
        "status: expected 421, got 500",
    ),
    "no_idempotency": (
        broken_endpoints.no_idempotency,
        {},
        "double_tap",
        3,
        "slack notifications: expected 1, found 5",
    ),
    "crm_inline": (
        broken_endpoints.crm_inline,
        # a 0.5 s budget instead of 3 s, so the CRM need only sleep 0.8 s to break it
        {"crm_delay": 0.8, "drive_worker": False, "budget": 0.5},
        "crm_slow",
        0,
        "within_budget: expected True, got False",
    ),
}


@pytest.mark.anyio
@pytest.mark.parametrize("case", sorted(CASES))
async def test_scenarios_fail_against_broken_endpoints(case: str, key_set: KeySet) -> None:
    variant, extra, scenario_id, step_index, message = CASES[case]
    extra = dict(extra)
    drive = extra.pop("drive_worker", True)
    budget = extra.pop("budget", 3.0)
    factory = _broken(variant, key_set, **extra)
    target = EmbeddedTarget(app_factory=factory, keys=key_set, drive_worker=drive, budget=budget)
    result = await arun_scenario(load_scenario(CATALOG / f"{scenario_id}.yaml"), target)
    assert result.status == "failed", result.report()
    failed = result.failed_step
    assert failed is not None, result.report()
    assert failed.index == step_index, result.report()
    assert any(message in failure for failure in failed.failures), result.report()
    assert message in result.report()


@pytest.mark.anyio
async def test_a_crashing_step_is_an_error_and_later_steps_do_not_run(
    tmp_path: Path, embedded: EmbeddedTarget
) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(
        "name: typo\nsetup: {crm: none, mocks: []}\nsteps:\n"
        "  - send: {action: INIT, flow_token: '${nobody}'}\n  - send: {action: ping}\n"
    )
    result = await arun_scenario(load_scenario(path), embedded)
    assert result.status == "error"
    assert "variable 'nobody' not found" in result.report()
    assert [s.status for s in result.steps] == ["error", "not run"]


@pytest.mark.anyio
async def test_scenario_timeout_fails_the_running_step(
    tmp_path: Path, embedded: EmbeddedTarget
) -> None:
    path = tmp_path / "slow.yaml"
    path.write_text(
        "name: slow\ntimeout: 0.3\nsetup: {crm: none, mocks: []}\nsteps:\n  - sleep: 5\n"
    )
    result = await arun_scenario(load_scenario(path), embedded)
    assert result.status == "failed"
    assert "timed out after 0.3 s" in result.steps[0].failures[0]


@pytest.mark.anyio
async def test_embedded_only_scenarios_are_skipped_elsewhere(tmp_path: Path) -> None:
    from harness.scenarios import RemoteTarget

    target = RemoteTarget("http://127.0.0.1:9", public_key=b"unused", app_secret="x")
    result = await arun_scenario(load_scenario(CATALOG / "private_key_rotation.yaml"), target)
    assert result.status == "skipped"
    assert "embedded only" in result.error
