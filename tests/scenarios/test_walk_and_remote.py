"""The walk step, the remote target's mocks config and what it refuses to run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.scenarios import (
    EmbeddedTarget,
    RemoteTarget,
    TargetError,
    arun_scenario,
    load_scenario,
    parse_scenario,
)
from harness.scenarios._remote import parse_mock_options, parse_mocks_config, unsupported

from .conftest import CATALOG, ROOT

FLOW = (ROOT / "reference_server" / "flows" / "lead_capture.json").as_posix()
WALK = f"""\
name: walk
setup:
  flow: {FLOW}
  crm: none
  mocks: []
  people: {{ana: {{seed: 3}}}}
  tokens:
    token: {{phone: "${{ana.phone}}"}}
    forged: {{phone: "${{ana.phone}}", forged: true}}
steps:
"""


@pytest.mark.anyio
async def test_a_walk_with_a_forged_token_fails_with_the_journey(
    embedded: EmbeddedTarget,
) -> None:
    scenario = parse_scenario(WALK + '  - walk: {flow_token: "${forged}", seed: 1}\n', "w.yaml")
    result = await arun_scenario(scenario, embedded)
    assert result.status == "failed", result.report()
    failures = "\n".join(result.steps[0].failures)
    assert "completed: expected True, got False" in failures
    assert "the journey:" in failures
    assert "flow-token-invalid" in failures
    assert result.steps[0].exchanges[0].status == 427


@pytest.mark.anyio
async def test_a_walk_captures_from_its_completion(embedded: EmbeddedTarget) -> None:
    steps = (
        "  - walk: {seed: 2}\n"
        "    capture: {ref: completion.lead_reference}\n"
        "  - send: {action: ping}\n"
        '    expect: {status: 200, payload: {data: {status: "active${ref}"}}}\n'
    )
    result = await arun_scenario(parse_scenario(WALK + steps, "w.yaml"), embedded)
    # the capture worked: the second step fails, quoting the captured reference
    assert result.steps[0].status == "passed", result.report()
    assert "LEAD -> CONFIRM" in result.steps[0].detail
    assert result.failed_step is not None
    assert result.failed_step.index == 1


@pytest.mark.anyio
async def test_walk_inputs_naming_an_unknown_screen_is_an_error(
    embedded: EmbeddedTarget,
) -> None:
    scenario = parse_scenario(WALK + "  - walk: {inputs: {NOPE: {x: 1}}}\n", "w.yaml")
    result = await arun_scenario(scenario, embedded)
    assert result.status == "error"
    assert "the walk could not start" in result.report()
    assert "NOPE" in result.report()


def test_mocks_config_takes_what_mocks_up_prints() -> None:
    line = json.dumps(
        {
            "mocks": {
                "slack": {"url": "http://127.0.0.1:8101", "admin_url": "x", "credentials": {}},
                "email": {"url": "http://127.0.0.1:8104/", "smtp_port": 8025},
            }
        }
    )
    saved_log = "not installed, skipped: teams\n" + line + "\nmocks stopped\n"
    expected = {"slack": "http://127.0.0.1:8101", "email": "http://127.0.0.1:8104"}
    assert parse_mocks_config(line) == expected
    assert parse_mocks_config(saved_log) == expected
    assert parse_mocks_config('{"hubspot": "http://h:1"}') == {"hubspot": "http://h:1"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no JSON object found"),
        ("{nope", "not valid JSON"),
        ('{"mocks": {"slack": {"admin_url": "x"}}}', r"the slack mock has no http\(s\) url"),
    ],
)
def test_a_bad_mocks_config_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        parse_mocks_config(text)


def test_mock_options() -> None:
    assert parse_mock_options(["slack=http://a:1/"]) == {"slack": "http://a:1"}
    with pytest.raises(TargetError, match="NAME=URL"):
        parse_mock_options(["slack:http://a:1"])


def test_catalog_scenarios_that_need_the_endpoints_insides_are_marked_embedded() -> None:
    checked = 0
    for path in sorted(CATALOG.glob("*.yaml")):
        scenario = load_scenario(path)
        if unsupported(scenario):
            assert scenario.targets == ("embedded",), f"{path.name}: add targets: [embedded]"
            checked += 1
    assert checked > 0, "no catalog scenario needs the endpoint's insides: is the catalog there?"


@pytest.mark.anyio
async def test_remote_skips_a_scenario_reading_a_stream_with_the_reason(tmp_path: Path) -> None:
    text = "name: s\nsetup: {crm: none, mocks: []}\nsteps:\n  - check: {parked: {}, count: 0}\n"
    target = RemoteTarget("http://127.0.0.1:9", public_key=b"unused", app_secret="x")
    result = await arun_scenario(parse_scenario(text, tmp_path / "s.yaml"), target)
    assert result.status == "skipped"
    assert result.error == "embedded only: step 1 reads the endpoint's parked stream"
