"""``validate``: every problem of a Flow JSON at once, as a :class:`Report`.

Layers: JSON syntax, then structure (the JSON Schema in ``flow.schema.json``),
then the rules that need the whole flow (routing, actions, bindings, data,
limits, versions). A document with structural errors stops after the second
layer: the later rules need its shape. Rule codes are listed in ``RULES``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from harness.flowjson._catalog import (
    COMPONENT_PROPERTIES,
    RESERVED_SCREEN_IDS,
    SCREEN_KEYS,
    SENDABLE_VERSIONS,
    TOP_LEVEL_KEYS,
    TOP_LEVEL_KEYS_BEFORE_3,
    version_tuple,
)
from harness.flowjson._errors import FlowFileError, FlowJSONError
from harness.flowjson._findings import Finding, Report, error, warning
from harness.flowjson._loader import build_flow, read_document, structural_findings
from harness.flowjson._model import Flow, escape
from harness.flowjson._rules_bindings import binding_findings
from harness.flowjson._rules_data import data_findings
from harness.flowjson._rules_routing import routing_findings
from harness.flowjson._rules_screens import screen_findings


def validate(source: Flow | str | Path | dict[str, Any], *, file: str | None = None) -> Report:
    """Check a flow (a :class:`Flow`, a path, JSON text or a parsed dict) against every rule.

    Broken JSON becomes an ``invalid-json`` finding with its line; only a file
    that cannot be read at all raises (:class:`FlowFileError`).
    """
    if isinstance(source, Flow):
        return Report.of(flow_findings(source), file=file or source.file)
    try:
        document, file = read_document(source, file=file)
    except FlowFileError:
        raise
    except FlowJSONError as exc:
        detail = exc.expected.removeprefix("valid JSON: ")
        message = f"not valid JSON at line {exc.line}, column {exc.column}: {detail}"
        return Report.of(
            [
                error(
                    "invalid-json", "", message, "fix the JSON syntax (a JSON linter shows it too)"
                )
            ],
            file=exc.file,
        )
    problems = structural_findings(document)
    if problems:
        return Report.of(problems, file=file)
    return Report.of(flow_findings(build_flow(document, file=file)), file=file)


def flow_findings(flow: Flow) -> list[Finding]:
    """The whole-flow rules, for a flow that already has Flow JSON's structure."""
    sendable = flow.version in SENDABLE_VERSIONS
    findings = _document_findings(flow)
    findings += routing_findings(flow)
    findings += screen_findings(flow)
    findings += binding_findings(flow, check_versions=sendable)
    findings += data_findings(flow)
    return findings


def _document_findings(flow: Flow) -> list[Finding]:
    findings = []
    if flow.version not in SENDABLE_VERSIONS:
        findings.append(
            error(
                "unsupported-version",
                "/version",
                f"version {flow.version!r} cannot be sent",
                f"use one of: {', '.join(SENDABLE_VERSIONS)} (7.3 recommended)",
            )
        )
    allowed = TOP_LEVEL_KEYS if version_tuple(flow.version) >= (3, 0) else TOP_LEVEL_KEYS_BEFORE_3
    if flow.data_channel_uri is not None:
        # build_flow keeps data_channel_uri as a field; it only belongs before 3.0
        findings += _unknown_keys(["data_channel_uri"], allowed, "", "the flow")
    findings += _unknown_keys(flow.extra, allowed, "", "the flow")
    for screen_id, count in Counter(flow.screen_ids).items():
        if count > 1:
            later = [s for s in flow.screens if s.id == screen_id][1:]
            findings += [
                error(
                    "duplicate-screen-id",
                    f"{screen.pointer}/id",
                    f"screen id {screen_id} is used {count} times",
                    "give every screen its own id",
                )
                for screen in later
            ]
    for screen in flow.screens:
        if screen.id in RESERVED_SCREEN_IDS:
            findings.append(
                error(
                    "reserved-screen-id",
                    f"{screen.pointer}/id",
                    f"{screen.id} is reserved: endpoints answer screen SUCCESS to close the flow",
                    "rename the screen",
                )
            )
        findings += _unknown_keys(screen.extra, SCREEN_KEYS, screen.pointer, f"screen {screen.id}")
        findings += _component_warnings(screen.walk())
    return findings


def _unknown_keys(keys: Any, allowed: frozenset[str], pointer: str, owner: str) -> list[Finding]:
    return [
        warning(
            "unknown-property",
            f"{pointer}/{escape(key)}",
            f"{owner} has an unknown property {key!r} (kept, not checked)",
            "check the spelling against Meta's Flow JSON reference",
        )
        for key in keys
        if key not in allowed
    ]


def _component_warnings(components: Any) -> list[Finding]:
    findings = []
    for component in components:
        known = COMPONENT_PROPERTIES.get(component.type)
        if known is None:
            findings.append(
                warning(
                    "unknown-component",
                    component.pointer,
                    f"unknown component type {component.type!r} (kept, not checked)",
                    "check the spelling against Meta's component reference",
                )
            )
            continue
        owner = f"{component.type}"
        findings += _unknown_keys(component.properties, known, component.pointer, owner)
    return findings
