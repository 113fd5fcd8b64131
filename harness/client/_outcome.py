"""How an exchange ended, in the words WhatsApp uses for its error notifications."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """The client's verdict on one request (docs/protocol.md, "Requests" and "Status codes").

    Most values are the ``error`` strings WhatsApp reports back to the endpoint and
    can feed an error notification unchanged. ``ok``, ``flow-token-invalid`` (427)
    and ``signature-rejected`` (432) are the harness's own names: they are not
    WhatsApp error types and never go into an error notification.
    """

    OK = "ok"
    RESPONSE_DECRYPTION_ERROR = "response-decryption-error"
    UNEXPECTED_HTTP_STATUS_CODE = "unexpected_http_status_code"
    TIMEOUT_ERROR = "timeout_error"
    NO_HTTP_RESPONSE_ERROR = "no_http_response_error"
    BUSINESS_DECRYPTION_ERROR = "business-decryption-error"
    PAYLOAD_SCHEMA_ERROR = "payload-schema-error"
    """A 200 whose decrypted answer is not a JSON object."""
    FLOW_TOKEN_INVALID = "flow-token-invalid"
    SIGNATURE_REJECTED = "signature-rejected"


# Meta: Error Codes, Business Endpoint Error Codes (what the client does on 421, 427, 432),
# and Error Types Reported via WebHook Alerts (the rest); docs/protocol.md, "Status codes".
STATUS_MEANINGS: dict[int, str] = {
    200: "200 means an encrypted response: the client decrypts and validates it",
    421: (
        "421 means the request cannot be decrypted (RSA or GCM tag failure): WhatsApp "
        "refetches the public key, retries once after about 500 ms, then shows a generic "
        "error and reports business-decryption-error"
    ),
    427: (
        "427 means the flow token is no longer valid: WhatsApp shows the body's encrypted "
        "error_msg (or a generic error) and disables the flow's button"
    ),
    432: "432 means the signature check failed: WhatsApp shows a generic error",
}

OTHER_STATUS_MEANING = (
    "any other status is reported as unexpected_http_status_code and counts in the "
    "endpoint error rate that gets a flow throttled, then blocked"
)


def status_meaning(status: int) -> str:
    """What WhatsApp does on an HTTP status (Meta's error codes), for messages."""
    return STATUS_MEANINGS.get(status, f"{status}: {OTHER_STATUS_MEANING}")
