"""One screen as the user sees it: live data, form values, what is visible, ways forward."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.flowjson import Action, Component, ExpressionError, Flow, Screen, resolve
from harness.walker._values import MULTI_CHOICE, Context, options

FORWARD_ACTIONS = frozenset({"navigate", "data_exchange", "complete"})
Screens = dict[str, dict[str, dict[str, Any]]]


@dataclass(frozen=True)
class Way:
    """A way to leave the screen: an action and what the user taps to fire it."""

    action: Action
    source: str  # "Footer", "EmbeddedLink", "OptIn", "NavigationList item 'home'"
    item: str | None = None  # the NavigationList item id
    list_name: str | None = None  # the NavigationList's name

    @property
    def pointer(self) -> str:
        return self.action.pointer


class ScreenState:
    """A screen being filled in. ``screens`` holds every visited screen's form and data."""

    def __init__(
        self, flow: Flow, screen: Screen, data: Mapping[str, Any], screens: Screens
    ) -> None:
        self.flow = flow
        self.screen = screen
        self.data: dict[str, Any] = dict(data)
        self.form: dict[str, Any] = {}
        self.decided: set[str] = set()  # pointers of inputs filled or left empty
        self.screens = screens
        self.sync()

    @property
    def id(self) -> str:
        return self.screen.id

    def sync(self) -> None:
        """Publish this screen's form and data for ``${screen.ID...}`` references."""
        self.screens[self.id] = {"form": self.form, "data": self.data}

    def context(self) -> Context:
        return Context(self.flow.version_info, self.form, self.data, self.screens)

    def resolve(self, value: Any) -> Any:
        return resolve(value, form=self.form, data=self.data, screens=self.screens)

    def is_visible(self, component: Component) -> bool:
        try:
            if not all(
                condition.holds(form=self.form, data=self.data, screens=self.screens)
                for condition in component.conditions
            ):
                return False
            return bool(self.resolve(component.properties.get("visible", True)))
        except ExpressionError:
            return False  # an expression that cannot be evaluated yet hides its branch

    def is_enabled(self, component: Component) -> bool:
        try:
            return self.resolve(component.properties.get("enabled", True)) is not False
        except ExpressionError:
            return True

    def next_input(self, done: set[str]) -> Component | None:
        """The first visible, enabled input not yet decided (by pointer)."""
        for component in self.screen.inputs():
            if component.pointer in done or not self.is_visible(component):
                continue
            if self.is_enabled(component):
                return component
        return None

    def set_value(self, component: Component, value: Any) -> list[Action]:
        """Store a value; return the select actions it fires, in order."""
        assert component.name is not None
        previous = self.form.get(component.name)
        self.form[component.name] = value
        fired: list[Action] = []
        if component.type in MULTI_CHOICE or component.type in ("Dropdown", "RadioButtonsGroup"):
            fired += self._item_actions(component, previous, value)
        own = component.properties.get("on-select-action")
        if isinstance(own, Mapping) and "name" in own:
            fired.append(_action(own, "on-select-action", f"{component.pointer}/on-select-action"))
        return fired

    def _item_actions(self, component: Component, previous: Any, value: Any) -> list[Action]:
        before = set(_as_ids(previous))
        after = set(_as_ids(value))
        fired = []
        items = options(component, self.context())
        for index, item in enumerate(items):
            item_id = str(item["id"])
            base = f"{component.pointer}/data-source/{index}"
            event = None
            if item_id in after - before:
                event = "on-select-action"
            elif item_id in before - after:
                event = "on-unselect-action"
            raw = item.get(event) if event else None
            if isinstance(raw, Mapping) and "name" in raw:
                fired.append(_action(raw, event or "", f"{base}/{event}"))
        return fired

    def apply_update(self, action: Action) -> None:
        """``update_data`` (6.0+): merge the resolved payload into the screen's data."""
        self.data.update(self.resolve(dict(action.payload)))

    def prune_hidden(self) -> None:
        """Forget values of inputs a later choice hid: the client does not send them."""
        visible = {c.name for c in self.screen.inputs() if self.is_visible(c)}
        for name in list(self.form):
            if name not in visible:
                del self.form[name]

    def ways(self) -> list[Way]:
        """Every visible way forward, in layout order (open_url and update_data left out)."""
        found: list[Way] = []
        for component in self.screen.walk():
            if not self.is_visible(component):
                continue
            if component.type == "NavigationList":
                found += self._list_ways(component)
                continue
            if component.type not in ("Footer", "EmbeddedLink", "OptIn"):
                continue
            if component.type == "Footer" and not self.is_enabled(component):
                continue
            raw = component.properties.get("on-click-action")
            if isinstance(raw, Mapping) and raw.get("name") in FORWARD_ACTIONS:
                pointer = f"{component.pointer}/on-click-action"
                found.append(Way(_action(raw, "on-click-action", pointer), component.type))
        return found

    def _list_ways(self, component: Component) -> list[Way]:
        try:
            items = self.resolve(component.properties.get("list-items", []))
        except ExpressionError:
            return []
        shared = component.properties.get("on-click-action")
        found = []
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, Mapping):
                continue
            raw = item.get("on-click-action", shared)
            pointer = f"{component.pointer}/list-items/{index}/on-click-action"
            if "on-click-action" not in item:
                pointer = f"{component.pointer}/on-click-action"
            if isinstance(raw, Mapping) and raw.get("name") in FORWARD_ACTIONS:
                item_id = str(item.get("id", index))
                source = f"NavigationList item {item_id!r}"
                action = _action(raw, "on-click-action", pointer)
                found.append(Way(action, source, item_id, component.name))
        return found


def _action(raw: Mapping[str, Any], event: str, pointer: str) -> Action:
    target = raw.get("next")
    return Action(
        name=str(raw["name"]),
        event=event,
        pointer=pointer,
        payload=dict(raw.get("payload") or {}),
        next=target.get("name") if isinstance(target, Mapping) else None,
        url=raw.get("url"),
    )


def _as_ids(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]
