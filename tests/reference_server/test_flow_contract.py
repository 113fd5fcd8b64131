"""The lead-capture Flow JSON is valid, and every endpoint answer fits it."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from harness import flowjson

from .conftest import GOOD_FORM

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def flow_source() -> str:
    return (resources.files("reference_server") / "flows" / "lead_capture.json").read_text()


def test_flow_json_is_valid(flow_source):
    report = flowjson.validate(json.loads(flow_source))
    assert list(report.findings) == []


async def test_every_answer_fits_the_flow(client, token, flow_source):
    flow = flowjson.load_flow(flow_source)
    bad_form = {**GOOD_FORM, "email": "nope"}
    steps = [
        (None, "INIT", await client.init(token)),
        ("LEAD", "data_exchange", await client.data_exchange("LEAD", GOOD_FORM, token)),
        ("LEAD", "data_exchange", await client.data_exchange("LEAD", bad_form, token)),
        ("CONFIRM", "data_exchange", await client.data_exchange("CONFIRM", bad_form, token)),
        ("CONFIRM", "data_exchange", await client.data_exchange("CONFIRM", GOOD_FORM, token)),
    ]
    for screen, action, result in steps:
        findings = flowjson.check_response(
            flow, screen, result.payload, flow_token=token, action=action
        )
        assert findings == [], (screen, result.payload, findings)
