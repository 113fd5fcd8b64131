"""References in Flow JSON strings: ``${form.x}``, ``${data.x}``, ``${screen.ID.data.x}``."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from harness.flowjson._errors import ExpressionError

BINDING_PATTERN = re.compile(r"\$\{([^}]*)\}")
_SEGMENT = re.compile(r"[^.\s][^.]*")

Scope = Literal["form", "data"]


@dataclass(frozen=True)
class Binding:
    """One ``${...}`` reference, where it was found, and what it names.

    ``screen`` is set for global references (``${screen.ID.form.x}``, Flow JSON 4.0+);
    ``path`` holds segments after the name (``${data.user.city}`` -> ``("city",)``).
    """

    scope: Scope
    name: str
    text: str
    pointer: str = ""
    screen: str | None = None
    path: tuple[str, ...] = ()

    @property
    def is_global(self) -> bool:
        return self.screen is not None

    def lookup(
        self,
        *,
        form: Mapping[str, Any],
        data: Mapping[str, Any],
        screens: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    ) -> Any:
        """The bound value, or ``None`` when nothing is there yet (an empty field)."""
        if self.screen is not None:
            source = (screens or {}).get(self.screen, {}).get(self.scope, {})
        else:
            source = form if self.scope == "form" else data
        value: Any = source.get(self.name)
        for segment in self.path:
            value = value.get(segment) if isinstance(value, Mapping) else None
        return value


def parse_binding(text: str, *, pointer: str = "") -> Binding:
    """Parse one ``${...}`` reference; raise :class:`ExpressionError` if it names nothing valid."""
    match = BINDING_PATTERN.fullmatch(text.strip())
    if match is None:
        raise ExpressionError("expected a binding like ${form.name}", expression=text, position=0)
    segments = [segment.strip() for segment in match.group(1).split(".")]
    if not all(_SEGMENT.fullmatch(segment) for segment in segments):
        raise ExpressionError("empty name in binding", expression=text, position=2)
    screen = None
    if segments[0] == "screen":
        if len(segments) < 4:
            raise ExpressionError(
                "a global binding reads ${screen.SCREEN_ID.form.name} or "
                "${screen.SCREEN_ID.data.name}",
                expression=text,
                position=2,
            )
        screen, segments = segments[1], segments[2:]
    scope = segments[0]
    if scope not in ("form", "data") or len(segments) < 2:
        raise ExpressionError(
            "a binding starts with form., data. or screen.", expression=text, position=2
        )
    return Binding(
        scope="form" if scope == "form" else "data",
        name=segments[1],
        text=text.strip(),
        pointer=pointer,
        screen=screen,
        path=tuple(segments[2:]),
    )


def find_bindings(text: str, *, pointer: str = "") -> Iterator[Binding | ExpressionError]:
    """Every ``${...}`` in a string: a :class:`Binding`, or the error for a malformed one."""
    for match in BINDING_PATTERN.finditer(text):
        try:
            yield parse_binding(match.group(0), pointer=pointer)
        except ExpressionError as error:
            yield ExpressionError(error.message, expression=text, position=match.start())


def is_single_binding(value: object) -> bool:
    """True for a string that is exactly one ``${...}`` reference (its value is used as is)."""
    return isinstance(value, str) and BINDING_PATTERN.fullmatch(value.strip()) is not None


def is_expression(value: object) -> bool:
    """True for a backtick expression string (Flow JSON 6.0+): ``\\`${form.a} + 1\\```."""
    if not isinstance(value, str):
        return False
    stripped = value.strip()
    return len(stripped) >= 2 and stripped.startswith("`") and stripped.endswith("`")
