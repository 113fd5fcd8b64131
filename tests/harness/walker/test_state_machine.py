"""``flow_state_machine``: hypothesis plays users through a flow against the stub endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import run_state_machine_as_test

from harness.client import FlowClient
from harness.flowjson import Flow, load_flow
from harness.strategies import flow_state_machine
from harness.stub import create_stub_app, received_payloads
from harness.testing import FakeEndpoint

ROOT = Path(__file__).parents[3]
FLOWS = ROOT / "tests" / "data" / "flows"
WITH_ENDPOINT = [
    ROOT / "reference_server" / "flows" / "lead_capture.json",
    FLOWS / "v4.0-date-picker-dates-str.json",  # an on-select-action data_exchange
    FLOWS / "v6.2-navigation-list-dynamic.json",
]
QUICK = settings(
    max_examples=15,
    stateful_step_count=8,
    deadline=None,
    derandomize=True,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
)


class Stub:
    """Builds one in-process stub app per machine run and keeps them all for asserts."""

    SECRET = "state-machine-secret"

    def __init__(self, flow: Flow, key: rsa.RSAPrivateKey, pem: bytes, **options: Any) -> None:
        self.flow, self.key, self.pem, self.options = flow, key, pem, options
        self.apps: list[FakeEndpoint] = []

    def client(self, budget: float = 3.0) -> FlowClient:
        app = create_stub_app(self.flow, self.key, self.SECRET, **self.options)
        self.apps.append(app)
        return FlowClient(app, public_key=self.pem, app_secret=self.SECRET, budget=budget)

    def actions(self) -> set[str]:
        return {str(p.get("action")) for app in self.apps for p in received_payloads(app)}


@pytest.mark.parametrize("path", WITH_ENDPOINT, ids=[path.stem for path in WITH_ENDPOINT])
def test_the_stub_keeps_the_contract_whatever_the_user_does(
    path: Path, private_key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    flow = load_flow(path)
    assert flow.data_api_version is not None
    stub = Stub(flow, private_key, public_pem)
    run_state_machine_as_test(flow_state_machine(flow, stub.client), settings=QUICK)
    assert len(stub.apps) >= QUICK.max_examples  # a fresh client (and stub) per run
    assert all(received_payloads(app)[0]["action"] == "INIT" for app in stub.apps)
    assert {"INIT", "data_exchange"} <= stub.actions()


def test_select_actions_reach_the_endpoint(
    private_key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    flow = load_flow(WITH_ENDPOINT[1])
    stub = Stub(flow, private_key, public_pem)
    run_state_machine_as_test(flow_state_machine(flow, stub.client), settings=QUICK)
    exchanged = [
        p["data"] for app in stub.apps for p in received_payloads(app, action="data_exchange")
    ]
    # the DatePicker's on-select-action sends the date; the Footer sends an empty payload
    assert any(set(data) == {"date"} for data in exchanged)
    assert any(data == {} for data in exchanged)


def test_a_transition_outside_routing_model_fails_the_machine(
    private_key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    flow = load_flow(FLOWS / "v6.2-navigation-list-dynamic.json")

    def to_contact(request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        if request.get("action") == "data_exchange" and request.get("screen") == "FIRST_SCREEN":
            return {"screen": "CONTACT", "data": {}}  # FIRST_SCREEN routes to SECOND/THIRD only
        return answer

    stub = Stub(flow, private_key, public_pem, rewrite=to_contact)
    machine = flow_state_machine(flow, stub.client)
    with pytest.raises(AssertionError, match=r"\[invalid-screen-transition\]") as failure:
        run_state_machine_as_test(machine, settings=QUICK)
    assert "broke the contract" in str(failure.value)
    notified = [
        p for app in stub.apps for p in received_payloads(app) if "error" in p.get("data", {})
    ]
    assert notified
    assert notified[0]["data"]["error"] == "invalid-screen-transition"


def test_back_on_a_refresh_on_back_screen_asks_the_endpoint(
    private_key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    document = json.loads((FLOWS / "v6.2-navigation-list-dynamic.json").read_text())
    for screen in document["screens"]:
        if screen["id"] != "FIRST_SCREEN":
            screen["refresh_on_back"] = True
    flow = load_flow(document)
    stub = Stub(flow, private_key, public_pem)
    run_state_machine_as_test(flow_state_machine(flow, stub.client), settings=QUICK)
    assert "BACK" in stub.actions()


def test_an_over_budget_answer_fails_the_machine(
    private_key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    flow = load_flow(WITH_ENDPOINT[0])
    stub = Stub(flow, private_key, public_pem, delay=0.05)

    quick_failure = settings(QUICK, max_examples=3)
    with pytest.raises(AssertionError, match="over the time budget"):
        run_state_machine_as_test(
            flow_state_machine(flow, lambda: stub.client(budget=0.01)), settings=quick_failure
        )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"client_factory": "not callable"}, "client_factory"),
        ({"flow_token": 3}, "flow_token"),
        ({"data": [1]}, "data="),
        ({"inputs": {"NOPE": {}}}, "screens are"),
        ({"media": object()}, "upload"),
    ],
)
def test_bad_arguments_raise_invalid_argument(options: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"client_factory": lambda: None, **options}
    with pytest.raises(InvalidArgument, match=message):
        flow_state_machine(WITH_ENDPOINT[0], **arguments)


def test_a_factory_that_makes_no_flow_client_is_reported() -> None:
    not_a_client: Any = lambda: "http://localhost"  # noqa: E731
    machine = flow_state_machine(WITH_ENDPOINT[0], not_a_client)
    with pytest.raises(InvalidArgument, match="returned str, not a FlowClient"):
        run_state_machine_as_test(machine, settings=QUICK)
