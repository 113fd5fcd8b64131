"""Binding, expression and version rules: every ``${...}`` resolves, every expression parses,
every feature exists in the declared version, media values go only where WhatsApp allows them."""

from __future__ import annotations

from harness.flowjson._bindings import Binding, find_bindings, is_expression
from harness.flowjson._catalog import (
    ACTION_SINCE,
    COMPONENT_PROPERTIES,
    COMPONENT_SINCE,
    EXPRESSIONS_SINCE,
    GLOBAL_BINDINGS_SINCE,
    PROPERTY_SINCE,
    Version,
    version_text,
)
from harness.flowjson._errors import ExpressionError
from harness.flowjson._expressions import parse
from harness.flowjson._findings import Finding, error
from harness.flowjson._model import Component, Flow, Screen, escape, strings_in


def binding_findings(flow: Flow, *, check_versions: bool = True) -> list[Finding]:
    findings: list[Finding] = []
    for screen in flow.screens:
        for component in screen.walk():
            if check_versions:
                findings += _version_findings(flow, component)
            for pointer, text in strings_in(component.properties, component.pointer):
                findings += _string_findings(flow, screen, component, pointer, text, check_versions)
    return findings


def _too_new(flow: Flow, since: Version, pointer: str, feature: str) -> list[Finding]:
    if flow.version_info >= since:
        return []
    return [
        error(
            "feature-above-version",
            pointer,
            f"{feature} needs Flow JSON {version_text(since)}, the flow declares {flow.version}",
            f'raise "version" to {version_text(since)} or later, or drop the feature',
        )
    ]


def _version_findings(flow: Flow, component: Component) -> list[Finding]:
    findings = []
    if component.type in COMPONENT_SINCE:
        since = COMPONENT_SINCE[component.type]
        findings += _too_new(flow, since, component.pointer, f"the {component.type} component")
    for (kind, name), since in PROPERTY_SINCE.items():
        if component.type == kind and name in component.properties:
            pointer = f"{component.pointer}/{escape(name)}"
            findings += _too_new(flow, since, pointer, f"{kind}'s {name!r} property")
    for action in component.actions:
        if action.name in ACTION_SINCE:
            since = ACTION_SINCE[action.name]
            findings += _too_new(flow, since, action.pointer, f"the {action.name} action")
    return findings


def _string_findings(
    flow: Flow,
    screen: Screen,
    component: Component,
    pointer: str,
    text: str,
    check_versions: bool,
) -> list[Finding]:
    findings: list[Finding] = []
    is_condition = component.type == "If" and pointer == f"{component.pointer}/condition"
    if is_expression(text) or is_condition:
        if is_expression(text) and check_versions:
            findings += _too_new(flow, EXPRESSIONS_SINCE, pointer, "a backtick expression")
        try:
            parse(text)
        except ExpressionError as exc:
            findings.append(
                error(
                    "expression-syntax",
                    pointer,
                    f"{exc.message} at character {exc.position} of {text!r}",
                    "expressions use ${...} values, 'text', numbers, ( ) and "
                    "== != < <= > >= && || ! + - * / %",
                )
            )
    for found in find_bindings(text, pointer=pointer):
        if isinstance(found, ExpressionError):
            findings.append(
                error(
                    "invalid-binding",
                    pointer,
                    f"{found.message} at character {found.position} of {text!r}",
                    "write ${form.NAME}, ${data.NAME} or ${screen.SCREEN_ID.form.NAME}",
                )
            )
            continue
        findings += _resolve(flow, screen, found, check_versions)
        findings += _media_placement(flow, screen, component, found, text)
    return findings


def _form_names(screen: Screen) -> set[str]:
    # a named component of an unknown type may be an input WhatsApp knows and we do not
    return {
        component.name
        for component in screen.walk()
        if component.name is not None
        and (component.is_input or component.type not in COMPONENT_PROPERTIES)
    }


def _resolve(flow: Flow, screen: Screen, binding: Binding, check_versions: bool) -> list[Finding]:
    if binding.screen is None:
        if binding.scope == "form" and binding.name not in _form_names(screen):
            return [
                error(
                    "unresolved-form-binding",
                    binding.pointer,
                    f"{binding.text}: screen {screen.id} has no input named {binding.name!r}",
                    f"inputs here: {', '.join(sorted(_form_names(screen))) or 'none'}",
                )
            ]
        if binding.scope == "data" and binding.name not in screen.data:
            return [
                error(
                    "unresolved-data-binding",
                    binding.pointer,
                    f"{binding.text}: {binding.name!r} is not in screen {screen.id}'s data",
                    f'declare "{binding.name}" with a type and an __example__ in the data',
                )
            ]
        return []
    findings = []
    if check_versions:
        findings += _too_new(flow, GLOBAL_BINDINGS_SINCE, binding.pointer, "a ${screen...} binding")
    problem = None
    if not flow.has_screen(binding.screen):
        problem = f"screen {binding.screen} does not exist"
    else:
        target = flow.screen(binding.screen)
        if binding.scope == "form" and binding.name not in _form_names(target):
            problem = f"screen {target.id} has no input named {binding.name!r}"
        if binding.scope == "data" and binding.name not in target.data:
            problem = f"{binding.name!r} is not declared in screen {target.id}'s data"
    if problem:
        findings.append(
            error(
                "unresolved-screen-binding",
                binding.pointer,
                f"{binding.text}: {problem}",
                f"screens are: {', '.join(flow.screen_ids)}",
            )
        )
    return findings


def _media_placement(
    flow: Flow, screen: Screen, component: Component, binding: Binding, text: str
) -> list[Finding]:
    owner_id = binding.screen or screen.id
    if binding.scope != "form" or not flow.has_screen(owner_id):
        return []
    source = flow.screen(owner_id).input(binding.name)
    if source is None or not source.is_media_picker:
        return []
    for action in component.actions:
        if not binding.pointer.startswith(f"{action.pointer}/payload/"):
            continue
        if action.name not in ("data_exchange", "complete"):
            break
        field = binding.pointer.removeprefix(f"{action.pointer}/payload/")
        if "/" in field or text.strip() != binding.text:
            return [
                error(
                    "picker-value-nested",
                    binding.pointer,
                    f"{binding.text} (a {source.type}) is nested inside a payload field",
                    f'use it as a top-level field: "payload": {{"{binding.name}": '
                    f'"{binding.text}"}}',
                )
            ]
        return []
    return [
        error(
            "picker-value-misplaced",
            binding.pointer,
            f"{binding.text} (a {source.type}) is used outside a data_exchange/complete payload",
            "media values can only be sent as top-level payload fields of data_exchange "
            "or complete",
        )
    ]
