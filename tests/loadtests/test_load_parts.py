"""The parts of ``flowharness load`` that need no locust run: options, command lines, verdicts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main
from loadtests.budget import Budget
from loadtests.judging import STAGES, FinishedRun, StageVerdict, judge_run
from loadtests.launch import LocustRun, locustfile
from loadtests.progress import Snapshot, read_snapshot, write_snapshot

FLOWS = Path(__file__).resolve().parents[1] / "data" / "flows"
STATS_HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)


@pytest.fixture(autouse=True)
def no_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("FLOWHARNESS_"):
            monkeypatch.delenv(name)


@pytest.fixture
def key_file(tmp_path: Path, public_pem: bytes) -> Path:
    path = tmp_path / "public.pem"
    path.write_bytes(public_pem)
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["load", *args])
    return result.exit_code, result.output


def test_load_run_without_keys_stops_before_locust_and_says_what_to_set() -> None:
    code, output = invoke("run", "https://staging.example.com/flows")
    assert code == 2
    assert "FLOWHARNESS_PUBLIC_KEY" in output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--duration", "soon"], "is not a duration"),
        (["--profile", "staging", "--ramp", "1m:5:1"], "--profile or --ramp, not both"),
        (["--ramp", "1m:5"], "END:USERS:RATE"),
        (["--worker"], "--worker needs --master-host"),
        (["--master", "--worker", "--master-host", "h"], "--master or --worker, not both"),
        (["--workers", "2", "--master"], "--workers starts local workers"),
        (["--max-p90", "-1"], "--max-p90"),
    ],
)
def test_load_run_refuses_contradictory_options(args: list[str], expected: str) -> None:
    code, output = invoke("run", "https://staging.example.com/flows", *args)
    assert code == 2
    assert expected in output


def test_load_run_refuses_a_url_it_cannot_load() -> None:
    code, output = invoke("run", "staging.example.com")
    assert code == 2
    assert "is not an http(s) URL" in output


def test_a_flow_that_never_calls_its_endpoint_is_refused(key_file: Path) -> None:
    code, output = invoke(
        "run", "http://127.0.0.1:9/", "--public-key", str(key_file), "--app-secret", "s",
        "--flow", str(FLOWS / "v6.0-update-data.json"),
    )  # fmt: skip
    assert code == 2
    assert "has no data_api_version" in output


def after(command: list[str], flag: str, count: int) -> list[str]:
    start = command.index(flag)
    return command[start : start + count]


def test_the_command_lines_for_each_role(tmp_path: Path) -> None:
    files = [locustfile("lead-capture"), locustfile("ramp")]
    local = LocustRun(
        host="https://h", locustfiles=files, user_classes=["HealthCheckUser"], users=5,
        spawn_rate=2, run_time="30s", processes=2, csv_prefix=tmp_path / "r",
        progress_file=tmp_path / "p.json",
    )  # fmt: skip
    command = local.command()
    assert command[command.index("-f") + 1] == ",".join(str(f) for f in files)
    assert command[-1] == "HealthCheckUser"
    assert after(command, "--processes", 2) == ["--processes", "2"]
    assert after(command, "-u", 6) == ["-u", "5", "-r", "2", "-t", "30s"]
    assert "--progress-file" in command
    ramped = LocustRun(host="https://h", locustfiles=files, run_time=None).command()
    assert "-u" not in ramped
    assert "-t" not in ramped
    master = LocustRun(host="https://h", locustfiles=files, role="master", expect_workers=3)
    assert after(master.command(), "--master", 3) == ["--master", "--expect-workers", "3"]
    worker = LocustRun(
        host="https://h", locustfiles=files, role="worker", master_host="m", master_port=6000
    ).command()
    assert after(worker, "--worker", 5) == [
        "--worker",
        "--master-host",
        "m",
        "--master-port",
        "6000",
    ]
    assert "--csv" not in worker
    assert "-u" not in worker


def write_stats(prefix: Path, aggregated: str) -> None:
    Path(f"{prefix}_stats.csv").write_text(f"{STATS_HEADER}\n{aggregated}\n", encoding="utf-8")


FAST = ",Aggregated,400,0,12,20,1,900,120,40,0,12,14,16,18,150,300,500,700,850,900,900"
SLOW = ",Aggregated,40,40,4000,4000,4000,4100,120,4,4," + ",".join(["4000"] * 4 + ["4100"] * 7)


def test_the_verdict_is_every_stage_and_a_stage_is_one_function(tmp_path: Path) -> None:
    write_stats(tmp_path / "fast", FAST)
    passed = judge_run(FinishedRun(tmp_path / "fast", Budget(), 0))
    assert passed.passed
    assert passed.exit_code == 0
    assert passed.to_dict()["stages"][0]["figures"]["requests"] == 400
    write_stats(tmp_path / "slow", SLOW)
    failed = judge_run(FinishedRun(tmp_path / "slow", Budget(), 1))
    assert not failed.passed
    assert failed.exit_code == 1
    assert failed.stages[0].summary.startswith("FAIL: ")

    def always_fails(run: FinishedRun) -> StageVerdict:
        return StageVerdict("health", False, f"FAIL: looked at {run.csv_prefix.name}")

    extended = judge_run(FinishedRun(tmp_path / "fast", Budget(), 0), (*STAGES, always_fails))
    assert [stage.stage for stage in extended.stages] == ["budget", "meta health", "health"]
    assert extended.exit_code == 1


def test_a_missing_csv_fails_the_budget_stage_with_the_reason(tmp_path: Path) -> None:
    verdict = judge_run(FinishedRun(tmp_path / "none", Budget(), 0))
    assert not verdict.passed
    assert verdict.stages[0].summary.startswith("ERROR: cannot read")


def test_progress_snapshots_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    assert read_snapshot(path) is None
    snapshot = Snapshot(12.4, 10, 1234, 3, 98.5, 0.045, "running", 10)
    write_snapshot(path, snapshot)
    assert read_snapshot(path) == snapshot
    assert snapshot.line().split() == (
        [
            "12",
            "s",
            "10",
            "users",
            "1,234",
            "requests",
            "98.5/s",
            "p90",
            "45",
            "ms",
            "3",
            "failures",
            "(0.2%)",
        ]
    )
    path.write_text("{half", encoding="utf-8")
    assert read_snapshot(path) is None


def test_without_the_load_extra_the_command_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real(name, *a)
    )
    code, output = invoke("smoke")
    assert code == 1
    assert "flowharness load needs locust" in output
    assert "pip install 'flowharness[load]'" in output
