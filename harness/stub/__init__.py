"""A stub Flows endpoint made from a Flow JSON: every answer valid for the flow.

    from harness.stub import create_stub_app
    app = create_stub_app("flow.json", private_key, app_secret="secret")
    # FlowClient(app, ...) in-process, or `flowharness stub flow.json` over HTTP

Useful to try the walker, scenarios and load tests before a real endpoint exists,
and (with ``rewrite=``) to produce each contract mistake on purpose.
"""

from harness.stub._answers import STUB_FLOW_TOKEN, StubAnswers, example_data
from harness.stub._app import Rewrite, create_stub_app, received_payloads
from harness.stub._exceptions import StubError

__all__ = [
    "STUB_FLOW_TOKEN",
    "Rewrite",
    "StubAnswers",
    "StubError",
    "create_stub_app",
    "example_data",
    "received_payloads",
]
