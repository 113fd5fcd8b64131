"""The typed Flow JSON model: flows, screens, components, actions, data declarations.

Every object keeps its JSON pointer into the source document, so findings and
walker messages can say exactly where something is. Unknown components and
properties are kept as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from harness.flowjson._bindings import Binding, find_bindings, is_single_binding
from harness.flowjson._catalog import INPUT_COMPONENTS, MEDIA_PICKERS, Version, version_tuple
from harness.flowjson._expressions import Screens, evaluate, resolve


@dataclass(frozen=True)
class Action:
    """An ``on-click-action``/``on-select-action``/``on-unselect-action``.

    ``next`` is the target screen id of a ``navigate``; ``url`` the address of an ``open_url``.
    """

    name: str
    event: str
    pointer: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    next: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Condition:
    """One If/Switch branch on the way to a component: it is shown only when this holds."""

    kind: Literal["if", "switch"]
    expression: Any  # the If's condition or the Switch's value
    branch: str  # "then"/"else" for If; the case key for Switch
    pointer: str  # the If/Switch component
    cases: tuple[str, ...] = ()  # a Switch's case keys, to decide its "default"

    def holds(
        self,
        *,
        form: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        screens: Screens | None = None,
    ) -> bool:
        value = self.expression
        if isinstance(value, str) and (self.kind == "if" or is_single_binding(value)):
            value = evaluate(value, form=form, data=data, screens=screens)
        else:
            value = resolve(value, form=form, data=data, screens=screens)
        if self.kind == "if":
            return bool(value) == (self.branch == "then")
        text = "" if value is None else str(value)
        if self.branch == "default" and text not in self.cases:
            return True
        return text == self.branch


@dataclass(frozen=True)
class Component:
    """A layout node. ``properties`` holds every key but ``type`` and the nested component lists."""

    type: str
    pointer: str
    properties: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[Component, ...] = ()
    branches: tuple[tuple[str, tuple[Component, ...]], ...] = ()  # If then/else, Switch cases
    actions: tuple[Action, ...] = ()  # its own, and those inside list-items/data-source
    conditions: tuple[Condition, ...] = ()

    @property
    def name(self) -> str | None:
        name = self.properties.get("name")
        return name if isinstance(name, str) else None

    @property
    def is_input(self) -> bool:
        return self.type in INPUT_COMPONENTS and self.name is not None

    @property
    def is_media_picker(self) -> bool:
        return self.type in MEDIA_PICKERS

    def walk(self) -> Iterator[Component]:
        """This component and every component below it, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()
        for _, branch in self.branches:
            for child in branch:
                yield from child.walk()


@dataclass(frozen=True)
class DataDeclaration:
    """One entry of a screen's ``data``: a JSON-Schema-like type plus its ``__example__``."""

    name: str
    pointer: str
    schema: Mapping[str, Any]  # the declaration without "__example__"
    example: Any = None
    has_example: bool = False

    @cached_property
    def validator(self) -> Any:
        """A JSON Schema validator for values of this field, built once (answers are
        checked against it on every exchange of a walk or a load test)."""
        import jsonschema

        return jsonschema.Draft202012Validator(dict(self.schema))


@dataclass(frozen=True)
class Screen:
    id: str
    pointer: str
    layout: tuple[Component, ...]
    title: str | None = None
    terminal: bool = False
    success: bool = False
    refresh_on_back: bool = False
    sensitive: tuple[str, ...] = ()
    data: Mapping[str, DataDeclaration] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)  # unknown keys, kept

    def walk(self) -> Iterator[Component]:
        for component in self.layout:
            yield from component.walk()

    def inputs(self) -> list[Component]:
        """Input components in layout order, including those inside If/Switch branches.

        Each carries ``conditions``: the branch choices that make it visible.
        """
        return [component for component in self.walk() if component.is_input]

    def input(self, name: str) -> Component | None:
        return next((item for item in self.inputs() if item.name == name), None)

    def footers(self) -> list[Component]:
        return [component for component in self.walk() if component.type == "Footer"]

    def footer(self) -> Component | None:
        """The first Footer in layout order (check ``conditions`` when it sits in a branch)."""
        footers = self.footers()
        return footers[0] if footers else None

    def actions(self) -> list[Action]:
        return [action for component in self.walk() for action in component.actions]

    def navigate_targets(self) -> tuple[str, ...]:
        targets = (action.next for action in self.actions() if action.name == "navigate")
        return tuple(dict.fromkeys(target for target in targets if target))

    def bindings(self) -> list[Binding]:
        """Every well-formed ``${...}`` in the layout (properties and action payloads)."""
        found: list[Binding] = []
        for component in self.walk():
            for pointer, text in strings_in(component.properties, component.pointer):
                found.extend(
                    item
                    for item in find_bindings(text, pointer=pointer)
                    if isinstance(item, Binding)
                )
        return found


@dataclass(frozen=True)
class Flow:
    version: str
    screens: tuple[Screen, ...]
    data_api_version: str | None = None
    routing_model: Mapping[str, tuple[str, ...]] | None = None
    data_channel_uri: str | None = None
    file: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # unknown top-level keys, kept

    @property
    def version_info(self) -> Version:
        return version_tuple(self.version)

    @property
    def uses_endpoint(self) -> bool:
        """True when the flow talks to an endpoint (data API or a pre-3.0 data channel)."""
        return self.data_api_version is not None or self.data_channel_uri is not None

    @property
    def screen_ids(self) -> tuple[str, ...]:
        return tuple(screen.id for screen in self.screens)

    def has_screen(self, screen_id: str) -> bool:
        return screen_id in self.screen_ids

    def screen(self, screen_id: str) -> Screen:
        for screen in self.screens:
            if screen.id == screen_id:
                return screen
        raise KeyError(f"no screen {screen_id!r}; screens are {', '.join(self.screen_ids)}")

    def routes(self) -> dict[str, tuple[str, ...]]:
        """The screen graph: routing_model when present, else the flow's navigate actions."""
        if self.routing_model is not None:
            graph: dict[str, tuple[str, ...]] = {screen_id: () for screen_id in self.screen_ids}
            graph.update({key: tuple(value) for key, value in self.routing_model.items()})
            return graph
        return {screen.id: screen.navigate_targets() for screen in self.screens}

    def routes_from(self, screen_id: str) -> tuple[str, ...]:
        return self.routes().get(screen_id, ())

    def entry_screens(self) -> list[Screen]:
        """Screens no route leads to, in document order."""
        targets = {target for targets in self.routes().values() for target in targets}
        return [screen for screen in self.screens if screen.id not in targets]

    @property
    def entry_screen(self) -> Screen | None:
        """The screen the flow opens on (the first screen nothing routes to)."""
        entries = self.entry_screens()
        return entries[0] if entries else None


def strings_in(value: Any, pointer: str) -> Iterator[tuple[str, str]]:
    """Every string inside a JSON value, with its pointer (``~`` and ``/`` escaped)."""
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from strings_in(item, f"{pointer}/{escape(str(key))}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_in(item, f"{pointer}/{index}")


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
