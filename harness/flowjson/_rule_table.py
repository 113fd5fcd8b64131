"""Every finding code, its highest severity, and the Meta statement that grounds it.

A rule reports an error only when Meta states it (a section of Meta's WhatsApp Flows
documentation, or a Meta-published flow that shows it); a rule without such a source is
the project's own advice and reports at most a warning. :class:`Finding` enforces this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from harness import _meta_docs as meta_docs

Severity = Literal["error", "warning"]

FLOW_JSON = str(meta_docs.FLOW_JSON)
COMPONENTS = str(meta_docs.COMPONENTS)
MEDIA = str(meta_docs.MEDIA_UPLOAD)
ENDPOINT = str(meta_docs.ENDPOINT_GUIDE)
ERRORS = str(meta_docs.ERROR_CODES)
STATIC = f"{ERRORS}, Static validation errors"
"""The errors Meta's validator (the Builder and the Flows API) reports for a Flow JSON."""
ENDPOINT_ERRORS = f"{ERRORS}, {meta_docs.ERROR_TYPES.section}"
VERSIONS = f"{meta_docs.CHANGELOG}, Currently supported versions"
TEMPLATES = str(meta_docs.TEMPLATES)


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
    "invalid-json": _e(
        "the file is not JSON", f'{STATIC}: INVALID_FLOW_JSON, "Flow JSON is not valid"'
    ),
    "missing-property": _e(
        "a required property is absent",
        f"{STATIC}: MISSING_REQUIRED_TYPE_PROPERTY; {FLOW_JSON}, Top-level Flow JSON "
        f"properties and Screens, Required properties; the parameters marked required in "
        f"{COMPONENTS}",
    ),
    "wrong-type": _e(
        "a property has the wrong JSON type",
        f'{STATIC}: INVALID_PROPERTY_TYPE, "Expected (path) to be (expected) but found (actual)"',
    ),
    "invalid-value": _e(
        "a property holds a value outside its allowed set",
        f"{STATIC}: INVALID_PROPERTY_VALUE and INVALID_ENUM_VALUE; {FLOW_JSON}, Layout "
        '("there is only one layout available - SingleColumnLayout") and Actions',
    ),
    "invalid-structure": _e(
        "the document does not have the shape of a Flow JSON",
        f"{STATIC}, Schema validation errors; {FLOW_JSON}, Top-level Flow JSON properties",
    ),
    "unsupported-version": _e(
        "`version` is not a sendable Flow JSON version",
        f"{STATIC}, Flow JSON version errors (INVALID_FLOW_JSON_VERSION, "
        f"UNSUPPORTED_FLOW_JSON_VERSION); {VERSIONS}",
    ),
    # Meta rejects unknown properties (INVALID_PROPERTY_KEY) and components, but the
    # project's catalog may lag a new Meta release: a warning, so a new feature never fails
    "unknown-component": _w(
        "a component type Flow JSON does not define (kept, not checked)",
        f"{COMPONENTS}: the list of supported components",
    ),
    "unknown-property": _w(
        "a property the component or object does not define (kept)",
        f'{STATIC}: INVALID_PROPERTY_KEY, "Property (name) cannot be specified at (path)"',
    ),
    "duplicate-screen-id": _e(
        "two screens share an id",
        f'{FLOW_JSON}, Screens, Required properties: "id - unique identifier of the screen"',
    ),
    "reserved-screen-id": _e(
        "a screen is called SUCCESS, which closes the flow",
        f'{FLOW_JSON}, Screens, Required properties: "SUCCESS is a reserved keyword and '
        'should not be used as a screen id"',
    ),
    # routing
    "missing-routing-model": _e(
        "an endpoint flow (data_api_version set) has no routing_model",
        f'{FLOW_JSON}, Routing model, When to define routes: "if you want to use a server to '
        "power your Flow, you'll have to provide a routing_model\"",
    ),
    "routing-unknown-screen": _e(
        "routing_model names a screen that does not exist",
        f'{STATIC}, Routing model errors: INVALID_ROUTING_MODEL, "Invalid screens in '
        'routing model"',
    ),
    "screen-not-in-routing-model": _e(
        "a screen is absent from routing_model (the endpoint cannot move to it)",
        f'{STATIC}, Routing model errors: INVALID_ROUTING_MODEL, "Screens missing in '
        'routing model"',
    ),
    "routing-self-loop": _e(
        "a screen routes to itself",
        f'{FLOW_JSON}, Routing model, Routing rules: "Route cannot be the current screen"',
    ),
    "routing-back-edge": _e(
        "two screens route to each other (A->B and B->A)",
        f"{FLOW_JSON}, Routing model, Routing rules: only forward routes (an edge A->B "
        f'forbids B->A); {STATIC}: "Backward route not allowed"',
    ),
    "routing-cycle": _e(
        "routes form a cycle",
        f'{STATIC}, Routing model errors: INVALID_ROUTING_MODEL, "Loop detected"',
    ),
    "multiple-entry-screens": _e(
        "more than one screen has no incoming route",
        f'{FLOW_JSON}, Routing model, Routing rules: "There should be an entry screen", the '
        f'screen with no inbound edge; {STATIC}: "Screens not connected"',
    ),
    "no-reachable-terminal": _e(
        "no terminal screen can be reached from the entry screen",
        f'{FLOW_JSON}, Screens, Optional properties: "each Flow should have a terminal '
        'state where the experience is terminated"',
    ),
    "route-not-terminal": _w(
        "a route ends at a non-terminal screen that asks for input: the user can only go back",
        f'{FLOW_JSON}, Routing rules, "All routes must end at the terminal screen", which '
        f"Meta's own templates break (terms screens opened from an OptIn and left with "
        f"back: {TEMPLATES}); so a warning, and read-only screens pass",
    ),
    "too-many-branches": _e(
        "a screen routes to more than 10 screens",
        f'{FLOW_JSON}, Routing model: "up to a maximum of 10 branches"; {STATIC}: '
        '"Branches exceed max of 10"',
    ),
    # actions and footers
    "terminal-without-footer": _e(
        "a terminal screen has no Footer",
        f"{FLOW_JSON}, Screens, Optional properties (terminal): \"It's mandatory to have a "
        'Footer component on the terminal screen"',
    ),
    "multiple-footers": _e(
        "a screen shows more than one Footer",
        f'{COMPONENTS}, If, Limitations: "You can only have 1 Footer component per screen"',
    ),
    "complete-not-terminal": _e(
        "`complete` is used on a screen that is not terminal",
        f"{STATIC}, Action errors: INVALID_COMPLETE_ACTION; {FLOW_JSON}, Actions, complete "
        '("Use this action on terminal screen")',
    ),
    "complete-outside-footer": _e(
        "`complete` is used outside a Footer",
        f"{COMPONENTS}, EmbeddedLink and OptIn: on-click-action allows data_exchange and "
        "navigate (open_url from 6.0), not complete",
    ),
    "navigate-on-terminal-footer": _w(
        "a terminal screen's Footer navigates instead of finishing",
        f"{FLOW_JSON}, Actions, navigate: \"You shouldn't use it on the Footer of a terminal "
        'screen" (advice, not a validation error)',
    ),
    "navigate-unknown-screen": _e(
        "`navigate` targets a screen that does not exist",
        f'{STATIC}, Action errors: INVALID_NAVIGATE_ACTION_NEXT_SCREEN_NAME, "Unknown screen IDs"',
    ),
    "navigate-not-in-routing-model": _e(
        "`navigate` targets a screen routing_model does not allow",
        f'{STATIC}, Routing model errors: INVALID_ROUTING_MODEL, "Missing direct route in '
        'routing model"',
    ),
    # bindings, expressions, versions
    "invalid-binding": _e(
        "a ${...} reference is malformed",
        f'{FLOW_JSON}, Dynamic properties: "${{form.field_name}}" and "${{data.field_name}}"',
    ),
    "unresolved-form-binding": _e(
        "${form.x} names no input component on its screen",
        f'{STATIC}, Action errors: INVALID_ON_CLICK_ACTION_PAYLOAD, "Missing Form component"',
    ),
    "unresolved-data-binding": _e(
        "${data.x} is not declared in its screen's data",
        f'{STATIC}, Action errors: INVALID_ON_CLICK_ACTION_PAYLOAD, "Missing dynamic data"',
    ),
    "unresolved-screen-binding": _e(
        "${screen.ID...} names a missing screen, input or data field",
        f"{FLOW_JSON}, Global dynamic and form properties (4.0+): "
        "${screen.<screen_name>.(form | data).<field-name>}",
    ),
    "expression-syntax": _e(
        "a backtick expression or If condition does not parse",
        f"{FLOW_JSON}, Nested expressions (6.0+); {COMPONENTS}, If, Rules (a condition has a "
        "dynamic value and resolves to a boolean)",
    ),
    "feature-above-version": _e(
        "a component, action or syntax newer than the declared version",
        f'{VERSIONS}; the "Supported starting with Flow JSON version" notes in {COMPONENTS} '
        f"and {FLOW_JSON}",
    ),
    # data declarations
    "missing-example": _e(
        "a data declaration has no __example__",
        f'{FLOW_JSON}, Declaring screen properties: "__example__ field ... This field is '
        'mandatory"',
    ),
    "null-example": _e(
        "an __example__ contains null (Flow JSON values are never null)",
        f'{FLOW_JSON}, Dynamic properties: "the null type is not supported by Flows, '
        'providing a null value will cause validation to fail"',
    ),
    "example-type-mismatch": _e(
        "an __example__ does not match its declared schema",
        f"{FLOW_JSON}, Declaring screen properties: __example__ is mock data of the declared "
        f"type; {STATIC}: INVALID_PROPERTY_TYPE",
    ),
    "invalid-data-declaration": _e(
        "a data declaration is not a valid JSON Schema",
        f"{FLOW_JSON}, Dynamic properties (string, number, boolean, object, array) and "
        'Declaring screen properties ("Data declaration uses the standard JSON Schema")',
    ),
    # component limits
    "too-many-components": _e(
        "a screen has more than 50 components",
        f'{COMPONENTS}: "The maximum number of components per screen is 50"',
    ),
    "option-count-out-of-range": _e(
        "a literal option list is empty or too long",
        f"{COMPONENTS}, Limits and restrictions: Dropdown 1-200 options (100 when they have "
        "images), RadioButtonsGroup and CheckboxGroup 1-20",
    ),
    "invalid-input-type": _e(
        "a TextInput's input-type is not allowed",
        f"{COMPONENTS}, TextInput: input-type is one of text, number, email, password, "
        "passcode, phone",
    ),
    "multiple-media-pickers": _e(
        "a screen has more than one PhotoPicker/DocumentPicker",
        f'{MEDIA}, Limitations: "You can only have a maximum of 1 PhotoPicker per screen", '
        "and not a PhotoPicker and a DocumentPicker on one screen",
    ),
    "picker-value-nested": _e(
        "a media picker value is nested inside a payload field",
        f"{MEDIA}, Limitations: a picker's value is only valid as a top-level property of a "
        "data_exchange or complete payload",
    ),
    "picker-value-misplaced": _e(
        "a media picker value used outside a data_exchange/complete payload",
        f"{MEDIA}, Limitations; {STATIC}, Action errors: INVALID_ON_CLICK_ACTION_PAYLOAD "
        '("PhotoPicker/DocumentPicker not allowed in navigate payload")',
    ),
    # endpoint response contract (WhatsApp's own error names where it has one)
    "invalid-screen-transition": _e(
        "the answer moves to a screen the flow does not allow from here",
        f"{ENDPOINT_ERRORS}: invalid-screen-transition, \"Next screen doesn't match the "
        'routing model"',
    ),
    "payload-schema-error": _e(
        "the answer's data does not match the target screen's declarations",
        f"{ENDPOINT_ERRORS}: payload-schema-error, \"Screen data doesn't match the Flow JSON "
        'schema"',
    ),
    "data-field-absent": _w(
        "the answer leaves out a field the target screen declares (allowed: no value)",
        f'{FLOW_JSON}, Dynamic properties: "To represent the absence of a value, you can: '
        'Omit the property entirely"',
    ),
    "missing-flow-token": _e(
        "a SUCCESS answer lacks extension_message_response.params.flow_token",
        f"{ENDPOINT}, Data exchange request, final response payload: "
        "extension_message_response.params carries flow_token",
    ),
    "flow-token-mismatch": _w("a SUCCESS answer carries another flow token than the request"),
    "invalid-error-message": _e(
        "data.error_message is not a string",
        f"{ENDPOINT}, Data exchange request: error_message is the text of the snackbar",
    ),
    # what a journey saw on the wire (harness.walker): WhatsApp's error types, kebab-cased
    "response-decryption-error": _e(
        "the answer could not be decrypted", f"{ENDPOINT_ERRORS}: response-decryption-error"
    ),
    "unexpected-http-status-code": _e(
        "the endpoint answered a status WhatsApp does not understand",
        f"{ENDPOINT_ERRORS}: unexpected_http_status_code",
    ),
    "timeout-error": _e(
        "the endpoint did not answer within the client's timeout",
        f'{ENDPOINT_ERRORS}: timeout_error, "Endpoint request exceeded 10 seconds"',
    ),
    "no-http-response-error": _e(
        "the endpoint could not be reached", f"{ENDPOINT_ERRORS}: no_http_response_error"
    ),
    "business-decryption-error": _e(
        "the endpoint could not decrypt the request (421 twice)",
        f"{ERRORS}, Business endpoint HTTP error codes: 421; {ENDPOINT_ERRORS}: "
        "business-decryption-error",
    ),
    "flow-token-invalid": _e(
        "the endpoint answered 427: the flow token is no longer valid",
        f"{ERRORS}, Business endpoint HTTP error codes: 427",
    ),
    "signature-rejected": _e(
        "the endpoint answered 432 to a correctly signed request",
        f"{ERRORS}, Business endpoint HTTP error codes: 432",
    ),
    "over-budget": _w("an answer took longer than the response-time budget"),
}

RULES: dict[str, str] = {code: rule.summary for code, rule in RULE_TABLE.items()}
"""code -> what the rule checks. Codes are stable: CI scripts and tests match on them."""
