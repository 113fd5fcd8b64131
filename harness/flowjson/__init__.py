"""Flow JSON: a typed model, a validator, bindings and expressions, and the response contract.

- :func:`load_flow` reads a Flow JSON (2.1 to 7.3) into a :class:`Flow`, or raises
  :class:`FlowJSONError` saying where and what was expected.
- :func:`validate` reports every problem at once as a :class:`Report` of
  :class:`Finding` objects, each with a stable ``code`` (see :data:`RULES`).
- :func:`parse` / :func:`evaluate` / :func:`resolve` handle ``${...}`` bindings and
  backtick expressions, for the validator and for flow walkers.
- :func:`check_response` checks an endpoint's decrypted answer against the flow,
  with WhatsApp's error names (``invalid-screen-transition``, ``payload-schema-error``).
"""

from harness.flowjson._bindings import Binding, find_bindings, parse_binding
from harness.flowjson._catalog import SENDABLE_VERSIONS
from harness.flowjson._contract import check_response
from harness.flowjson._errors import ExpressionError, FlowFileError, FlowJSONError
from harness.flowjson._expressions import Expression, evaluate, parse, resolve, to_text
from harness.flowjson._findings import RULES, Finding, Report
from harness.flowjson._loader import flow_schema, load_flow
from harness.flowjson._model import (
    Action,
    Component,
    Condition,
    DataDeclaration,
    Flow,
    Screen,
)
from harness.flowjson._rule_table import RULE_TABLE, Rule
from harness.flowjson._validator import validate

__all__ = [
    "RULES",
    "RULE_TABLE",
    "SENDABLE_VERSIONS",
    "Action",
    "Binding",
    "Component",
    "Condition",
    "DataDeclaration",
    "Expression",
    "ExpressionError",
    "Finding",
    "Flow",
    "FlowFileError",
    "FlowJSONError",
    "Report",
    "Rule",
    "Screen",
    "check_response",
    "evaluate",
    "find_bindings",
    "flow_schema",
    "load_flow",
    "parse",
    "parse_binding",
    "resolve",
    "to_text",
    "validate",
]
