"""Every finding code, its highest severity, and the Meta statement that grounds it.

A rule reports an error only when Meta states it (a section of Meta's WhatsApp Flows
documentation, or a Meta-published flow that shows it); a rule without such a source is
the project's own advice and reports at most a warning. :class:`Finding` enforces this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

_DOCS = "https://developers.facebook.com/docs/whatsapp/flows"
FLOW_JSON = f"Meta, Flow JSON reference ({_DOCS}/reference/flowjson)"
COMPONENTS = f"Meta, Components reference ({_DOCS}/reference/components)"
MEDIA = f"Meta, Media upload components ({_DOCS}/reference/media_upload)"
ENDPOINT = f"Meta, Implementing endpoint for Flows ({_DOCS}/guides/implementingyourflowendpoint)"
ERRORS = f"Meta, Error codes ({_DOCS}/reference/error-codes)"
VERSIONS = f"Meta, Versioning and changelog ({_DOCS}/changelogs)"
TEMPLATES = "Meta's published templates (tests/data/flows/meta)"


@dataclass(frozen=True)
class Rule:
    """What a code means, the worst it reports, and where Meta says so (None: nowhere)."""

    summary: str
    severity: Severity
    source: str | None

    def __post_init__(self) -> None:
        if self.severity == "error" and not self.source:
            raise ValueError(f"{self.summary!r}: a rule without a Meta source is a warning")


def _e(summary: str, source: str) -> Rule:
    return Rule(summary, "error", source)


def _w(summary: str, source: str | None = None) -> Rule:
    return Rule(summary, "warning", source)


RULE_TABLE: dict[str, Rule] = {
    # reading and structure
    "invalid-json": _e("the file is not JSON", f"{FLOW_JSON}: a Flow JSON is a JSON object"),
    "missing-property": _e(
        "a required property is absent",
        f"{FLOW_JSON}: version and screens; a screen's id and layout; component properties "
        f"marked required in {COMPONENTS}",
    ),
    "wrong-type": _e("a property has the wrong JSON type", f"{FLOW_JSON} and {COMPONENTS}"),
    "invalid-value": _e(
        "a property holds a value outside its allowed set",
        f"{FLOW_JSON}, Actions (navigate, data_exchange, complete, update_data, open_url) "
        "and Layout (SingleColumnLayout)",
    ),
    "invalid-structure": _e(
        "the document does not have the shape of a Flow JSON", f"{FLOW_JSON}, Screens"
    ),
    "unsupported-version": _e(
        "`version` is not a sendable Flow JSON version", f"{VERSIONS}: the supported versions"
    ),
    "unknown-component": _w("a component type Flow JSON does not define (kept, not checked)"),
    "unknown-property": _w("a property the component or object does not define (kept)"),
    "duplicate-screen-id": _e(
        "two screens share an id", f"{FLOW_JSON}, Screens: id is the screen's unique identifier"
    ),
    "reserved-screen-id": _e(
        "a screen is called SUCCESS, which closes the flow",
        f"{FLOW_JSON}, Screens: SUCCESS is a reserved keyword, not a screen id",
    ),
    # routing
    "missing-routing-model": _e(
        "an endpoint flow (data_api_version set) has no routing_model",
        f"{FLOW_JSON}, routing_model: required when the flow uses an endpoint",
    ),
    "routing-unknown-screen": _e(
        "routing_model names a screen that does not exist",
        f"{FLOW_JSON}, Routing model: a map from screen ids to the screen ids it may move to",
    ),
    "screen-not-in-routing-model": _w(
        "a screen is absent from routing_model (the endpoint cannot move to it)"
    ),
    "routing-self-loop": _e(
        "a screen routes to itself", f"{FLOW_JSON}, Routing model: forward routes only, no loops"
    ),
    "routing-back-edge": _e(
        "two screens route to each other (A->B and B->A)",
        f"{FLOW_JSON}, Routing model: forward routes only; back is the back button",
    ),
    "routing-cycle": _e(
        "routes form a cycle", f"{FLOW_JSON}, Routing model: forward routes only, no loops"
    ),
    "multiple-entry-screens": _e(
        "more than one screen has no incoming route",
        f"{FLOW_JSON}, Routing model: one entry screen (the one no route leads to)",
    ),
    "no-reachable-terminal": _e(
        "no terminal screen can be reached from the entry screen",
        f"{FLOW_JSON}, Routing model: at least one terminal screen",
    ),
    "route-not-terminal": _w(
        "a route ends at a non-terminal screen that asks for input: the user can only go back "
        f"(read-only screens such as terms, opened and left with back, are fine: {TEMPLATES})"
    ),
    "too-many-branches": _e(
        "a screen routes to more than 10 screens",
        f"{FLOW_JSON}, Routing model: at most 10 branches per screen",
    ),
    # actions and footers
    "terminal-without-footer": _e(
        "a terminal screen has no Footer", f"{FLOW_JSON}, Screens: a terminal screen has a Footer"
    ),
    "multiple-footers": _e("a screen shows more than one Footer", f"{COMPONENTS}, Footer"),
    "complete-not-terminal": _e(
        "`complete` is used on a screen that is not terminal",
        f"{FLOW_JSON}, Actions: complete ends the flow from a terminal screen",
    ),
    "complete-outside-footer": _e(
        "`complete` is used outside a Footer",
        f"{COMPONENTS}: EmbeddedLink and OptIn take data_exchange, navigate (and open_url), "
        "not complete",
    ),
    "navigate-on-terminal-footer": _w("a terminal screen's Footer navigates instead of finishing"),
    "navigate-unknown-screen": _e(
        "`navigate` targets a screen that does not exist",
        f"{FLOW_JSON}, Actions: navigate's next.name is a screen id",
    ),
    "navigate-not-in-routing-model": _e(
        "`navigate` targets a screen routing_model does not allow",
        f"{FLOW_JSON}, Routing model: it limits the possible transitions",
    ),
    # bindings, expressions, versions
    "invalid-binding": _e("a ${...} reference is malformed", f"{FLOW_JSON}, Dynamic properties"),
    "unresolved-form-binding": _e(
        "${form.x} names no input component on its screen", f"{FLOW_JSON}, Dynamic properties"
    ),
    "unresolved-data-binding": _e(
        "${data.x} is not declared in its screen's data",
        f"{FLOW_JSON}, Screens: data declares what ${{data.x}} reads",
    ),
    "unresolved-screen-binding": _e(
        "${screen.ID...} names a missing screen, input or data field",
        f"{FLOW_JSON}, Global dynamic referencing (4.0+)",
    ),
    "expression-syntax": _e(
        "a backtick expression or If condition does not parse",
        f"{COMPONENTS}, If (conditions) and {FLOW_JSON}, expressions (6.0+)",
    ),
    "feature-above-version": _e(
        "a component, action or syntax newer than the declared version",
        f"{VERSIONS} and each component's 'supported from' version in {COMPONENTS}",
    ),
    # data declarations
    "missing-example": _e(
        "a data declaration has no __example__",
        f"{FLOW_JSON}, Screens: each data field carries an __example__",
    ),
    "null-example": _w("an __example__ contains null (Flow JSON values are never null)"),
    "example-type-mismatch": _e(
        "an __example__ does not match its declared schema",
        f"{FLOW_JSON}, Screens: __example__ is a value of the declared type",
    ),
    "invalid-data-declaration": _e(
        "a data declaration is not a valid JSON Schema",
        f"{FLOW_JSON}, Screens: data uses JSON Schema types",
    ),
    # component limits
    "too-many-components": _e(
        "a screen has more than 50 components", f"{COMPONENTS}: at most 50 components per screen"
    ),
    "option-count-out-of-range": _e(
        "a literal option list is empty or too long",
        f"{COMPONENTS}: Dropdown 1-200 options, RadioButtonsGroup and CheckboxGroup 1-20",
    ),
    "invalid-input-type": _e(
        "a TextInput's input-type is not allowed",
        f"{COMPONENTS}, TextInput: text, number, email, password, passcode, phone",
    ),
    "multiple-media-pickers": _e(
        "a screen has more than one PhotoPicker/DocumentPicker",
        f"{MEDIA}: one media upload component per screen",
    ),
    "picker-value-nested": _e(
        "a media picker value is nested inside a payload field",
        f"{MEDIA}: a picker's value is a top-level field of the action payload",
    ),
    "picker-value-misplaced": _e(
        "a media picker value used outside a data_exchange/complete payload",
        f"{MEDIA}: only data_exchange and complete payloads carry media",
    ),
    # endpoint response contract (WhatsApp's own error names where it has one)
    "invalid-screen-transition": _e(
        "the answer moves to a screen the flow does not allow from here",
        f"{ERRORS}: invalid-screen-transition; {ENDPOINT}",
    ),
    "payload-schema-error": _e(
        "the answer's data does not match the target screen's declarations",
        f"{ERRORS}: payload-schema-error; {ENDPOINT}",
    ),
    "missing-flow-token": _e(
        "a SUCCESS answer lacks extension_message_response.params.flow_token",
        f"{ENDPOINT}, Data exchange request: the final response carries params.flow_token",
    ),
    "flow-token-mismatch": _w("a SUCCESS answer carries another flow token than the request"),
    "invalid-error-message": _e(
        "data.error_message is not a string",
        f"{ENDPOINT}, Error message: error_message is the text shown to the user",
    ),
    # what a journey saw on the wire (harness.walker): WhatsApp's error types, kebab-cased
    "response-decryption-error": _e(
        "the answer could not be decrypted", f"{ERRORS}: response-decryption-error"
    ),
    "unexpected-http-status-code": _e(
        "the endpoint answered a status WhatsApp does not understand",
        f"{ERRORS}: unexpected_http_status_code",
    ),
    "timeout-error": _e(
        "the endpoint did not answer within the client's timeout", f"{ERRORS}: timeout_error"
    ),
    "no-http-response-error": _e(
        "the endpoint could not be reached", f"{ERRORS}: no_http_response_error"
    ),
    "business-decryption-error": _e(
        "the endpoint could not decrypt the request (421 twice)",
        f"{ENDPOINT}, status 421; {ERRORS}",
    ),
    "flow-token-invalid": _e(
        "the endpoint answered 427: the flow token is no longer valid", f"{ENDPOINT}, status 427"
    ),
    "signature-rejected": _e(
        "the endpoint answered 432 to a correctly signed request", f"{ENDPOINT}, status 432"
    ),
    "over-budget": _w("an answer took longer than the response-time budget"),
}

RULES: dict[str, str] = {code: rule.summary for code, rule in RULE_TABLE.items()}
"""code -> what the rule checks. Codes are stable: CI scripts and tests match on them."""
