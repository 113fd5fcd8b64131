"""The public surface of harness.client, and clear errors for wrong use."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import harness.client
from harness.client import (
    AsyncFlowClient,
    ClientError,
    ConfigurationError,
    FlowClient,
    InvalidPublicKeyError,
    InvalidRequestError,
    MissingAppSecretError,
    MissingPublicKeyError,
    Outcome,
)
from harness.testing import FakeEndpoint, make_test_endpoint

URL = "http://127.0.0.1:9/"


@pytest.fixture
def endpoint(private_key: rsa.RSAPrivateKey, app_secret: str) -> FakeEndpoint:
    return make_test_endpoint(private_key, app_secret)


def test_exports_are_what_they_claim() -> None:
    # pytest adds "@py_builtins" and friends to modules it rewrites (the plugin's package)
    public = {name for name in vars(harness.client) if not name.startswith(("_", "@"))}
    assert set(harness.client.__all__) == public
    for name in harness.client.__all__:
        member = getattr(harness.client, name)
        if isinstance(member, type):
            assert member.__module__.startswith("harness.client."), name
    assert len(set(harness.client.__all__)) == len(harness.client.__all__)


def test_outcome_values_are_whatsapp_error_types() -> None:
    assert Outcome.OK == "ok"
    assert Outcome.RESPONSE_DECRYPTION_ERROR == "response-decryption-error"
    assert Outcome.UNEXPECTED_HTTP_STATUS_CODE == "unexpected_http_status_code"
    assert Outcome.TIMEOUT_ERROR == "timeout_error"
    assert Outcome.NO_HTTP_RESPONSE_ERROR == "no_http_response_error"
    assert Outcome.BUSINESS_DECRYPTION_ERROR == "business-decryption-error"
    assert Outcome.FLOW_TOKEN_INVALID == "flow-token-invalid"
    assert Outcome.SIGNATURE_REJECTED == "signature-rejected"
    assert Outcome.PAYLOAD_SCHEMA_ERROR == "payload-schema-error"


def test_missing_public_key_is_a_clear_error(endpoint: FakeEndpoint, app_secret: str) -> None:
    with (
        FlowClient(endpoint, app_secret=app_secret) as client,
        pytest.raises(MissingPublicKeyError, match="public_key="),
    ):
        client.ping()
    assert list(endpoint.received) == []  # nothing went out


def test_missing_app_secret_is_a_clear_error(endpoint: FakeEndpoint, public_pem: bytes) -> None:
    with FlowClient(endpoint, public_key=public_pem) as client:
        with pytest.raises(MissingAppSecretError, match="app_secret="):
            client.ping()
        # an unsigned request is still possible, on purpose
        assert client.send({"action": "ping"}, signature="missing").status == 432


@pytest.mark.parametrize(
    "key", [b"garbage", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", 42]
)
def test_unusable_public_key(key: object) -> None:
    with pytest.raises(InvalidPublicKeyError):
        FlowClient(URL, public_key=key)  # type: ignore[arg-type]


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidPublicKeyError, match="cannot read"):
        FlowClient(URL, public_key=tmp_path / "nope.pem")


def test_key_provider_returning_garbage(endpoint: FakeEndpoint, app_secret: str) -> None:
    with (
        FlowClient(endpoint, key_provider=lambda: b"junk", app_secret=app_secret) as client,
        pytest.raises(InvalidPublicKeyError, match="key_provider"),
    ):
        client.ping()


@pytest.mark.parametrize(
    ("endpoint_value", "settings"),
    [
        ("ftp://example.com/", {}),
        ("example.com/flows", {}),
        (URL, {"budget": 0}),
        (URL, {"timeout": -1}),
        (URL, {"retry_delay": -0.5}),
        (URL, {"version": ""}),
        (URL, {"path": "/flows"}),
        (URL, {"key_provider": "not callable"}),
        (42, {}),
    ],
)
def test_bad_settings(endpoint_value: object, settings: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        FlowClient(endpoint_value, **settings)  # type: ignore[arg-type]


def test_sync_and_async_transports_are_not_mixed() -> None:
    import httpx

    with pytest.raises(ConfigurationError, match="async"):
        FlowClient(URL, transport=httpx.AsyncHTTPTransport())
    with pytest.raises(ConfigurationError, match="sync"):
        AsyncFlowClient(URL, transport=httpx.HTTPTransport())


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.data_exchange("", {}, "t"),
        lambda c: c.data_exchange("S", ["not", "a", "dict"], "t"),
        lambda c: c.init(123),
        lambda c: c.error_notification("t", "timeout_error", key="err"),
        lambda c: c.error_notification("t", ""),
        lambda c: c.send({"x": object()}),
        lambda c: c.send(["a", "list"]),
        lambda c: c.send({"action": "ping"}, signature="sha256=\nx"),
        lambda c: c.send(body="text, not bytes"),
        lambda c: c.send({"action": "ping"}, envelope={"initial_vector": object()}),
    ],
)
def test_bad_request_arguments(
    call: object, endpoint: FakeEndpoint, public_pem: bytes, app_secret: str
) -> None:
    with (
        FlowClient(endpoint, public_key=public_pem, app_secret=app_secret) as client,
        pytest.raises(InvalidRequestError),
    ):
        call(client)  # type: ignore[operator]
    assert list(endpoint.received) == []


def test_every_client_error_is_a_client_error() -> None:
    for name in harness.client.__all__:
        member = getattr(harness.client, name)
        if isinstance(member, type) and issubclass(member, Exception):
            assert issubclass(member, ClientError)


def test_endpoint_path_for_apps(
    private_key: rsa.RSAPrivateKey, public_pem: bytes, app_secret: str
) -> None:
    endpoint = make_test_endpoint(private_key, app_secret, path="/flows/endpoint")
    with FlowClient(
        endpoint, public_key=public_pem, app_secret=app_secret, path="/flows/endpoint"
    ) as client:
        assert client.ping().ok
    with FlowClient(endpoint, public_key=public_pem, app_secret=app_secret) as client:
        result = client.ping()
    assert result.outcome is Outcome.UNEXPECTED_HTTP_STATUS_CODE
    assert result.status == 404


def test_endpoint_accepts_old_and_new_secret_during_rotation(
    private_key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    endpoint = make_test_endpoint(private_key, ["new-secret", "old-secret"])
    for secret in ("old-secret", "new-secret"):
        with FlowClient(endpoint, public_key=public_pem, app_secret=secret) as client:
            assert client.ping().ok
