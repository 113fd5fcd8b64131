"""Data declaration rules: every field is a valid schema with a matching, null-free example."""

from __future__ import annotations

from typing import Any

import jsonschema

from harness.flowjson._findings import Finding, error
from harness.flowjson._model import DataDeclaration, Flow, escape


def data_findings(flow: Flow) -> list[Finding]:
    return [
        finding
        for screen in flow.screens
        for declaration in screen.data.values()
        for finding in _declaration_findings(declaration)
    ]


def _declaration_findings(declaration: DataDeclaration) -> list[Finding]:
    name = declaration.name
    if not declaration.has_example:
        return [
            error(
                "missing-example",
                declaration.pointer,
                f"data field {name!r} has no __example__",
                'add "__example__" with a value of the declared type',
            )
        ]
    example_pointer = f"{declaration.pointer}/__example__"
    null_at = _first_null(declaration.example, example_pointer)
    if null_at is not None:
        return [
            error(
                "null-example",
                null_at,
                f"data field {name!r} has null in its __example__",
                "Meta's validator fails on null: give a real value of the declared type, or "
                "leave the field out of the example's object",
            )
        ]
    try:
        jsonschema.Draft202012Validator.check_schema(dict(declaration.schema))
    except jsonschema.SchemaError as exc:
        return [
            error(
                "invalid-data-declaration",
                declaration.pointer,
                f"data field {name!r} is not a valid schema: {exc.message}",
                "declarations follow JSON Schema: type, items, properties",
            )
        ]
    validator = jsonschema.Draft202012Validator(dict(declaration.schema))
    return [
        error(
            "example-type-mismatch",
            example_pointer + "".join(f"/{escape(str(part))}" for part in problem.absolute_path),
            f"__example__ of {name!r} does not match its declaration: {problem.message}",
            "make the example a value of the declared type",
        )
        for problem in validator.iter_errors(declaration.example)
    ]


def _first_null(value: Any, pointer: str) -> str | None:
    if value is None:
        return pointer
    items: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        items = [(escape(str(key)), item) for key, item in value.items()]
    elif isinstance(value, list):
        items = [(str(index), item) for index, item in enumerate(value)]
    for key, item in items:
        found = _first_null(item, f"{pointer}/{key}")
        if found is not None:
            return found
    return None
