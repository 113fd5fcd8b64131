"""Reading a Flow JSON: text or file to JSON, the structural JSON Schema, then the typed model."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from harness.flowjson._catalog import ACTION_EVENTS
from harness.flowjson._errors import FlowFileError, FlowJSONError
from harness.flowjson._findings import Finding, error
from harness.flowjson._model import (
    Action,
    Component,
    Condition,
    DataDeclaration,
    Flow,
    Screen,
    escape,
)

FlowSource = str | Path | Mapping[str, Any]
_NESTED = ("children", "then", "else", "cases")  # keys holding components, not properties
_SCHEMA_CODES = {
    "required": "missing-property",
    "type": "wrong-type",
    "enum": "invalid-value",
    "const": "invalid-value",
}


def read_document(source: FlowSource, *, file: str | None = None) -> tuple[Any, str | None]:
    """The parsed JSON and a display name; raises :class:`FlowJSONError` with line and column."""
    if isinstance(source, Mapping):
        return dict(source), file
    if isinstance(source, str) and source.lstrip().startswith(("{", "[")):
        text = source
    else:
        path = Path(source)
        file = file or str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FlowFileError(f"a readable UTF-8 file ({exc})", file=file) from exc
    try:
        return json.loads(text), file
    except json.JSONDecodeError as exc:
        raise FlowJSONError(
            f"valid JSON: {exc.msg}", file=file, line=exc.lineno, column=exc.colno
        ) from exc


@cache
def flow_schema() -> dict[str, Any]:
    """The structural JSON Schema shipped with the package (``flow.schema.json``)."""
    text = resources.files("harness.flowjson").joinpath("flow.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def structural_findings(document: Any) -> list[Finding]:
    """Every place where the document does not have Flow JSON's shape."""
    validator = jsonschema.Draft202012Validator(flow_schema())
    findings = []
    for problem in validator.iter_errors(document):
        pointer = "".join(f"/{escape(str(part))}" for part in problem.absolute_path)
        code = _SCHEMA_CODES.get(str(problem.validator), "invalid-structure")
        findings.append(error(code, pointer, problem.message, _schema_hint(problem)))
    return findings


def _schema_hint(problem: jsonschema.ValidationError) -> str:
    if problem.validator == "required":
        return "add the property; see Meta's Flow JSON reference for its meaning"
    if problem.validator in ("enum", "const"):
        return f"use one of: {problem.validator_value}"
    return ""


def load_flow(source: FlowSource, *, file: str | None = None) -> Flow:
    """Read a Flow JSON (a path, JSON text or an already parsed dict) into a :class:`Flow`.

    Raises :class:`FlowJSONError` for unreadable files, broken JSON, or a
    document without Flow JSON's structure (every structural problem is listed).
    """
    document, file = read_document(source, file=file)
    problems = structural_findings(document)
    if problems:
        first = problems[0]
        raise FlowJSONError(
            f"a Flow JSON structure: {first.message}",
            file=file,
            pointer=first.pointer,
            problems=tuple(f"{item.pointer or '/'}: {item.message}" for item in problems),
        )
    return build_flow(document, file=file)


def build_flow(document: Mapping[str, Any], *, file: str | None = None) -> Flow:
    """The model of a structurally valid document."""
    routing = document.get("routing_model")
    known = {"version", "data_api_version", "routing_model", "screens", "data_channel_uri"}
    return Flow(
        version=document["version"],
        screens=tuple(_screen(raw, f"/screens/{i}") for i, raw in enumerate(document["screens"])),
        data_api_version=document.get("data_api_version"),
        routing_model=None if routing is None else {k: tuple(v) for k, v in routing.items()},
        data_channel_uri=document.get("data_channel_uri"),
        file=file,
        extra={key: value for key, value in document.items() if key not in known},
    )


def _screen(raw: Mapping[str, Any], pointer: str) -> Screen:
    known = {"id", "title", "terminal", "success", "refresh_on_back", "sensitive", "data"}
    declarations = {
        name: _declaration(name, spec, f"{pointer}/data/{escape(name)}")
        for name, spec in raw.get("data", {}).items()
    }
    return Screen(
        id=raw["id"],
        pointer=pointer,
        layout=_components(raw["layout"]["children"], f"{pointer}/layout/children", ()),
        title=raw.get("title"),
        terminal=raw.get("terminal", False),
        success=raw.get("success", False),
        refresh_on_back=raw.get("refresh_on_back", False),
        sensitive=tuple(raw.get("sensitive", ())),
        data=declarations,
        extra={key: value for key, value in raw.items() if key not in {*known, "layout"}},
    )


def _declaration(name: str, spec: Mapping[str, Any], pointer: str) -> DataDeclaration:
    schema = {key: value for key, value in spec.items() if key != "__example__"}
    return DataDeclaration(
        name=name,
        pointer=pointer,
        schema=schema,
        example=spec.get("__example__"),
        has_example="__example__" in spec,
    )


def _components(
    raws: list[Mapping[str, Any]], pointer: str, conditions: tuple[Condition, ...]
) -> tuple[Component, ...]:
    return tuple(_component(raw, f"{pointer}/{i}", conditions) for i, raw in enumerate(raws))


def _component(
    raw: Mapping[str, Any], pointer: str, conditions: tuple[Condition, ...]
) -> Component:
    kind = raw["type"]
    branches: list[tuple[str, tuple[Component, ...]]] = []
    if kind == "If":
        for branch in ("then", "else"):
            guard = Condition("if", raw["condition"], branch, pointer)
            branch_conditions = (*conditions, guard)
            nested = _components(raw.get(branch, []), f"{pointer}/{branch}", branch_conditions)
            branches.append((branch, nested))
    elif kind == "Switch":
        cases = tuple(raw["cases"])
        for case, items in raw["cases"].items():
            guard = Condition("switch", raw["value"], case, pointer, cases)
            case_pointer = f"{pointer}/cases/{escape(case)}"
            branches.append((case, _components(items, case_pointer, (*conditions, guard))))
    children = _components(raw.get("children", []), f"{pointer}/children", conditions)
    return Component(
        type=kind,
        pointer=pointer,
        properties={key: value for key, value in raw.items() if key not in ("type", *_NESTED)},
        children=children,
        branches=tuple(branches),
        actions=tuple(_actions(raw, pointer)),
        conditions=conditions,
    )


def _actions(raw: Mapping[str, Any], pointer: str) -> Iterator[Action]:
    """The component's own actions, then those on list-items and data-source entries."""
    for event in ACTION_EVENTS:
        if isinstance(raw.get(event), Mapping):
            yield _action(raw[event], event, f"{pointer}/{event}")
    for key in ("list-items", "data-source"):
        items = raw.get(key)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            for event in ACTION_EVENTS:
                if isinstance(item, Mapping) and isinstance(item.get(event), Mapping):
                    yield _action(item[event], event, f"{pointer}/{key}/{index}/{event}")


def _action(raw: Mapping[str, Any], event: str, pointer: str) -> Action:
    target = raw.get("next")
    return Action(
        name=raw["name"],
        event=event,
        pointer=pointer,
        payload=dict(raw.get("payload") or {}),
        next=target.get("name") if isinstance(target, Mapping) else None,
        url=raw.get("url"),
    )
