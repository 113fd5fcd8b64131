"""Walker journeys under locust (subprocesses only) against stub endpoints made from Flow JSON."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.smoke import ServedTarget, serve_target
from loadtests.verdict import figures_from_csv

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "loadtests" / "locustfile_walker.py"
FLOWS = ROOT / "tests" / "data" / "flows"
LEAD_CAPTURE = ROOT / "reference_server" / "flows" / "lead_capture.json"


def clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FLOWHARNESS_")}


def walker_locust(
    target: ServedTarget, flow: Path, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--only-summary"]
    command += ["--host", target.url, "--flow-json", str(flow), *args]
    env = target.environ | {"FLOWHARNESS_THINK_SCALE": "0.02"}
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def request_names(prefix: Path) -> set[str]:
    with Path(f"{prefix}_stats.csv").open(newline="", encoding="utf-8") as handle:
        return {row["Name"] for row in csv.DictReader(handle)} - {"Aggregated"}


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        (LEAD_CAPTURE, {"INIT", "data_exchange:LEAD", "data_exchange:CONFIRM"}),
        (FLOWS / "v6.2-navigation-list-dynamic.json", {"INIT", "data_exchange:FIRST_SCREEN"}),
    ],
    ids=["lead-capture", "navigation-list-dynamic"],
)
def test_walker_journeys_through_a_stub_pass_the_budget(
    tmp_path: Path, flow: Path, expected: set[str]
) -> None:
    prefix = tmp_path / "walk"
    with serve_target(
        tmp_path, extra_args=["--stub", str(flow)], environ=clean_environ()
    ) as target:
        run = walker_locust(
            target, flow, "--headless", "-u", "4", "-r", "4", "-t", "5s", "--csv", str(prefix)
        )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "loadtests: PASS:" in run.stderr
    names = request_names(prefix)
    assert expected <= names, names
    assert not any(name.startswith("error_notification") for name in names)
    figures = figures_from_csv(prefix)
    assert figures.requests > len(expected)
    assert figures.failures == 0


def test_a_broken_contract_fails_each_request_by_name(tmp_path: Path) -> None:
    # the endpoint serves the lead flow, the load test checks answers against another flow
    prefix = tmp_path / "broken"
    served, expected = LEAD_CAPTURE, FLOWS / "v6.2-navigation-list-dynamic.json"
    with serve_target(
        tmp_path, extra_args=["--stub", str(served)], environ=clean_environ()
    ) as target:
        run = walker_locust(
            target, expected, "--headless", "-u", "2", "-r", "2", "-t", "3s", "--csv", str(prefix)
        )
    assert run.returncode == 1, run.stderr[-3000:]
    assert "loadtests: FAIL:" in run.stderr
    failures = Path(f"{prefix}_failures.csv").read_text(encoding="utf-8")
    assert "INIT" in failures
    assert "invalid-screen-transition at /screen" in failures
    # the CSVs hold the final figures: every failure counted is listed by its message
    with Path(f"{prefix}_failures.csv").open(newline="", encoding="utf-8") as handle:
        listed = sum(int(row["Occurrences"]) for row in csv.DictReader(handle))
    assert listed == figures_from_csv(prefix).failures > 0


def test_a_flow_that_never_calls_its_endpoint_is_refused(tmp_path: Path, public_pem: bytes) -> None:
    key = tmp_path / "public.pem"
    key.write_bytes(public_pem)
    settings = {"FLOWHARNESS_PUBLIC_KEY": str(key), "FLOWHARNESS_APP_SECRET": "secret"}
    target = ServedTarget("http://127.0.0.1:9", clean_environ() | settings)
    run = walker_locust(target, FLOWS / "v6.0-update-data.json", "--headless", "-t", "1s")
    assert run.returncode != 0
    assert "has no data_api_version" in run.stderr
