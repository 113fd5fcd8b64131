"""Scenario files as pytest items and the ``scenario_runner`` fixture, run through pytester.

The plugin comes in through its pytest11 entry point, as in any user's project.
"""

from __future__ import annotations

import pytest

PASSING = """\
name: Ping answers
tags: [health]
setup: {crm: none, mocks: []}
steps:
  - send: {action: ping}
    expect: {status: 200, payload: {data: {status: active}}}
"""

FAILING = """\
name: Ping expects the wrong status
setup: {crm: none, mocks: []}
steps:
  - send: {action: ping}
    expect: {status: 200}
  - name: wrong on purpose
    send: {action: ping}
    expect: {status: 503}
  - send: {action: ping}
"""

BAD = """\
name: A typo in step 2
setup: {crm: none, mocks: []}
steps:
  - send: {action: ping}
  - sned: {action: ping}
"""


def test_scenario_files_are_not_collected_without_opting_in(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", ping=PASSING)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "ping.yaml" not in result.stdout.str()


def test_a_passing_and_a_failing_scenario(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", ping=PASSING, wrong=FAILING)
    result = pytester.runpytest("--scenarios", "-v", "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ping.yaml::Ping answers PASSED*",
            "*wrong.yaml::Ping expects the wrong status FAILED*",
            "scenario 'Ping expects the wrong status' (*wrong.yaml) on embedded: FAILED",
        ]
    )
    output = result.stdout.str()
    for line in (
        "  [   ok] step 1 (line 4) send ping\n",
        "  [ FAIL] step 2 (line 6) wrong on purpose\n",
        "          - status: expected 503, got 200",
        "  [   --] step 3 (line 9) send ping\n",
    ):
        assert line in output
    assert "Traceback" not in output
    assert "ScenarioFailed" not in output
    assert "_pytest.py" not in output  # no frame of the runner or the plugin


def test_a_bad_file_is_a_collection_error_at_its_line(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", typo=BAD)
    result = pytester.runpytest("--scenarios")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR collecting typo.yaml*", "bad scenario file *typo.yaml:5:*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_the_ini_option_collects_only_under_its_paths(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nflowharness_scenarios = stories\n")
    pytester.mkdir("stories").joinpath("ping.yaml").write_text(PASSING)
    pytester.makefile(".yaml", elsewhere=BAD)  # outside the ini paths: ignored
    result = pytester.runpytest("-v", "-k", "health")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*stories/ping.yaml::Ping answers PASSED*"])


def test_remote_target_without_an_endpoint_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", ping=PASSING)
    result = pytester.runpytest("--scenarios", "--scenario-target", "remote")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*needs --scenario-endpoint, --scenario-public-key*"])


def test_scenario_runner_fixture(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", ping=PASSING)
    pytester.makepyfile(
        f"""
        FAILING = {FAILING!r}

        def test_run_a_file(scenario_runner):
            result = scenario_runner.run("ping.yaml")
            assert result.passed, result.report()
            assert result.target == "embedded"

        def test_run_a_text(scenario_runner):
            result = scenario_runner.run_text(FAILING, name="inline.yaml")
            assert result.status == "failed"
            assert result.failed_step.index == 1
            assert "expected 503, got 200" in result.report()
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
