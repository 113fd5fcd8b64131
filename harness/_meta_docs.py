"""Meta's documentation pages the project cites, and the sections its checks rest on.

Every reference a user sees (the conformance checks, the Flow JSON rules) points here, so
a page that moves is fixed in one place. Addresses are the ones Meta's own navigation uses
in 2026 (developers.facebook.com/documentation/business-messaging/whatsapp/flows/...);
older links to the same pages read developers.facebook.com/docs/whatsapp/flows/... .
Anchors are the ones Meta's own pages link to, except where a comment says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

FLOWS_DOCS = "https://developers.facebook.com/documentation/business-messaging/whatsapp/flows"


@dataclass(frozen=True, slots=True)
class MetaPage:
    """One page of Meta's documentation."""

    title: str
    url: str

    def __str__(self) -> str:
        return f"Meta, {self.title} ({self.url})"

    def at(self, section: str, anchor: str) -> MetaSource:
        """The section of this page titled ``section``, reached by ``#anchor``."""
        return MetaSource(self, section, anchor)


@dataclass(frozen=True, slots=True)
class MetaSource:
    """A section of a Meta page: where Meta states what a check or a rule expects."""

    page: MetaPage
    section: str
    anchor: str

    @property
    def url(self) -> str:
        return f"{self.page.url}#{self.anchor}"

    def __str__(self) -> str:
        return f"Meta: {self.page.title}, {self.section}, {self.url}"

    def to_dict(self) -> dict[str, str]:
        return {"page": self.page.title, "section": self.section, "url": self.url}


# -- pages -------------------------------------------------------------------------------

ENDPOINT_GUIDE = MetaPage(
    "Implementing Endpoint for Flows", f"{FLOWS_DOCS}/guides/implementingyourflowendpoint"
)
ERROR_CODES = MetaPage("Error Codes", f"{FLOWS_DOCS}/reference/error-codes")
FLOW_JSON = MetaPage("Flow JSON", f"{FLOWS_DOCS}/guides/flowjson")
COMPONENTS = MetaPage("Components", f"{FLOWS_DOCS}/guides/components")
MEDIA_UPLOAD = MetaPage("Media upload components", f"{FLOWS_DOCS}/guides/media_upload")
CHANGELOG = MetaPage("Changelog", f"{FLOWS_DOCS}/changelogs")
WEBHOOKS = MetaPage("Flows Webhooks", f"{FLOWS_DOCS}/guides/flowswebhooks")
HEALTH = MetaPage("Flow Health and Monitoring", f"{FLOWS_DOCS}/guides/healthmonitoring")
SENDING = MetaPage("Sending a Flow", f"{FLOWS_DOCS}/guides/sendingaflow")
ENCRYPTION = MetaPage("Flows Encryption", f"{FLOWS_DOCS}/guides/whatsapp-business-encryption")
TEMPLATES = MetaPage("Flows templates", f"{FLOWS_DOCS}/guides/flows-templates")
GRAPH_WEBHOOKS = MetaPage(
    "Graph API Webhooks, Getting Started",
    "https://developers.facebook.com/docs/graph-api/webhooks/getting-started",
)
EXAMPLE_ENDPOINT = MetaPage(
    "WhatsApp-Flows-Tools, the Node.js endpoint example",
    "https://github.com/WhatsApp/WhatsApp-Flows-Tools/tree/main/examples/endpoint/nodejs/basic",
)

# -- sections ----------------------------------------------------------------------------

ENVELOPE = ENDPOINT_GUIDE.at("Implement Encryption/Decryption", "encrypt")
"""The three Base64 fields of a request body; 421 when it cannot be decrypted."""
DECRYPTION = ENDPOINT_GUIDE.at(
    "Request Decryption and Encryption", "request-decryption-and-encryption"
)
"""RSA-OAEP key, AES-GCM with the tag appended, the flipped IV, Base64 as plain text."""
DATA_EXCHANGE = ENDPOINT_GUIDE.at("Data Exchange Request", "data_exchange_request")
ERROR_NOTIFICATION = ENDPOINT_GUIDE.at("Error Notification Request", "error_notification_request")
HEALTH_CHECK = ENDPOINT_GUIDE.at("Health Check Request", "health_check_request")
# Meta's pages link no anchor for this section; the anchor is the one its heading gets
SIGNATURE = ENDPOINT_GUIDE.at("Request Signature Validation", "request-signature-validation")
ENDPOINT_STATUS_CODES = ERROR_CODES.at("Business Endpoint Error Codes", "endpoint_error_codes")
"""421 (cannot decrypt: refetch the key, resend), 427 (flow token no longer valid), 432."""
ERROR_TYPES = ERROR_CODES.at(
    "Error Types Reported via WebHook Alerts or Propagated Back to Endpoint",
    "error-types-reported-via-webhook-alerts-or-propagated-back-to-endpoint",
)
"""timeout_error (over 10 s), unexpected_http_status_code (e.g. a 500), and the others."""
LATENCY_ALERT = WEBHOOKS.at("Endpoint latency webhook", "endpoint-latency-webhook")
"""p90 over 1, 5 or 7 s in 30 minutes; "aim to return response in less than 1 second"."""
