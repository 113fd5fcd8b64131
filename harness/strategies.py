"""Hypothesis strategies for WhatsApp Flows: input values, form submissions, journeys.

from hypothesis import given, settings
from harness.strategies import journeys
from harness.walker import walk

@given(chooser=journeys(flow))
def test_any_journey_completes(chooser):
    assert walk(flow, client, chooser=chooser).completed

Multi-screen moves as a state machine (``run_state_machine_as_test(FlowTest)``)::

    FlowTest = flow_state_machine(flow, lambda: FlowClient(app, public_key=pem))
"""

from harness._strategies._chooser import DrawChooser, HypothesisChooser
from harness._strategies._journeys import journeys
from harness._strategies._machine import flow_state_machine
from harness._strategies._values import component_values, form_submissions

__all__ = [
    "DrawChooser",
    "HypothesisChooser",
    "component_values",
    "flow_state_machine",
    "form_submissions",
    "journeys",
]
