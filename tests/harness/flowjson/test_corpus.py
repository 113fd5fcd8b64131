"""Every real flow in the corpus loads, and validates without errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.flowjson import load_flow, validate

CORPUS = sorted((Path(__file__).parents[2] / "data" / "flows").glob("*.json"))

# A defect in the source data: a NavigationList item navigates to FOURTH_SCREEN,
# which the flow lacks. The other items still work, so it is reported as a warning.
KNOWN_WARNINGS = {
    "v6.2-navigation-list.json": (
        "navigate-unknown-screen",
        "/screens/0/layout/children/0/list-items/2/on-click-action/next/name",
    ),
}


def test_the_corpus_is_there() -> None:
    assert len(CORPUS) >= 28


@pytest.mark.parametrize("path", CORPUS, ids=[path.name for path in CORPUS])
def test_corpus_flow_loads(path: Path) -> None:
    flow = load_flow(path)
    assert flow.screens
    assert flow.file == str(path)
    assert flow.entry_screen is not None


@pytest.mark.parametrize("path", CORPUS, ids=[path.name for path in CORPUS])
def test_corpus_flow_validates_without_errors(path: Path) -> None:
    report = validate(path)
    assert report.errors == []
    if path.name in KNOWN_WARNINGS:
        assert KNOWN_WARNINGS[path.name] in [(w.code, w.pointer) for w in report.warnings]
    assert all(finding.file == str(path) for finding in report.findings)


@pytest.mark.parametrize("path", CORPUS, ids=[path.name for path in CORPUS])
def test_validating_the_model_or_the_file_agrees(path: Path) -> None:
    assert validate(load_flow(path)).findings == validate(path).findings
