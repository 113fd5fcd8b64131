"""The wheel, installed with ``[load]`` into a fresh venv, used from an empty directory.

This is how teams use flowharness: ``pip install flowharness[load]`` in their own
repository, then the command line, the pytest plugin and the load tests. Nothing here
runs from the checkout: each command runs in an empty temporary directory, with the
venv's own executables and no FLOWHARNESS_* settings. ``make test-installed`` (and CI)
runs it.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.support.installed import build_wheel, make_venv, run_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

SHIPPED = (
    "harness/scenarios/catalog/happy_path.yaml",
    "harness/scenarios/catalog/README.md",
    "reference_server/env.example",
    "reference_server/flows/lead_capture.json",
    "loadtests/cli.py",
    "loadtests/locustfile.py",
    "loadtests/locustfile_walker.py",
    "loadtests/ramp.py",
)
WARNING = re.compile(r"warning", re.IGNORECASE)
ROOT = Path(__file__).resolve().parents[2]
OTHER_TEAM = ROOT / "tests" / "data" / "other_team"
SDKS = ("hubspot-api-client", "simple-salesforce", "slack_sdk", "pymsteams", "pywa")
"""The official SDKs another team's app uses (versions as the project's dev extra pins)."""


def sdk_requirements() -> list[str]:
    """The SDKs' requirement strings from pyproject.toml's dev extra, so both stay in step."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    dev = pyproject["project"]["optional-dependencies"]["dev"]
    wanted = {name.lower() for name in SDKS}
    found = [r for r in dev if re.split(r"[<>=!~\[ ]", r, maxsplit=1)[0].lower() in wanted]
    assert len(found) == len(SDKS), found
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh venv with ``flowharness[load]`` and pytest."""
    return make_venv(tmp_path_factory.mktemp("venv"), f"{wheel}[load]", "pytest")


@pytest.fixture(scope="module")
def installed_with_sdks(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh venv with the wheel, pytest and the official SDKs."""
    return make_venv(
        tmp_path_factory.mktemp("venv-sdks"), str(wheel), "pytest", *sdk_requirements()
    )


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    directory = tmp_path / "empty"
    directory.mkdir()
    return directory


def test_the_wheel_ships_the_catalog_the_settings_example_and_the_load_tests(
    wheel: Path,
) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in SHIPPED if name not in names]
    assert not missing, missing
    catalog = [
        n for n in names if n.startswith("harness/scenarios/catalog/") and n.endswith(".yaml")
    ]
    checkout = sorted(Path(__file__).resolve().parents[2].joinpath("scenarios").glob("*.yaml"))
    assert len(catalog) == len(checkout)


def test_demo_runs_from_an_empty_directory_without_a_warning(installed: Path, empty: Path) -> None:
    result = run_in(empty, [str(installed / "flowharness"), "demo"], timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Every scenario passed" in result.stdout
    assert not WARNING.search(output), [
        line for line in output.splitlines() if WARNING.search(line)
    ]
    # piped output keeps long lines whole instead of cutting them at 80 columns
    assert any(line.startswith("Next: `flowharness run") and "mocks up`)." in line
               for line in result.stdout.splitlines())  # fmt: skip
    assert list(empty.iterdir()) == []


def test_run_plays_the_shipped_catalog(installed: Path, empty: Path) -> None:
    report = empty / "report.json"
    result = run_in(
        empty, [str(installed / "flowharness"), "run", "--json", str(report)], timeout=600
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    scenarios = json.loads(report.read_text(encoding="utf-8"))["scenarios"]
    assert len(scenarios) >= 19
    assert {s["status"] for s in scenarios} <= {"passed", "skipped"}


def test_load_smoke_runs_locust_against_the_reference_endpoint(
    installed: Path, empty: Path
) -> None:
    result = run_in(
        empty,
        [str(installed / "flowharness"), "load", "smoke", "--csv", "out/smoke", "--json"],
        timeout=300,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    verdict = json.loads(result.stdout)
    assert verdict["passed"] is True
    figures = verdict["stages"][0]["figures"]
    assert figures["requests"] > 50
    assert figures["failures"] == 0
    stats = (empty / "out" / "smoke_stats.csv").read_text(encoding="utf-8")
    assert "data_exchange:CONFIRM" in stats  # whole lead journeys, not only pings
    health = next(stage for stage in verdict["stages"] if stage["stage"] == "meta health")
    assert health["figures"]["state"] == "PUBLISHED"
    assert health["figures"]["traffic"]["requests"] == figures["requests"]
    assert "requests" in result.stderr  # the live progress line


def test_the_pytest_plugin_works_in_an_empty_project(installed: Path, empty: Path) -> None:
    (empty / "test_with_mocks.py").write_text(
        "def test_hubspot_mock(mock_hubspot):\n"
        "    mock_hubspot.client.post(\n"
        "        '/crm/v3/objects/contacts',\n"
        "        json={'properties': {'email': 'ana@example.com'}},\n"
        "        headers={'Authorization': 'Bearer pat-na1-test'},\n"
        "    )\n"
        "    assert mock_hubspot.admin.count(method='POST') == 1\n\n\n"
        "def test_each_test_gets_a_fresh_mock(mock_hubspot):\n"
        "    assert mock_hubspot.admin.count(method='POST') == 0\n",
        encoding="utf-8",
    )
    (empty / "ping.yaml").write_text(
        "name: Health check\n"
        "setup: {crm: none, mocks: []}\n"
        "steps:\n"
        "  - send: {action: ping}\n"
        "    expect: {status: 200, outcome: ok, payload: {data: {status: active}}}\n",
        encoding="utf-8",
    )
    result = run_in(
        empty,
        [str(installed / "python"), "-m", "pytest", "--scenarios", "-p", "no:cacheprovider"],
        timeout=300,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert re.search(r"\b3 passed\b", result.stdout), result.stdout[-2000:]


def test_serve_without_settings_names_every_missing_one(installed: Path, empty: Path) -> None:
    result = run_in(empty, [str(installed / "flowharness"), "serve", "--with-worker"], timeout=60)
    assert result.returncode != 0
    for variable in (
        "FLOWHARNESS_PRIVATE_KEY_FILES",
        "FLOWHARNESS_APP_SECRETS",
        "FLOWHARNESS_FLOW_TOKEN_SECRETS",
        "FLOWHARNESS_HUBSPOT_TOKEN",
    ):
        assert variable in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    example = run_in(empty, [str(installed / "flowharness"), "serve", "--print-env"], timeout=60)
    assert example.returncode == 0
    assert "FLOWHARNESS_APP_SECRETS=" in example.stdout


def test_a_plain_install_loads_no_hypothesis_or_respx_plugin(installed: Path, empty: Path) -> None:
    probe = (
        "import importlib.metadata as m, importlib.util as u, json; "
        "print(json.dumps({'plugins': sorted(e.name for e in m.entry_points(group='pytest11')), "
        "'hypothesis': bool(u.find_spec('hypothesis')), 'respx': bool(u.find_spec('respx'))}))"
    )
    result = run_in(empty, [str(installed / "python"), "-c", probe], timeout=60)
    found = json.loads(result.stdout)
    assert "flowharness" in found["plugins"]
    assert not found["hypothesis"]
    assert not found["respx"]
    keys = run_in(
        empty, [str(installed / "flowharness"), "keys", "generate", "--out-dir", "."], timeout=60
    )
    assert keys.returncode == 0, keys.stderr
    fuzz = run_in(
        empty,
        [str(installed / "flowharness"), "check", "http://127.0.0.1:9", "--public-key",
         "public.pem", "--fuzz", "5"],
        timeout=60,
        environ={"FLOWHARNESS_APP_SECRET": "secret"},
    )  # fmt: skip
    assert fuzz.returncode != 0
    assert "pip install 'flowharness[hypothesis]'" in fuzz.stderr


def test_another_teams_tests_pass_against_the_fixtures_from_the_wheel(
    installed_with_sdks: Path, empty: Path
) -> None:
    """tests/data/other_team as that team runs it: its app and test file copied into an
    empty directory, pytest run there, the SDKs unmodified against the installed fixtures."""
    shutil.copy(OTHER_TEAM / "lead_app.py", empty / "lead_app.py")
    shutil.copy(OTHER_TEAM / "lead_app_tests.py", empty / "test_lead_app.py")
    tests = (empty / "test_lead_app.py").read_text(encoding="utf-8").count("\ndef test_")
    python = str(installed_with_sdks / "python")
    result = run_in(empty, [python, "-m", "pytest", "-p", "no:cacheprovider", "-rA"], timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert re.search(rf"\b{tests} passed\b", result.stdout), result.stdout[-2000:]
    assert not re.search(r"\b(failed|error|skipped)\b", result.stdout.splitlines()[-1])
    # flowharness came from the wheel in the venv, not from this checkout
    where = run_in(
        empty,
        [python, "-c", "import harness, mocks; print(harness.__file__); print(mocks.__file__)"],
        timeout=60,
    )
    venv = installed_with_sdks.parent
    assert [Path(line).is_relative_to(venv) for line in where.stdout.split()] == [True, True]
