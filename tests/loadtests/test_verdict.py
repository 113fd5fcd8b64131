from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.verdict import CsvFormatError, figures_from_csv, main

STATS_HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)


def write_run(
    tmp_path: Path,
    aggregated: str,
    failures: list[str] | None = None,
    rows: tuple[str, ...] = (),
) -> Path:
    prefix = tmp_path / "run"
    lines = [STATS_HEADER, *rows, aggregated]
    Path(f"{prefix}_stats.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if failures is not None:
        body = ["Method,Name,Error,Occurrences", *failures]
        Path(f"{prefix}_failures.csv").write_text("\n".join(body) + "\n", encoding="utf-8")
    return prefix


FAST = ",Aggregated,400,2,12,20,1,900,120,40,0.2,12,14,16,18,150,300,500,700,850,900,900"
SLOW_P90 = ",Aggregated,400,0,12,20,1,1900,120,40,0,12,14,16,18,1800,1900,1900,1900,1900,1900,1900"
PING_ROW = "FLOWS,ping,100,0,2,2,1,10,100,10,0,2,2,2,2,3,4,5,6,10,10,10"


def test_csv_figures_are_read_in_seconds(tmp_path: Path) -> None:
    over = '"FLOWS","INIT","CatchResponseError(\'over the request budget of 3 s\')",4'
    figures = figures_from_csv(write_run(tmp_path, FAST, [over], rows=(PING_ROW,)))
    assert figures.requests == 400
    assert figures.failures == 2
    assert figures.over_budget == 4
    assert figures.max_seconds == pytest.approx(0.9)
    assert figures.p90_seconds == pytest.approx(0.15)
    assert figures.p99_seconds == pytest.approx(0.7)


def test_a_run_within_budget_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = "POST,INIT,HTTP 500,2"
    assert main(["--csv", str(write_run(tmp_path, FAST, [other]))]) == 0
    assert capsys.readouterr().out.startswith("PASS: 400 requests, 2 failed (0.50%)")


def test_a_slow_p90_fails_with_the_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--csv", str(write_run(tmp_path, SLOW_P90))]) == 1
    assert capsys.readouterr().out.startswith("FAIL: p90 1.80 s > 1.00 s")


def test_over_budget_failures_fail_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    over = "FLOWS,data_exchange:LEAD,CatchResponseError('over the request budget of 3 s'),1"
    prefix = write_run(tmp_path, FAST, [over])
    assert main(["--csv", str(prefix), "--max-failure-ratio", "0.5"]) == 1
    assert "1 request(s) over the 3 s budget" in capsys.readouterr().out


def test_limits_from_options_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = str(write_run(tmp_path, SLOW_P90))
    assert main(["--csv", prefix, "--max-p90", "2"]) == 0
    monkeypatch.setenv("FLOWHARNESS_MAX_P90", "2")
    assert main(["--csv", prefix]) == 0
    assert main(["--csv", prefix, "--request-budget", "1.5"]) == 1
    assert "FAIL: 1 request(s) over the 1.5 s budget" in capsys.readouterr().out


def test_a_run_without_requests_fails(tmp_path: Path) -> None:
    empty = ",Aggregated,0,0,0,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A"
    assert main(["--csv", str(write_run(tmp_path, empty))]) == 1


def test_missing_or_foreign_csv_is_an_error_not_a_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--csv", str(tmp_path / "absent")]) == 2
    assert "did locust run with --csv" in capsys.readouterr().err
    prefix = tmp_path / "foreign"
    Path(f"{prefix}_stats.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CsvFormatError, match="no 'Aggregated' row"):
        figures_from_csv(prefix)
    broken = write_run(tmp_path, FAST.replace(",150,", ",fast,"))
    assert main(["--csv", str(broken)]) == 2
    assert "'90%' holds 'fast'" in capsys.readouterr().err
