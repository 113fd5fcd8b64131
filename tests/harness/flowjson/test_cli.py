"""``flowharness validate``: exit codes, readable and JSON output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.cli import main


@pytest.fixture
def broken(tmp_path: Path, make: Any) -> Path:
    flow = make.endpoint_flow()
    flow["screens"][0]["layout"]["children"][0]["input-type"] = "url"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(flow), encoding="utf-8")
    return path


def run(*args: str) -> Any:
    return CliRunner().invoke(main, ["validate", *args])


def test_a_valid_flow_exits_0(corpus_dir: Path) -> None:
    result = run(str(corpus_dir / "v4.0-if.json"))
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_errors_exit_1_and_are_listed(broken: Path, corpus_dir: Path) -> None:
    result = run(str(corpus_dir / "v4.0-if.json"), str(broken))
    assert result.exit_code == 1
    assert "invalid-input-type" in result.output
    assert "/screens/0/layout/children/0/input-type" in result.output


def test_json_output_is_a_list_of_reports(broken: Path, corpus_dir: Path) -> None:
    result = run("--json", str(corpus_dir / "v4.0-if.json"), str(broken))
    assert result.exit_code == 1
    reports = json.loads(result.output)
    assert [report["ok"] for report in reports] == [True, False]
    assert [f["code"] for f in reports[1]["findings"]] == ["invalid-input-type"]
    assert reports[1]["findings"][0]["file"] == str(broken)


def test_unreadable_input_exits_2(tmp_path: Path, corpus_dir: Path) -> None:
    result = run("--json", str(corpus_dir / "v4.0-if.json"), str(tmp_path / "missing.json"))
    assert result.exit_code == 2
    reports = json.loads(result.output)
    assert "unreadable" in reports[1]


def test_broken_json_exits_1_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"version": "7.3",\n "screens": [\n', encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 1
    assert "invalid-json" in result.output
    assert "line 3" in result.output


def test_warnings_fail_only_on_request(corpus_dir: Path) -> None:
    with_warning = str(corpus_dir / "v6.2-navigation-list.json")
    assert run(with_warning).exit_code == 0
    assert run("--warnings-as-errors", with_warning).exit_code == 1


def test_no_file_is_a_usage_error() -> None:
    assert run().exit_code == 2
