"""The walker completes a journey through every corpus flow against the stub endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.flowjson import load_flow
from harness.stub import received_payloads
from harness.walker import walk

CORPUS = sorted((Path(__file__).parents[2] / "data" / "flows").glob("*.json"))


def _explain(path: Path, transcript: Any) -> str:
    pointers = [step.pointer for step in transcript.steps if step.pointer]
    last = pointers[-1] if pointers else "/"
    return f"{path.name}{last}: {transcript.reason}\n{transcript.format()}"


@pytest.mark.parametrize("path", CORPUS, ids=[path.stem for path in CORPUS])
def test_every_corpus_flow_completes_without_findings(path: Path, stub_client: Any) -> None:
    flow = load_flow(path)
    with stub_client(flow) as (client, app):
        for seed in range(3):
            transcript = walk(flow, client, seed=seed)
            assert transcript.completed, _explain(path, transcript)
            assert transcript.findings == [], _explain(path, transcript)
            assert transcript.screens[0] == flow.entry_screen.id  # type: ignore[union-attr]
    notifications = [p for p in received_payloads(app) if "error" in (p.get("data") or {})]
    assert notifications == [], f"{path.name}: a valid stub got error notifications"


def test_the_corpus_is_all_there() -> None:
    assert len(CORPUS) == 28
