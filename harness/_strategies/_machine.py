"""``flow_state_machine``: one user's moves through a flow as a hypothesis state machine.

The machine drives the walker's :class:`~harness.walker.Journey` one move at a time
(fill and submit, press back, pick a value that fires a select action), every decision
drawn by hypothesis, so a failing run shrinks to the fewest, simplest moves.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from contextlib import ExitStack
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from harness._strategies import _validation as check
from harness._strategies._chooser import DrawChooser
from harness.client import FlowClient
from harness.flowjson import Component
from harness.walker import (
    DEFAULT_FLOW_TOKEN,
    Call,
    Chooser,
    FixedChooser,
    Journey,
    JourneySettings,
    MediaUploader,
    ScreenState,
    Transcript,
    component_value,
    options,
)
from harness.walker._journey import _End
from harness.walker._walk import _LazyCDN

ClientFactory = Callable[[], FlowClient]
_SELECT_EVENTS = ("on-select-action", "on-unselect-action")


def flow_state_machine(
    flow: Any,
    client_factory: ClientFactory,
    *,
    flow_token: str | None = DEFAULT_FLOW_TOKEN,
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    data: Mapping[str, Any] | None = None,
    init: bool | None = None,
    media: MediaUploader | None = None,
) -> type[RuleBasedStateMachine]:
    """A state machine class playing one user through ``flow`` against an endpoint.

    ``client_factory()`` builds the :class:`~harness.client.FlowClient` for each run
    (entered and closed by the machine), e.g. ``lambda: FlowClient(create_stub_app(...),
    public_key=pem, app_secret=secret)``. The machine opens the flow like
    :func:`~harness.walker.walk` (``init``, ``data``, ``flow_token`` as there), then
    submits screens, presses back and fires select actions; ``inputs`` fixes values.
    Invariants: every answer passes :func:`~harness.flowjson.check_response` and is
    within budget. Run it with ``run_state_machine_as_test(cls)`` or ``cls.TestCase``.
    """
    model = check.as_flow(flow)
    check.check_fixed(model, inputs)
    uploader = check.check_media(media)
    if not callable(client_factory):
        raise InvalidArgument(
            f"client_factory={client_factory!r} must be a callable returning a FlowClient"
        )
    if flow_token is not None and not isinstance(flow_token, str):
        raise InvalidArgument(f"flow_token={flow_token!r} must be a string or None")
    if data is not None and not isinstance(data, Mapping):
        raise InvalidArgument(f"data={data!r} must be a mapping or None")
    fixed = {screen: dict(fields) for screen, fields in (inputs or {}).items()}

    class FlowMachine(RuleBasedStateMachine):
        """One user on one screen at a time; the journey's transcript records every move."""

        def __init__(self) -> None:
            super().__init__()
            self._stack = ExitStack()
            self._draws: Any = None  # the running rule's st.data(), set before each move
            self._chooser = DrawChooser(self._draw, labelled=True)
            chooser: Chooser = FixedChooser(fixed, self._chooser) if fixed else self._chooser
            settings = JourneySettings(flow_token, data=data, init=init, max_steps=10_000)
            self.journey = Journey(model, chooser, settings, uploader or _LazyCDN(self._stack))
            self.client: FlowClient | None = None
            self.state: ScreenState | None = None

        def _draw(self, strategy: st.SearchStrategy[Any], label: str | None = None) -> Any:
            return self._draws.draw(strategy, label=label)

        @property
        def transcript(self) -> Transcript:
            return self.journey.transcript

        def _play(self, draws: Any, run: Generator[Any, Any, ScreenState | None]) -> None:
            """Send the journey's calls until the move is done (or the journey ends)."""
            if self.client is None:
                made = client_factory()
                if not isinstance(made, FlowClient):
                    raise InvalidArgument(
                        f"client_factory() returned {type(made).__name__}, not a FlowClient"
                    )
                self.client = self._stack.enter_context(made)
            self._draws = draws
            try:
                call = next(run)
                while True:
                    call = run.send(getattr(self.client, call.method)(*call.args, **call.kwargs))
            except StopIteration as stop:
                if stop.value is not None:
                    self.state = stop.value
            except _End:
                self.state = None  # the journey ended; its transcript says how

        def _move(self) -> Generator[Any, Any, ScreenState]:
            assert self.state is not None
            moved = yield from self.journey._fill(self.state)
            if moved is not None:
                return moved
            return (yield from self.journey._leave(self.state))

        def _selectable(self) -> list[Component]:
            state = self.state
            if state is None:
                return []
            return [
                c
                for c in state.screen.inputs()
                if state.is_visible(c) and state.is_enabled(c) and _fires_selects(c, state)
            ]

        def teardown(self) -> None:
            self._stack.close()

        @initialize(draws=st.data())
        def open_flow(self, draws: Any) -> None:
            self._play(draws, self.journey._open())

        @precondition(lambda self: self.state is not None)
        @rule(draws=st.data())
        def submit(self, draws: Any) -> None:
            """Fill the visible inputs and take a way forward (Footer, link, list item)."""
            self._play(draws, self._move())

        @precondition(lambda self: bool(self._selectable()))
        @rule(draws=st.data())
        def select(self, draws: Any) -> None:
            """Choose a value whose select action updates the data or asks the endpoint."""
            self._play(draws, self._select(draws))

        def _select(self, draws: Any) -> Generator[Any, Any, ScreenState]:
            state = self.state
            assert state is not None
            component = draws.draw(st.sampled_from(self._selectable()), label="component")
            state.decided.add(component.pointer)
            key = f"{state.id}/{component.name}"
            value = component_value(
                component, chooser=self._chooser, context=state.context(), key=key,
                media=self.journey.media,
            )  # fmt: skip
            for action in state.set_value(component, value):
                if action.name == "update_data":
                    state.apply_update(action)
                elif action.name == "data_exchange":
                    trigger = f"{action.event} of {component.name}"
                    moved = yield from self.journey._data_exchange(state, action, trigger)
                    if moved is not state:
                        return moved
            return state

        @precondition(lambda self: self.state is not None and bool(self.journey.history))
        @rule(draws=st.data())
        def press_back(self, draws: Any) -> None:
            """Back to the previous screen; a ``refresh_on_back`` screen asks the endpoint."""
            self._play(draws, self._back())

        def _back(self) -> Generator[Any, Any, ScreenState]:
            state = self.state
            assert state is not None
            previous, _way = self.journey.history.pop()
            step = self.journey._step("back", state, "the user pressed back", "")
            step.next_screen = previous.id
            if state.screen.refresh_on_back and model.data_api_version is not None:
                back = Call("back", (state.id, flow_token))
                answer = yield from self.journey._exchange(step, back, state.id, "BACK")
                if answer["screen"] != previous.id:
                    return self.journey._follow(step, answer, state)
                previous.data = dict(answer.get("data", {}))
            previous.sync()
            return previous

        @precondition(lambda self: self.state is None)
        @rule()
        def flow_closed(self) -> None:
            """Nothing left to do once the journey ended (hypothesis needs one rule to run)."""

        @invariant()
        def answers_pass_the_contract(self) -> None:
            errors = [
                f"step {step.index} ({step.kind} on {step.screen or 'open'}): {finding.format()}"
                for step in self.transcript.steps
                for finding in step.findings
                if finding.severity == "error"
            ]
            assert not errors, "the endpoint broke the contract:\n" + "\n".join(errors)

        @invariant()
        def answers_within_budget(self) -> None:
            slow = [
                f"step {step.index}: {(step.elapsed or 0) * 1000:.0f} ms"
                for step in self.transcript.steps
                if step.within_budget is False
            ]
            assert not slow, "answers over the time budget: " + ", ".join(slow)

    FlowMachine.__name__ = FlowMachine.__qualname__ = f"FlowMachine_{_identifier(model.file)}"
    return FlowMachine


def _fires_selects(component: Component, state: ScreenState) -> bool:
    own = component.properties.get("on-select-action")
    if isinstance(own, Mapping) and "name" in own:
        return True
    items = options(component, state.context())
    return any(isinstance(item.get(event), Mapping) for item in items for event in _SELECT_EVENTS)


def _identifier(file: str | None) -> str:
    stem = (file or "flow").rsplit("/", 1)[-1].removesuffix(".json")
    return "".join(ch if ch.isalnum() else "_" for ch in stem)
