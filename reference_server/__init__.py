"""The reference lead-capture endpoint: a WhatsApp Flows endpoint done right.

``create_app(settings)`` builds the FastAPI app (request path, flow tokens bound to the
flows served, idempotency, a queue on Redis Streams or Amazon SQS, and a local spool
while the queue is down);
:class:`reference_server.worker.Worker` moves the queued leads into HubSpot or
Salesforce, many at once, one person at a time, then notifies (at-least-once: a rare
duplicate after a worker crash, never a silent loss). :func:`held` and :func:`replay`
inspect and bring back what it put aside (dead-lettered, parked, failed notifications
and photos); operations are alerted with the command to run. :func:`check_start` runs
the start-up checks (a Redis without persistence is refused).
"""

from reference_server._app import SendFlowRequest, create_app
from reference_server._cleaning import (
    LeadForm,
    clean_email,
    clean_lead_form,
    clean_name,
    clean_phone,
    clean_text,
)
from reference_server._crm import CrmAdapter, CrmResult
from reference_server._hubspot import HubSpotAdapter
from reference_server._logging import JsonFormatter, MaskingFilter, configure_logging, mask
from reference_server._mapping import CrmMapping, load_mapping
from reference_server._queue import CONSUMER_GROUP, LeadQueue, StreamNames
from reference_server._replay import (
    HeldEntry,
    ReplayReport,
    ReplaySource,
    held,
    replay,
)
from reference_server._salesforce import SalesforceAdapter
from reference_server._settings import Settings
from reference_server._startup import check_start
from reference_server._tokens import FlowTokenClaims, FlowTokens, to_e164
from reference_server.worker import Worker, WorkerReport

__all__ = [
    "CONSUMER_GROUP",
    "CrmAdapter",
    "CrmMapping",
    "CrmResult",
    "FlowTokenClaims",
    "FlowTokens",
    "HeldEntry",
    "HubSpotAdapter",
    "JsonFormatter",
    "LeadForm",
    "LeadQueue",
    "MaskingFilter",
    "ReplayReport",
    "ReplaySource",
    "SalesforceAdapter",
    "SendFlowRequest",
    "Settings",
    "StreamNames",
    "Worker",
    "WorkerReport",
    "check_start",
    "clean_email",
    "clean_lead_form",
    "clean_name",
    "clean_phone",
    "clean_text",
    "configure_logging",
    "create_app",
    "held",
    "load_mapping",
    "mask",
    "replay",
    "to_e164",
]
