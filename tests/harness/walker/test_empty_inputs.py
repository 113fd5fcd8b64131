"""What the walker sends for an optional input the person left empty, both ways.

Meta's Flow JSON reference reads an unfilled input as ``''`` in expressions; what the
client then puts in a payload is not documented, so ``empty_inputs`` chooses: the empty
value (default) or no key (see harness.walker.EmptyInputs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.flowjson import load_flow
from harness.stub import create_stub_app, received_payloads
from harness.testing import run_server
from harness.walker import InputError, walk

APPOINTMENT = Path(__file__).parents[2] / "data/flows/meta/meta-v7.0-book-an-appointment.json"
LEFT_EMPTY = {"DETAILS": {"more_details": None}}  # Meta's optional "Further details"


def _details_request(app: Any) -> dict[str, Any]:
    """The data_exchange the DETAILS screen sent (Meta's payload binds ${form.more_details})."""
    sent = [p for p in received_payloads(app) if p.get("screen") == "DETAILS"]
    assert len(sent) == 1
    data: dict[str, Any] = sent[0]["data"]
    return data


@pytest.mark.parametrize(("mode", "expected"), [("empty", {"more_details": ""}), ("omit", {})])
def test_meta_appointment_flow_sends_the_empty_text_area_either_way(
    stub_client: Any, mode: str, expected: dict[str, str]
) -> None:
    flow = load_flow(APPOINTMENT)
    with stub_client(flow) as (client, app):
        transcript = walk(flow, client, inputs=LEFT_EMPTY, seed=3, empty_inputs=mode)  # type: ignore[arg-type]
    assert transcript.completed, transcript.format()
    data = _details_request(app)
    assert {k: v for k, v in data.items() if k == "more_details"} == expected
    assert data["name"]  # the required inputs are filled as ever


def _every_kind_flow() -> dict[str, Any]:
    """One optional input of every kind, each bound in the completion payload."""
    options = [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}]
    inputs = [
        {"type": "TextInput", "name": "text", "label": "Text"},
        {"type": "TextArea", "name": "area", "label": "Area"},
        {"type": "Dropdown", "name": "drop", "label": "Drop", "data-source": options},
        {"type": "RadioButtonsGroup", "name": "radio", "label": "Radio", "data-source": options},
        {"type": "CheckboxGroup", "name": "boxes", "label": "Boxes", "data-source": options},
        {"type": "OptIn", "name": "optin", "label": "News"},
        {"type": "DatePicker", "name": "day", "label": "Day"},
        {"type": "CalendarPicker", "name": "cal", "label": "Cal"},
        {"type": "CalendarPicker", "name": "span", "label": {"start-date": "From",
         "end-date": "To"}, "mode": "range"},
    ]  # fmt: skip
    payload = {item["name"]: f"${{form.{item['name']}}}" for item in inputs}
    footer = {"type": "Footer", "label": "Send",
              "on-click-action": {"name": "complete", "payload": payload}}  # fmt: skip
    screen = {"id": "FORM", "title": "Form", "terminal": True,
              "layout": {"type": "SingleColumnLayout", "children": [*inputs, footer]}}  # fmt: skip
    return {"version": "7.0", "screens": [screen]}


EVERY_EMPTY = {"text": "", "area": "", "drop": "", "radio": "", "boxes": [], "optin": False,
               "day": "", "cal": ""}  # fmt: skip


@pytest.mark.parametrize(("mode", "expected"), [("empty", EVERY_EMPTY), ("omit", {})])
def test_every_kind_of_input_left_empty(stub_client: Any, mode: str, expected: Any) -> None:
    flow = load_flow(_every_kind_flow())
    nothing = {"FORM": dict.fromkeys(EVERY_EMPTY.keys() | {"span"})}
    with stub_client(flow) as (client, _app):
        transcript = walk(flow, client, inputs=nothing, empty_inputs=mode)  # type: ignore[arg-type]
    assert transcript.completed, transcript.format()
    assert transcript.completion == expected  # a range has no empty value Meta shows: no key


def test_an_unknown_mode_is_refused(stub_client: Any) -> None:
    flow = load_flow(_every_kind_flow())
    with stub_client(flow) as (client, _app), pytest.raises(InputError, match="empty_inputs"):
        walk(flow, client, empty_inputs="blank")  # type: ignore[arg-type]


@pytest.mark.parametrize(("option", "expected"), [("empty", {"more_details": ""}), ("omit", {})])
def test_cli_walk_empty_inputs_option(
    private_key: Any, public_pem: bytes, app_secret: str, tmp_path: Path, option: str,
    expected: dict[str, str],
) -> None:  # fmt: skip
    key = tmp_path / "public.pem"
    key.write_bytes(public_pem)
    app = create_stub_app(APPOINTMENT, private_key, app_secret)
    with run_server(app) as url:
        for seed in range(8):  # the walker leaves an optional input empty on some seeds
            result = CliRunner().invoke(
                main,
                ["walk", str(APPOINTMENT), "--endpoint", url + "/", "--public-key", str(key),
                 "--seed", str(seed), "--empty-inputs", option],
                env={"FLOWHARNESS_APP_SECRET": app_secret},
            )  # fmt: skip
            assert result.exit_code == 0, result.output
            data = _details_request(app)
            if "more_details" not in data or data["more_details"] in ("",):
                break
            app.received.clear()
        else:
            pytest.fail("no seed left the optional field empty")
    assert {k: v for k, v in data.items() if k == "more_details"} == expected
