"""Paths a scenario names resolve beside its file; the catalog is found from any directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.scenarios import (
    EmbeddedTarget,
    ScenarioError,
    ScenarioFileError,
    _catalog,
    arun_scenario,
    catalog_path,
    load_scenario,
    reference_flow,
)

WALK = """\
name: walk a flow named beside this file
setup:
{flow}  crm: none
  mocks: []
  people: {{ana: {{seed: 3}}}}
  tokens:
    token: {{phone: "${{ana.phone}}"}}
steps:
  - walk: {{seed: 1}}
"""


def _scenario(folder: Path, flow: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "my.yaml"
    path.write_text(WALK.format(flow=f"  flow: {flow}\n" if flow else ""))
    return path


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no scenarios/ and none of the scenario's files."""
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


@pytest.mark.anyio
async def test_a_flow_relative_to_the_scenario_file_walks_from_another_directory(
    tmp_path: Path, elsewhere: Path, embedded: EmbeddedTarget
) -> None:
    flows = tmp_path / "team" / "flows"
    flows.mkdir(parents=True)
    shutil.copyfile(reference_flow(), flows / "lead.json")
    path = _scenario(tmp_path / "team", "flows/lead.json")
    scenario = load_scenario(path)
    assert scenario.setup.flow == (flows / "lead.json").resolve()
    result = await arun_scenario(scenario, embedded)
    assert result.status == "passed", result.report()
    assert "LEAD -> CONFIRM" in result.steps[0].detail


@pytest.mark.anyio
async def test_the_default_flow_does_not_depend_on_the_current_directory(
    tmp_path: Path, elsewhere: Path, embedded: EmbeddedTarget
) -> None:
    scenario = load_scenario(_scenario(tmp_path / "team", None))
    assert scenario.setup.flow is None
    result = await arun_scenario(scenario, embedded)
    assert result.status == "passed", result.report()


def test_a_flow_relative_to_the_current_directory_still_loads(
    tmp_path: Path, elsewhere: Path
) -> None:
    (elsewhere / "flow.json").write_text("{}")
    scenario = load_scenario(_scenario(tmp_path / "team", "flow.json"))
    assert scenario.setup.flow == (elsewhere / "flow.json").resolve()


def test_the_file_beside_the_scenario_wins_over_the_current_directory(
    tmp_path: Path, elsewhere: Path
) -> None:
    (elsewhere / "flow.json").write_text("{}")
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "flow.json").write_text("{}")
    scenario = load_scenario(_scenario(tmp_path / "team", "flow.json"))
    assert scenario.setup.flow == (tmp_path / "team" / "flow.json").resolve()


def test_a_missing_flow_names_the_scenario_file_and_line(tmp_path: Path, elsewhere: Path) -> None:
    path = _scenario(tmp_path / "team", "flows/nope.json")
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(path)
    error = caught.value
    assert error.path == path
    assert error.line == 3  # name, setup:, flow:
    assert str(error).startswith(f"{path}:3: setup.flow: no such file: flows/nope.json")
    assert str(tmp_path / "team" / "flows" / "nope.json") in str(error)


def test_cli_run_reports_a_missing_flow(tmp_path: Path, elsewhere: Path) -> None:
    path = _scenario(tmp_path / "team", "nope.json")
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 1
    assert f"{path}:3: setup.flow: no such file: nope.json" in result.output


def test_demo_runs_from_any_directory(elsewhere: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "-k", "ping"])
    assert result.exit_code == 0, result.output
    assert "Every scenario passed" in result.output


def test_run_without_paths_plays_the_catalog_from_any_directory(elsewhere: Path) -> None:
    result = CliRunner().invoke(main, ["run", "-k", "ping"])
    assert result.exit_code == 0, result.output
    assert "Health check (ping)" in result.output
    assert "passed" in result.output


def test_the_catalog_in_the_current_directory_comes_first(elsewhere: Path) -> None:
    (elsewhere / "scenarios").mkdir()
    assert catalog_path().resolve() == elsewhere / "scenarios"


def test_the_checkout_catalog_is_the_fallback(elsewhere: Path) -> None:
    assert catalog_path() == Path(_catalog.__file__).resolve().parents[2] / "scenarios"


def test_no_catalog_says_what_to_do(elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_catalog, "_CHECKOUT", elsewhere / "installed")
    monkeypatch.setattr(_catalog, "_SHIPPED", "not-shipped")
    with pytest.raises(ScenarioError, match="pass scenario files or folders"):
        catalog_path()
