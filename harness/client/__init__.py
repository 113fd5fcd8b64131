"""The mock WhatsApp client: speaks the Flows endpoint protocol and says how it went.

    from harness.client import FlowClient

    with FlowClient("https://example.com/flows", public_key=pem, app_secret=secret) as client:
        result = client.ping()
        print(result.outcome, result.elapsed, result.payload)
        print(result.explain())

``endpoint`` may also be an ASGI app, run in-process. Every request is freshly encrypted
and signed over the exact bytes sent; a 421 refetches the key and retries once; every
HTTP attempt is kept in ``client.journal`` (JSON, or replayable curl commands).
"""

from harness.client._async import AsyncFlowClient
from harness.client._core import OMIT, KeyProvider, PublicKeySource, Signature
from harness.client._exceptions import (
    ClientError,
    ConfigurationError,
    InvalidPublicKeyError,
    InvalidRequestError,
    KeyProviderError,
    MissingAppSecretError,
    MissingPublicKeyError,
)
from harness.client._journal import Exchange, Journal
from harness.client._outcome import STATUS_MEANINGS, Outcome, status_meaning
from harness.client._postman import JournalKeysError, OpenedAnswer, open_answer
from harness.client._result import FlowResult
from harness.client._sync import FlowClient
from harness.client._transports import ASGIApp, BlockingASGITransport

__all__ = [
    "OMIT",
    "STATUS_MEANINGS",
    "ASGIApp",
    "AsyncFlowClient",
    "BlockingASGITransport",
    "ClientError",
    "ConfigurationError",
    "Exchange",
    "FlowClient",
    "FlowResult",
    "InvalidPublicKeyError",
    "InvalidRequestError",
    "Journal",
    "JournalKeysError",
    "KeyProvider",
    "KeyProviderError",
    "MissingAppSecretError",
    "MissingPublicKeyError",
    "OpenedAnswer",
    "Outcome",
    "PublicKeySource",
    "Signature",
    "open_answer",
    "status_meaning",
]
