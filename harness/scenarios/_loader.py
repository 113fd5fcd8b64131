"""Reading scenario files: YAML with line numbers (ruamel), checked by the JSON Schema.

Every problem becomes a :class:`ScenarioFileError` naming the file, the line and
what was expected there, so a typo in step 7 points at step 7.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from harness.scenarios._model import STEP_KINDS, Scenario, build_scenario
from harness.scenarios.exceptions import ScenarioFileError

__all__ = ["SCHEMA", "discover", "load_scenario", "load_scenarios", "scenario_schema"]

SCHEMA = "scenario.schema.json"
_CHECK_KINDS = (
    "contacts",
    "requests",
    "notifications",
    "alerts",
    "sql",
    "dead_letter",
    "parked",
    "completions",
    "attachments",
)


@cache
def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (``harness/scenarios/scenario.schema.json``)."""
    text = resources.files("harness.scenarios").joinpath(SCHEMA).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def discover(paths: Iterable[Path | str]) -> list[Path]:
    """Scenario files under ``paths`` (a directory gives its ``*.yaml``/``*.yml``), sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        elif path.exists():
            found.append(path)
        else:
            raise ScenarioFileError(path, None, "", "no such file or directory")
    return found


def load_scenarios(paths: Iterable[Path | str]) -> list[Scenario]:
    return [load_scenario(p) for p in discover(paths)]


def load_scenario(path: Path | str) -> Scenario:
    """Parse and check one scenario file; raises :class:`ScenarioFileError`."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(path, None, "", f"cannot read the file: {exc}") from exc
    return parse_scenario(text, path)


def parse_scenario(text: str, path: Path | str = "<string>") -> Scenario:
    path = Path(path)
    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ScenarioFileError(path, line, "", f"not valid YAML: {exc.problem}") from exc
    if not isinstance(tree, CommentedMap):
        raise ScenarioFileError(path, 1, "", "a scenario file is a mapping with name and steps")
    errors = sorted(
        jsonschema.Draft202012Validator(scenario_schema()).iter_errors(tree),
        key=lambda e: (_line(tree, list(e.absolute_path)) or 0, list(map(str, e.absolute_path))),
    )
    if errors:
        first = _deepest(errors[0])
        where = list(first.absolute_path)
        if first.validator == "additionalProperties" and isinstance(first.instance, dict):
            known = first.schema.get("properties") or {}
            extra = [k for k in first.instance if k not in known]
            where += extra[:1]  # point at the unexpected key itself
        raise ScenarioFileError(
            path, _line(tree, where), _where(list(first.absolute_path)), _explain(first)
        )
    _check_single_kinds(tree, path)
    data = _plain(tree)
    setup = data.get("setup") or {}
    if setup.get("flow") is not None:
        setup["flow"] = str(_resolve_flow(setup["flow"], path, tree))
    lines = [_line(tree, ["steps", i]) or 0 for i in range(len(tree["steps"]))]
    try:
        return build_scenario(data, path, lines)
    except ValueError as exc:
        raise ScenarioFileError(path, None, "", str(exc)) from exc


def _resolve_flow(value: str, path: Path, tree: CommentedMap) -> Path:
    """setup.flow relative to the scenario file, else (files written before) to the cwd.

    Resolved now, so a run from any directory finds it and a typo fails at load time.
    """
    written = Path(value).expanduser()
    candidates = list(dict.fromkeys([path.parent / written, written]))
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    tried = " or ".join(str(c.absolute()) for c in candidates)
    at = ["setup", "flow"]
    raise ScenarioFileError(
        path,
        _line(tree, at),
        _where(at),
        f"no such file: {value} (looked for {tried}); write the path relative to the "
        "scenario file, or leave setup.flow out to walk the reference lead-capture flow",
    )


def _check_single_kinds(tree: CommentedMap, path: Path) -> None:
    """Schema can say which keys a step may have; exactly-one-of reads better here."""
    for index, step in enumerate(tree["steps"]):
        _exactly_one(step, STEP_KINDS, ["steps", index], tree, path, "step")
        for key in ("check", "wait_for"):
            if key in step:
                checks = step[key]["check"] if key == "wait_for" else step[key]
                items = checks if isinstance(checks, CommentedSeq) else [checks]
                for n, check in enumerate(items):
                    at: list[Any] = ["steps", index, key] + (["check"] if key == "wait_for" else [])
                    if isinstance(checks, CommentedSeq):
                        at.append(n)
                    _exactly_one(check, _CHECK_KINDS, at, tree, path, "check")


def _exactly_one(
    node: CommentedMap, kinds: Sequence[str], at: list[Any], tree: Any, path: Path, what: str
) -> None:
    present = [k for k in kinds if k in node]
    if len(present) != 1:
        found = ", ".join(present) if present else "none"
        raise ScenarioFileError(
            path,
            _line(tree, at),
            _where(at),
            f"a {what} needs exactly one of {', '.join(kinds)} (found: {found})",
        )


def _deepest(error: ValidationError) -> ValidationError:
    # oneOf/anyOf: the branch that got furthest explains the problem best
    if error.context:
        return _deepest(max(error.context, key=lambda e: len(e.absolute_path)))
    return error


def _explain(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        return f"{error.message}; expected one of: {', '.join(allowed)}"
    if error.validator == "enum":
        return f"{error.instance!r} is not allowed; expected one of: " + ", ".join(
            map(str, error.validator_value)
        )
    if error.validator == "required":
        return f"{error.message} here"
    return error.message


def _where(at: Sequence[Any]) -> str:
    out = ""
    for part in at:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line(tree: Any, at: Sequence[Any]) -> int | None:
    """1-based line of the deepest node of ``at`` that ruamel knows a position for."""
    line: int | None = None
    node = tree
    for part in at:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
            else:
                break
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    if line is None and hasattr(tree, "lc"):
        line = tree.lc.line + 1
    return line


def _plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts, lists and scalars."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if node is None or isinstance(node, bool):
        return node
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return str(node)  # timestamps and other YAML types: as written
