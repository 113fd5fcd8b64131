"""Scenario files: the schema, and errors that name the file, the line and what was expected."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from harness.scenarios import ScenarioFileError, discover, load_scenario, scenario_schema

from .conftest import CATALOG

GOOD = """\
name: minimal
setup:
  crm: none
  mocks: []
steps:
  - send: {action: ping}
    expect: {status: 200}
"""

BAD_FILES = {
    "unknown_action": (
        """\
name: bad action
steps:
  - send: {action: ping}
  - send:
      action: PONG
""",
        5,
        "'PONG' is not allowed; expected one of: ping, INIT",
    ),
    "two_kinds": (
        """\
name: two kinds in a step
steps:
  - send: {action: ping}
    sleep: 1
""",
        3,
        "exactly one of send, walk",
    ),
    "no_kind": (
        """\
name: nothing to do
steps:
  - send: {action: ping}
  - name: only a name
""",
        4,
        "found: none",
    ),
    "typo_in_expect": (
        """\
name: typo
steps:
  - send: {action: ping}
    expect:
      status: 200
      screne: LEAD
""",
        6,
        "'screne' was unexpected",
    ),
    "missing_steps": ("name: no steps\n", 1, "'steps' is a required property"),
    "bad_mock": (
        """\
name: bad mock
setup:
  crm: hubspot
  mocks: [slack, pigeon]
steps:
  - sleep: 0
""",
        4,
        "'pigeon' is not allowed",
    ),
    "bad_check_count": (
        """\
name: bad count
steps:
  - check:
      contacts: {}
      count: many
""",
        5,
        "count",
    ),
    "admin_with_get_and_post": (
        """\
name: admin both ways
steps:
  - admin: {mock: cloud_api, get: media, post: media}
""",
        3,
        "admin",
    ),
    "not_yaml": ("name: [unclosed\nsteps: []\n", 2, "not valid YAML"),
    "not_a_mapping": ("- just\n- a list\n", 1, "a mapping with name and steps"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_name_the_file_line_and_expectation(tmp_path: Path, case: str) -> None:
    text, line, expected = BAD_FILES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(path)
    error = info.value
    assert error.path == path
    assert error.line == line, str(error)
    assert expected in str(error)
    assert str(error).startswith(f"{path}:{line}:")


def test_a_good_file_loads_with_defaults_and_step_lines(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(GOOD)
    scenario = load_scenario(path)
    assert scenario.id == "ok"
    assert scenario.setup.crm == "none"
    assert scenario.targets == ("embedded", "remote")
    (step,) = scenario.steps
    assert (step.kind, step.name, step.line, step.expect) == (
        "send",
        "send ping",
        6,
        {"status": 200},
    )


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ScenarioFileError, match="no such file"):
        discover([tmp_path / "nope.yaml"])


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(scenario_schema())


@pytest.mark.parametrize("path", sorted(CATALOG.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_catalog_file_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.description, "catalog scenarios explain themselves"
    assert json.loads(json.dumps(scenario.setup.vars)) == scenario.setup.vars  # plain JSON
