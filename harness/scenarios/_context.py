"""Scenario variables and ``${name.path}`` interpolation.

A string that is exactly ``${x}`` becomes x's value with its type (a dict, a
number); inside longer text the value is formatted in. ``$${`` writes a literal
``${``. Paths walk mappings by key and lists by index: ``${ana.typed.email}``,
``${answers.0.screen}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from harness.scenarios.exceptions import ScenarioRuntimeError

__all__ = ["Variables", "lookup"]

_REF = re.compile(r"\$\$\{|\$\{([A-Za-z_][\w.-]*)\}")
_WHOLE = re.compile(r"^\$\{([A-Za-z_][\w.-]*)\}$")


def lookup(root: Any, path: str, what: str = "value") -> Any:
    """``path`` (dots) inside ``root``; raises with the part that is missing."""
    node = root
    walked: list[str] = []
    for part in path.split("."):
        walked.append(part)
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif (
            isinstance(node, list)
            and part.lstrip("-").isdigit()
            and -len(node) <= int(part) < len(node)
        ):
            node = node[int(part)]
        else:
            here = ".".join(walked)
            keys = ", ".join(map(str, node)) if isinstance(node, Mapping) else type(node).__name__
            raise ScenarioRuntimeError(f"{what} {here!r} not found (available: {keys})")
    return node


class Variables:
    """The names a scenario can use: setup vars, people, tokens, then captures."""

    def __init__(self, initial: Mapping[str, Any] | None = None):
        self._values: dict[str, Any] = dict(initial or {})

    def __setitem__(self, name: str, value: Any) -> None:
        self._values[name] = value

    def __getitem__(self, name: str) -> Any:
        return lookup(self._values, name, "variable")

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def get(self, name: str, default: Any = None) -> Any:
        """A top-level variable, or ``default`` when it is not set."""
        return self._values.get(name, default)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def fill(self, value: Any) -> Any:
        """``value`` with every ``${...}`` replaced, recursively."""
        if isinstance(value, str):
            whole = _WHOLE.match(value)
            if whole:
                return self[whole.group(1)]
            return _REF.sub(self._replace, value)
        if isinstance(value, Mapping):
            return {self.fill(k): self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    def _replace(self, match: re.Match[str]) -> str:
        if match.group(1) is None:
            return "${"
        value = self[match.group(1)]
        return value if isinstance(value, str) else str(value)
