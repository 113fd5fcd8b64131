"""The ``mock_slack`` fixture of harness.pytest_plugin, run through pytester."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import harness.pytest_plugin

HEAVY = {"fastapi", "uvicorn", "starlette", "mocks", "locust", "redis", "httpx"}


def test_plugin_module_imports_nothing_heavy() -> None:
    tree = ast.parse(Path(harness.pytest_plugin.__file__).read_text())
    top_level: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_level |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            top_level.add(node.module.split(".")[0])
    assert not top_level & HEAVY


def test_mock_slack_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from mocks._core import StatusFault

        def test_first(mock_slack):
            assert mock_slack.url.startswith("http://127.0.0.1:")
            response = mock_slack.client.post(
                "/services/T1/B1/x", json={"text": "hi"})
            assert (response.status_code, response.text) == (200, "ok")
            assert mock_slack.admin.count(matched=True) == 1
            mock_slack.admin.add_fault(StatusFault(status=500))
            assert mock_slack.backend.messages[0].text == "hi"  # same process: readable

        def test_second_starts_fresh(mock_slack):
            assert mock_slack.admin.count() == 0
            assert mock_slack.admin.faults() == []
            assert mock_slack.admin.state()["messages"] == []
            assert mock_slack.app is mock_slack.service.app
        """
    )
    # The plugin comes in through its pytest11 entry point, as in any user's project.
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
