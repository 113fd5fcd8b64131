"""Another team's app and test file (tests/data/other_team), run as that team runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

OTHER_TEAM = Path(__file__).parents[1] / "data" / "other_team"


def test_another_teams_tests_pass_against_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(lead_app=(OTHER_TEAM / "lead_app.py").read_text())
    pytester.makepyfile(test_lead_app=(OTHER_TEAM / "lead_app_tests.py").read_text())
    # a plain pytest run in the team's directory: the plugin comes from its entry point
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
