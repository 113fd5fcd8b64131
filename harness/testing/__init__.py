"""Test doubles for the endpoint side: a misbehaving fake endpoint and a loopback server."""

from harness.testing.endpoint import (
    FakeEndpoint,
    Fault,
    Handler,
    ReceivedRequest,
    default_handler,
    make_test_endpoint,
)
from harness.testing.server import run_server

__all__ = [
    "FakeEndpoint",
    "Fault",
    "Handler",
    "ReceivedRequest",
    "default_handler",
    "make_test_endpoint",
    "run_server",
]
