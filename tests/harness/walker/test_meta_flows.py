"""Every flow Meta publishes that the project keeps (tests/data/flows/meta, and Meta's
templates in the pywa corpus) validates without an error and is walked to the end
against the stub endpoint, with several seeds, without a finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.flowjson import load_flow, validate
from harness.stub import received_payloads
from harness.walker import walk

FLOWS = Path(__file__).parents[2] / "data" / "flows"
# Meta's templates that the pywa corpus keeps (its README says where they come from)
META_IN_CORPUS = (
    "v2.1-communication-preferences", "v2.1-costumer-engagement",
    "v2.1-customer-satisfaction-survey", "v2.1-load-re-engagement",
    "v2.1-register-for-an-event", "v2.1-support-request",
)  # fmt: skip
META = sorted(FLOWS.glob("meta/*.json")) + [FLOWS / f"{name}.json" for name in META_IN_CORPUS]


def test_the_meta_flows_are_there() -> None:
    names = {path.stem for path in META}
    for template in ("book-an-appointment", "sign-in", "register", "book-a-table", "get-a-quote"):
        assert any(name.endswith(template) for name in names), template
    assert all(path.is_file() for path in META)
    assert (FLOWS / "meta" / "README.md").is_file()


@pytest.mark.parametrize("path", META, ids=[path.stem for path in META])
def test_meta_flow_validates_without_errors(path: Path) -> None:
    report = validate(path)
    assert report.errors == [], report.format()


@pytest.mark.parametrize("path", META, ids=[path.stem for path in META])
def test_meta_flow_is_walked_to_the_end(path: Path, stub_client: Any) -> None:
    flow = load_flow(path)
    with stub_client(flow) as (client, app):
        for seed in range(4):
            transcript = walk(flow, client, seed=seed)
            assert transcript.completed, f"{path.name}: {transcript.reason}\n{transcript.format()}"
            assert transcript.findings == [], transcript.format()
    notifications = [p for p in received_payloads(app) if "error" in (p.get("data") or {})]
    assert notifications == [], f"{path.name}: the stub got error notifications"
