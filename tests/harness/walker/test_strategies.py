"""The public strategies: arguments are checked at once, draws are valid."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness.strategies import component_values, form_submissions, journeys
from harness.walker import FixedChooser, MockCDN, ScriptedChooser


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda flow: component_values("TextInput"), "named input Component"),
        (lambda flow: component_values(flow.screens[0].inputs()[0], version="9.9"), "version"),
        (lambda flow: component_values(flow.screens[0].inputs()[0], screen_data=[1]), "mapping"),
        (lambda flow: component_values(flow.screens[0].inputs()[0], media=object()), "upload"),
        (lambda flow: form_submissions(flow, "NOPE"), "not a screen"),
        (lambda flow: form_submissions(flow, "DEMO_SCREEN", inputs={"X": {}}), "screens are"),
        (lambda flow: journeys(flow, max_choices=0), "max_choices"),
        (lambda flow: journeys("not a flow"), "loadable Flow JSON"),
    ],
)
def test_bad_arguments_raise_invalid_argument(corpus: Any, make: Any, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        make(corpus("v6.2-regex"))


def test_form_submissions_follow_update_data(corpus: Any) -> None:
    flow = corpus("v6.0-update-data")
    pincodes = {"1": {"10001", "10005", "90019", "93504"}, "2": {"L4K", "M3C", "M6B2A9", "M5V"}}

    @settings(max_examples=40, deadline=None)
    @given(form=form_submissions(flow, "ADDRESS_SELECTION"))
    def run(form: dict[str, Any]) -> None:
        if "select_states" in form:  # only visible once a country was chosen
            assert form["select_country"] in ("1", "2")
        if "pincode" in form:
            assert "select_states" in form
            assert form["pincode"] in pincodes[form["select_country"]]

    run()


def test_form_submissions_accept_fixed_inputs_and_data_strategies(corpus: Any) -> None:
    flow = corpus("v2.1-support-request")

    @settings(max_examples=10, deadline=None)
    @given(form=form_submissions(flow, "DETAILS", inputs={"DETAILS": {"name": "Grace"}},
                                 screen_data=st.just({})))  # fmt: skip
    def run(form: dict[str, Any]) -> None:
        assert form["name"] == "Grace"
        assert {"orderNumber", "topicRadio"} <= set(form)

    run()


def test_component_values_for_media_need_and_use_a_cdn(corpus: Any) -> None:
    picker = corpus("v4.0-photo-picker").screens[0].inputs()[0]
    with MockCDN() as cdn:

        @settings(max_examples=5, deadline=None)
        @given(files=component_values(picker, version="4.0", media=cdn))
        def run(files: list[dict[str, Any]]) -> None:
            assert 1 <= len(files) <= 10
            assert all(item["media_id"] in cdn.files for item in files)

        run()


def test_journeys_are_replayable_choosers(corpus: Any) -> None:
    flow = corpus("v6.2-regex")
    drawn: list[Any] = []

    @settings(max_examples=5, deadline=None)
    @given(chooser=journeys(flow, inputs={"DEMO_SCREEN": {"passcode_oo7": "007"}}))
    def run(chooser: Any) -> None:
        drawn.append(chooser)

    run()
    assert all(isinstance(item, FixedChooser) for item in drawn)
    assert all(isinstance(item.fallback, ScriptedChooser) for item in drawn)
    assert repr(drawn[0]).startswith("FixedChooser(")
