"""The mock core: what every mocked service (Slack, CRM, email, Cloud API...) is built on.

A service is a :class:`MockBackend` subclass (state, no HTTP) plus a router
factory (thin FastAPI layer); :class:`MockService` adds the request journal,
fault injection, the seeded RNG and the ``/__admin`` API, and runs in-process
(ASGI), as a real server (:class:`ThreadedServer`) or behind respx. Tests
drive it through :class:`AdminClient` and fixtures yield a :class:`MockHandle`.
See ``mocks/README.md``, "Writing a mock on the core".
"""

from mocks._core._admin import SeedRequest
from mocks._core._backend import MockBackend
from mocks._core._client import AdminClient, AsyncAdminClient
from mocks._core._faults import (
    ConnectionResetFault,
    EmptyResponseFault,
    Fault,
    FaultBook,
    FaultPlan,
    FaultRule,
    LatencyFault,
    MalformedBodyFault,
    RateLimitFault,
    StatusFault,
    TerminalFault,
)
from mocks._core._handle import MockHandle, MockMode
from mocks._core._ids import IdGenerator, salesforce_checksum
from mocks._core._journal import Journal, JournalEntry, RequestFilter, json_contains
from mocks._core._lifecycle import Closing, Running
from mocks._core._loopback import AsyncLoopbackTransport, LoopbackTransport
from mocks._core._middleware import (
    ADMIN_PREFIX,
    RateLimitAnswer,
    RateLimitHeaders,
    RateLimitResponse,
    TrafficMiddleware,
    is_admin_path,
    render_body,
)
from mocks._core._multipart import FileUpload, parse_multipart
from mocks._core._server import ThreadedServer
from mocks._core._service import (
    BackendT,
    MockService,
    RouterFactory,
    UnmatchedResponder,
    own_url,
)
from mocks._core._service_admin import ServiceAdmin
from mocks._core._tls import LoopbackTLS
from mocks._core._transport import (
    AsyncASGITransport,
    SyncASGITransport,
    asgi_side_effect,
    async_http_client,
    http_client,
)
from mocks._core.exceptions import (
    AdminError,
    InjectedConnectionReset,
    MockError,
    ServerStartError,
)

__all__ = [
    "ADMIN_PREFIX",
    "AdminClient",
    "AdminError",
    "AsyncASGITransport",
    "AsyncAdminClient",
    "AsyncLoopbackTransport",
    "BackendT",
    "Closing",
    "ConnectionResetFault",
    "EmptyResponseFault",
    "Fault",
    "FaultBook",
    "FaultPlan",
    "FaultRule",
    "FileUpload",
    "IdGenerator",
    "InjectedConnectionReset",
    "Journal",
    "JournalEntry",
    "LatencyFault",
    "LoopbackTLS",
    "LoopbackTransport",
    "MalformedBodyFault",
    "MockBackend",
    "MockError",
    "MockHandle",
    "MockMode",
    "MockService",
    "RateLimitAnswer",
    "RateLimitFault",
    "RateLimitHeaders",
    "RateLimitResponse",
    "RequestFilter",
    "RouterFactory",
    "Running",
    "SeedRequest",
    "ServerStartError",
    "ServiceAdmin",
    "StatusFault",
    "SyncASGITransport",
    "TerminalFault",
    "ThreadedServer",
    "TrafficMiddleware",
    "UnmatchedResponder",
    "asgi_side_effect",
    "async_http_client",
    "http_client",
    "is_admin_path",
    "json_contains",
    "own_url",
    "parse_multipart",
    "render_body",
    "salesforce_checksum",
]
