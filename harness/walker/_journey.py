"""One user's journey through a flow, written without I/O.

:meth:`Journey.run` is a generator: it yields the client calls to make (:class:`Call`)
and is sent back each :class:`~harness.client.FlowResult`, so the synchronous and the
asynchronous walkers share every decision and differ only in how they wait.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.client import FlowResult
from harness.flowjson import Action, Component, Flow
from harness.flowjson._contract import RequestAction
from harness.walker._choosers import NOTHING, Chooser
from harness.walker._screen import Screens, ScreenState, Way
from harness.walker._transcript import Ending, Notification, Step, StepKind, Transcript
from harness.walker._values import (
    EmptyInputs,
    MediaUploader,
    component_value,
    empty_value,
    is_required,
)
from harness.walker._verdicts import judge

ErrorMessagePolicy = Literal["retry", "end"]
SUCCESS = "SUCCESS"
_SKIP: Any = object()


@dataclass(frozen=True)
class Call:
    """A client call to make: ``getattr(client, method)(*args, **kwargs)``."""

    method: Literal["init", "data_exchange", "back", "error_notification"]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


class _End(Exception):
    """Raised inside the journey to stop it; the transcript is already filled in."""


@dataclass
class JourneySettings:
    flow_token: str | None
    data: Mapping[str, Any] | None = None
    init: bool | None = None
    max_steps: int = 50
    notify_errors: bool = True
    on_error_message: ErrorMessagePolicy = "retry"
    max_retries: int = 2
    empty_inputs: EmptyInputs = "empty"


Run = Generator[Call, FlowResult, Any]


class Journey:
    def __init__(
        self,
        flow: Flow,
        chooser: Chooser,
        settings: JourneySettings,
        media: MediaUploader | None = None,
    ) -> None:
        self.flow = flow
        self.chooser = chooser
        self.settings = settings
        self.media = media
        self.transcript = Transcript(flow.file, settings.flow_token)
        self.screens: Screens = {}
        self.history: list[tuple[ScreenState, Way]] = []
        self.dead: set[tuple[str, str]] = set()  # (screen, action pointer) leading to dead ends
        self.retries: dict[str, int] = {}

    @property
    def token(self) -> str | None:
        return self.settings.flow_token

    def run(self) -> Generator[Call, FlowResult, Transcript]:
        try:
            state = yield from self._open()
            while True:
                self._check_steps()
                moved = yield from self._fill(state)
                state = moved if moved is not None else (yield from self._leave(state))
        except _End:
            return self.transcript

    # -- ending --------------------------------------------------------------------

    def _end(self, ending: Ending, reason: str, completion: Any = None) -> _End:
        self.transcript.ending = ending
        self.transcript.reason = reason
        if isinstance(completion, Mapping):
            self.transcript.completion = dict(completion)
        return _End()

    def _check_steps(self) -> None:
        if len(self.transcript.steps) >= self.settings.max_steps:
            raise self._end("max-steps", f"stopped after {self.settings.max_steps} steps")

    def _step(self, kind: StepKind, state: ScreenState | None, trigger: str, pointer: str) -> Step:
        self._check_steps()
        step = Step(
            index=len(self.transcript.steps) + 1,
            kind=kind,
            screen=state.id if state else None,
            trigger=trigger,
            pointer=pointer,
            inputs=dict(state.form) if state else {},
        )
        self.transcript.steps.append(step)
        return step

    # -- opening -------------------------------------------------------------------

    def _open(self) -> Run:
        entry = self.flow.entry_screen
        if entry is None:
            raise self._end("error", "the flow has no entry screen (every screen is routed to)")
        use_init = self.settings.init
        if use_init is None:
            use_init = self.flow.data_api_version is not None
        if not use_init:
            data = self.settings.data
            if data is None:
                data = {name: d.example for name, d in entry.data.items() if d.has_example}
            return ScreenState(self.flow, entry, data, self.screens)
        step = self._step("init", None, "flow opened with flow_action data_exchange", "")
        call = Call("init", (self.token,), {"data": self.settings.data})
        answer = yield from self._exchange(step, call, None, "INIT")
        return self._follow(step, answer, None)

    # -- filling -------------------------------------------------------------------

    def _fill(self, state: ScreenState) -> Generator[Call, FlowResult, ScreenState | None]:
        """Fill the visible inputs; returns a new state if a select action moved the user."""
        while (component := state.next_input(state.decided)) is not None:
            state.decided.add(component.pointer)
            value = self._decide(state, component)
            if value is _SKIP:
                self._leave_empty(state, component)
                continue
            for action in state.set_value(component, value):
                if action.name == "update_data":
                    state.apply_update(action)
                elif action.name == "data_exchange":
                    trigger = f"{action.event} of {component.name}"
                    moved = yield from self._data_exchange(state, action, trigger)
                    if moved is not state:
                        return moved
        state.prune_hidden()
        return None

    def _decide(self, state: ScreenState, component: Component) -> Any:
        assert component.name is not None
        fixed = self.chooser.fixed(state.id, component.name)
        if fixed is not NOTHING:
            return _SKIP if fixed is None else fixed
        key = f"{state.id}/{component.name}"
        context = state.context()
        if not is_required(component, context) and not self.chooser.boolean(f"{key}?"):
            return _SKIP
        return component_value(
            component, chooser=self.chooser, context=context, key=key, media=self.media
        )

    def _leave_empty(self, state: ScreenState, component: Component) -> None:
        """An optional input left empty holds its empty value (see EmptyInputs)."""
        if self.settings.empty_inputs == "omit":
            return
        empty = empty_value(component, state.context())
        if empty is not NOTHING:
            assert component.name is not None
            state.form[component.name] = empty

    # -- leaving -------------------------------------------------------------------

    def _leave(self, state: ScreenState) -> Generator[Call, FlowResult, ScreenState]:
        ways = [way for way in state.ways() if self._viable(state, way)]
        if not ways:
            return (yield from self._back(state))
        way = self._choose(state, ways)
        action = way.action
        if action.name == "navigate":
            assert action.next is not None
            step = self._step("navigate", state, way.source, way.pointer)
            payload = _payload(state, action)
            step.request, step.next_screen = payload, action.next
            self.history.append((state, way))
            return ScreenState(self.flow, self.flow.screen(action.next), payload, self.screens)
        if action.name == "complete":
            step = self._step("complete", state, way.source, way.pointer)
            step.request = payload = _payload(state, action)
            raise self._end("complete", f"{state.id} completed the flow", payload)
        moved = yield from self._data_exchange(state, action, way.source, way)
        return moved

    def _viable(self, state: ScreenState, way: Way) -> bool:
        if (state.id, way.pointer) in self.dead:
            return False
        if way.action.name == "navigate":  # a dead item names a missing screen
            return way.action.next is not None and self.flow.has_screen(way.action.next)
        return True

    def _choose(self, state: ScreenState, ways: list[Way]) -> Way:
        for way in ways:
            if way.list_name and way.item is not None:
                wanted = self.chooser.fixed(state.id, way.list_name)
                if wanted is not NOTHING:
                    matching = [w for w in ways if w.item == str(wanted)]
                    if matching:
                        return matching[0]
        return self.chooser.pick(f"{state.id}/way", ways)

    def _back(self, state: ScreenState) -> Generator[Call, FlowResult, ScreenState]:
        """A dead end (no way forward): press back, and never take that way again."""
        if not self.history:
            raise self._end("dead-end", f"{state.id} has no way forward and nothing to go back to")
        previous, way = self.history.pop()
        self.dead.add((previous.id, way.pointer))
        step = self._step("back", state, "dead end: no way forward", "")
        step.next_screen = previous.id
        if state.screen.refresh_on_back and self.flow.data_api_version is not None:
            call = Call("back", (state.id, self.token))
            answer = yield from self._exchange(step, call, state.id, "BACK")
            if answer["screen"] != previous.id:
                return self._follow(step, answer, state)
            previous.data = dict(answer.get("data", {}))
        previous.sync()
        return previous

    # -- talking to the endpoint -----------------------------------------------------

    def _data_exchange(
        self, state: ScreenState, action: Action, trigger: str, way: Way | None = None
    ) -> Generator[Call, FlowResult, ScreenState]:
        step = self._step("data_exchange", state, trigger, action.pointer)
        call = Call("data_exchange", (state.id, _payload(state, action), self.token))
        answer = yield from self._exchange(step, call, state.id, "data_exchange")
        moved = self._follow(step, answer, state)
        if moved.id != state.id and way is not None:
            self.history.append((state, way))
        return moved

    def _exchange(
        self, step: Step, call: Call, from_screen: str | None, action: RequestAction
    ) -> Generator[Call, FlowResult, dict[str, Any]]:
        """Send, record, judge; notify and end the journey on an invalid answer."""
        result = yield call
        step.request = result.exchange.request_payload
        step.status, step.outcome = result.status, str(result.outcome)
        step.elapsed, step.within_budget = result.elapsed, result.within_budget
        step.answer = result.payload
        verdict = judge(
            self.flow, result, from_screen=from_screen, action=action, flow_token=self.token
        )
        step.findings += verdict.findings
        if verdict.usable:
            return dict(verdict.answer)
        if verdict.notify and self.settings.notify_errors:
            notice = Call(
                "error_notification",
                (self.token, verdict.notify, verdict.message),
                {"screen": from_screen, "action": action},
            )
            sent = yield notice
            step.notification = Notification(
                verdict.notify, verdict.message, str(sent.outcome), sent.status
            )
        if result.ok:
            codes = ", ".join(
                dict.fromkeys(f.code for f in verdict.findings if f.severity == "error")
            )
            raise self._end("error", f"the {action} answer broke the contract ({codes})")
        raise self._end("error", f"the {action} request failed ({result.outcome})")

    def _follow(self, step: Step, answer: dict[str, Any], state: ScreenState | None) -> ScreenState:
        """Show the screen an endpoint answered with, or end on SUCCESS."""
        target = answer["screen"]
        data = dict(answer.get("data", {}))
        step.next_screen = target
        if target == SUCCESS:
            params = data.get("extension_message_response", {}).get("params", {})
            raise self._end("success", "the endpoint closed the flow with SUCCESS", params)
        screen = self.flow.screen(target)
        message = data.get("error_message")
        if "error_message" not in screen.data:
            data.pop("error_message", None)
        if isinstance(message, str):
            step.error_message = message
        if state is not None and target == state.id:
            if isinstance(message, str):
                return self._retry(state, data, message)
            state.data = data
            state.sync()
            return state
        return ScreenState(self.flow, screen, data, self.screens)

    def _retry(self, state: ScreenState, data: dict[str, Any], message: str) -> ScreenState:
        tries = self.retries.get(state.id, 0) + 1
        self.retries[state.id] = tries
        if self.settings.on_error_message == "end" or tries > self.settings.max_retries:
            raise self._end("rejected", f"the endpoint rejected the input on {state.id}: {message}")
        return ScreenState(self.flow, state.screen, data, self.screens)


def _payload(state: ScreenState, action: Action) -> dict[str, Any]:
    """The action's payload as sent: bindings resolved; a binding to an input nobody
    filled and that holds no empty value (see EmptyInputs) sends no key."""
    resolved = state.resolve(dict(action.payload))
    return {key: value for key, value in resolved.items() if value is not None}
