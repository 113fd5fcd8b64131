"""Mock services for WhatsApp Flows integrations: CRMs, Slack, Teams, email, Cloud API, WASender.

Each service has its own package (``mocks.slack``, ``mocks.crm.hubspot`` ...) with a
``create_service()``; what they share (faults, the journal, the admin client, the
ways to run a mock) is importable from here. ``mocks/README.md`` documents them.
"""

from mocks._core import (
    AdminClient,
    AdminError,
    AsyncAdminClient,
    ConnectionResetFault,
    EmptyResponseFault,
    FaultRule,
    JournalEntry,
    LatencyFault,
    MalformedBodyFault,
    MockHandle,
    MockService,
    RateLimitFault,
    RequestFilter,
    StatusFault,
    ThreadedServer,
)

__all__ = [
    "AdminClient",
    "AdminError",
    "AsyncAdminClient",
    "ConnectionResetFault",
    "EmptyResponseFault",
    "FaultRule",
    "JournalEntry",
    "LatencyFault",
    "MalformedBodyFault",
    "MockHandle",
    "MockService",
    "RateLimitFault",
    "RequestFilter",
    "StatusFault",
    "ThreadedServer",
]
