"""Screen rules: Footers and terminal screens, where actions may be used, component limits."""

from __future__ import annotations

from collections.abc import Mapping

from harness.flowjson._bindings import is_expression, is_single_binding
from harness.flowjson._catalog import (
    DROPDOWN_OPTIONS_WITH_IMAGES,
    MAX_COMPONENTS_PER_SCREEN,
    OPTION_LIMITS,
    TEXT_INPUT_TYPES,
)
from harness.flowjson._findings import Finding, error, warning
from harness.flowjson._model import Component, Flow, Screen


def screen_findings(flow: Flow) -> list[Finding]:
    findings: list[Finding] = []
    for screen in flow.screens:
        findings += _footer_findings(screen)
        findings += _action_findings(screen)
        findings += _limit_findings(screen)
    return findings


def _exclusive(first: Component, second: Component) -> bool:
    """True when two components sit in different branches of the same If/Switch."""
    branches = {condition.pointer: condition.branch for condition in first.conditions}
    return any(
        condition.pointer in branches and branches[condition.pointer] != condition.branch
        for condition in second.conditions
    )


def _footer_findings(screen: Screen) -> list[Finding]:
    findings = []
    footers = screen.footers()
    if screen.terminal and not footers:
        findings.append(
            error(
                "terminal-without-footer",
                screen.pointer,
                f"terminal screen {screen.id} has no Footer",
                "add a Footer whose on-click-action is complete (or data_exchange)",
            )
        )
    for index, footer in enumerate(footers):
        if any(not _exclusive(earlier, footer) for earlier in footers[:index]):
            findings.append(
                error(
                    "multiple-footers",
                    footer.pointer,
                    f"screen {screen.id} shows a second Footer",
                    "keep one Footer per screen (one per If/Switch branch at most)",
                )
            )
    return findings


def _action_findings(screen: Screen) -> list[Finding]:
    findings = []
    for component in screen.walk():
        for action in component.actions:
            if action.name == "complete" and component.type != "Footer":
                findings.append(
                    error(
                        "complete-outside-footer",
                        action.pointer,
                        f"{component.type} uses complete; only a Footer can complete the flow",
                        "move the complete action to the terminal screen's Footer",
                    )
                )
            elif action.name == "complete" and not screen.terminal:
                findings.append(
                    error(
                        "complete-not-terminal",
                        action.pointer,
                        f"screen {screen.id} is not terminal, so its Footer cannot complete",
                        'mark the screen "terminal": true, or navigate/data_exchange instead',
                    )
                )
            elif action.name == "navigate" and component.type == "Footer" and screen.terminal:
                findings.append(
                    warning(
                        "navigate-on-terminal-footer",
                        action.pointer,
                        f"terminal screen {screen.id}'s Footer navigates",
                        "a terminal Footer completes the flow (complete or data_exchange)",
                    )
                )
    return findings


def _limit_findings(screen: Screen) -> list[Finding]:
    findings = []
    components = list(screen.walk())
    if len(components) > MAX_COMPONENTS_PER_SCREEN:
        findings.append(
            error(
                "too-many-components",
                f"{screen.pointer}/layout",
                f"screen {screen.id} has {len(components)} components "
                f"(at most {MAX_COMPONENTS_PER_SCREEN})",
                "split the screen in two",
            )
        )
    pickers = [component for component in components if component.is_media_picker]
    for picker in pickers[1:]:
        findings.append(
            error(
                "multiple-media-pickers",
                picker.pointer,
                f"screen {screen.id} has {len(pickers)} media pickers (at most one)",
                "put each PhotoPicker/DocumentPicker on its own screen",
            )
        )
    for component in components:
        findings += _component_limits(component)
    return findings


def _component_limits(component: Component) -> list[Finding]:
    findings = []
    options = component.properties.get("data-source")
    if component.type in OPTION_LIMITS and isinstance(options, list):
        low, high = OPTION_LIMITS[component.type]
        images = any(isinstance(item, Mapping) and "image" in item for item in options)
        if component.type == "Dropdown" and images:
            high = DROPDOWN_OPTIONS_WITH_IMAGES
        if not low <= len(options) <= high:
            with_images = " with images" if images and component.type == "Dropdown" else ""
            findings.append(
                error(
                    "option-count-out-of-range",
                    f"{component.pointer}/data-source",
                    f"{component.type} has {len(options)} options{with_images} (allowed {low} "
                    f"to {high})",
                    "trim the list, or use another component for long lists",
                )
            )
    input_type = component.properties.get("input-type")
    dynamic = is_single_binding(input_type) or is_expression(input_type)
    fixed_type = component.type == "TextInput" and input_type is not None and not dynamic
    if fixed_type and (not isinstance(input_type, str) or input_type not in TEXT_INPUT_TYPES):
        findings.append(
            error(
                "invalid-input-type",
                f"{component.pointer}/input-type",
                f"input-type {input_type!r} is not allowed",
                f"use one of: {', '.join(sorted(TEXT_INPUT_TYPES))}",
            )
        )
    return findings
