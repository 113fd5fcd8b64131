"""``walk`` and ``awalk``: drive a :class:`Journey` with a sync or an async client."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

from harness.client import AsyncFlowClient, FlowClient, FlowResult
from harness.flowjson import Flow, load_flow
from harness.flowjson._loader import FlowSource
from harness.walker._cdn import MockCDN
from harness.walker._choosers import Chooser, FixedChooser, RandomChooser
from harness.walker._exceptions import InputError
from harness.walker._journey import Call, ErrorMessagePolicy, Journey, JourneySettings, Run
from harness.walker._transcript import Transcript
from harness.walker._values import EmptyInputs

DEFAULT_FLOW_TOKEN = "flowharness-walk"


class _LazyCDN:
    """Starts a MockCDN on the first upload and stops it when the walk ends."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._cdn: MockCDN | None = None

    def upload(self, content: bytes, *, file_name: str, mime_type: str) -> dict[str, Any]:
        if self._cdn is None:
            self._cdn = self._stack.enter_context(MockCDN())
        return self._cdn.upload(content, file_name=file_name, mime_type=mime_type)


def walk(
    flow: Flow | FlowSource,
    client: FlowClient,
    *,
    flow_token: str | None = DEFAULT_FLOW_TOKEN,
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    seed: int | str | None = None,
    chooser: Chooser | None = None,
    data: Mapping[str, Any] | None = None,
    init: bool | None = None,
    max_steps: int = 50,
    notify_errors: bool = True,
    on_error_message: ErrorMessagePolicy = "retry",
    max_retries: int = 2,
    cdn: MockCDN | None = None,
    empty_inputs: EmptyInputs = "empty",
) -> Transcript:
    """Play one user through ``flow`` against the endpoint behind ``client``.

    ``init`` (None: when the flow has ``data_api_version``) opens the flow with an INIT
    request, else on the entry screen with ``data`` (default: its ``__example__`` data).
    Choices come from ``chooser`` (default: ``RandomChooser(seed)``); ``inputs``
    (``{"SCREEN": {"field": value}}``, None leaves a field empty, a NavigationList name
    picks an item id) override them. Media pickers upload to ``cdn`` (default: a
    :class:`MockCDN` started for the walk). Invalid answers are reported back with an
    error notification unless ``notify_errors`` is false; an ``error_message`` answer is
    retried with new values up to ``max_retries`` times, or ends the walk (``"end"``).
    An optional input left empty sends its empty value (``""``, ``[]``, ``false``) with
    ``empty_inputs="empty"``, the way Meta's Flow JSON reference reads an unfilled input,
    or no key at all with ``"omit"``: see :data:`harness.walker.EmptyInputs`.
    """
    if isinstance(client, AsyncFlowClient) or not isinstance(client, FlowClient):
        raise InputError(f"walk() needs a FlowClient, not {type(client).__name__} (see awalk)")
    with _journey_run(flow, locals()) as run:
        step = _resume(run, None)
        while isinstance(step, Call):
            step = _resume(run, getattr(client, step.method)(*step.args, **step.kwargs))
        return step


async def awalk(
    flow: Flow | FlowSource,
    client: AsyncFlowClient,
    *,
    flow_token: str | None = DEFAULT_FLOW_TOKEN,
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    seed: int | str | None = None,
    chooser: Chooser | None = None,
    data: Mapping[str, Any] | None = None,
    init: bool | None = None,
    max_steps: int = 50,
    notify_errors: bool = True,
    on_error_message: ErrorMessagePolicy = "retry",
    max_retries: int = 2,
    cdn: MockCDN | None = None,
    empty_inputs: EmptyInputs = "empty",
) -> Transcript:
    """:func:`walk` with an :class:`~harness.client.AsyncFlowClient`."""
    if not isinstance(client, AsyncFlowClient):
        raise InputError(f"awalk() needs an AsyncFlowClient, not {type(client).__name__}")
    with _journey_run(flow, locals()) as run:
        step = _resume(run, None)
        while isinstance(step, Call):
            step = _resume(run, await getattr(client, step.method)(*step.args, **step.kwargs))
        return step


@contextmanager
def _journey_run(flow: Flow | FlowSource, options: dict[str, Any]) -> Iterator[Run]:
    """The journey's generator; a MockCDN started for its uploads stops when it ends."""
    with ExitStack() as stack:
        yield _journey(flow, options, options["cdn"] or _LazyCDN(stack)).run()


def _resume(run: Run, result: FlowResult | None) -> Call | Transcript:
    """The journey's next call (given the last call's result), or its transcript at the end."""
    try:
        return next(run) if result is None else run.send(result)
    except StopIteration as stop:
        transcript: Transcript = stop.value
        return transcript


def _journey(source: Flow | FlowSource, options: dict[str, Any], media: Any) -> Journey:
    flow = source if isinstance(source, Flow) else load_flow(source)
    max_steps, max_retries = options["max_steps"], options["max_retries"]
    if not isinstance(max_steps, int) or max_steps < 1:
        raise InputError(f"max_steps must be a positive whole number, not {max_steps!r}")
    if not isinstance(max_retries, int) or max_retries < 0:
        raise InputError(f"max_retries must be a whole number >= 0, not {max_retries!r}")
    if options["on_error_message"] not in ("retry", "end"):
        raise InputError(
            f"on_error_message must be 'retry' or 'end', not {options['on_error_message']!r}"
        )
    if options["empty_inputs"] not in ("empty", "omit"):
        raise InputError(f"empty_inputs must be 'empty' or 'omit', not {options['empty_inputs']!r}")
    chooser = options["chooser"]
    if chooser is not None and options["seed"] is not None:
        raise InputError("pass seed= or chooser=, not both: a chooser brings its own randomness")
    if chooser is not None and not isinstance(chooser, Chooser):
        raise InputError(f"chooser must be a harness.walker.Chooser, not {type(chooser).__name__}")
    chooser = chooser or RandomChooser(options["seed"])
    if options["inputs"] is not None:
        check_inputs(flow, options["inputs"])
        chooser = FixedChooser(options["inputs"], chooser)
    settings = JourneySettings(
        flow_token=options["flow_token"],
        data=options["data"],
        init=options["init"],
        max_steps=max_steps,
        notify_errors=bool(options["notify_errors"]),
        on_error_message=options["on_error_message"],
        max_retries=max_retries,
        empty_inputs=options["empty_inputs"],
    )
    return Journey(flow, chooser, settings, media)


def check_inputs(flow: Flow, inputs: Mapping[str, Mapping[str, Any]]) -> None:
    """Fixed inputs must name screens and fields (inputs or NavigationLists) of the flow."""
    if not isinstance(inputs, Mapping):
        raise InputError('inputs must look like {"SCREEN_ID": {"field": value}}')
    for screen_id, fields in inputs.items():
        if not flow.has_screen(screen_id):
            raise InputError(
                f"inputs name screen {screen_id!r}; the flow's screens are "
                f"{', '.join(flow.screen_ids)}"
            )
        if not isinstance(fields, Mapping):
            raise InputError(f"inputs[{screen_id!r}] must map field names to values")
        screen = flow.screen(screen_id)
        known = {
            c.name for c in screen.walk() if c.name and (c.is_input or c.type == "NavigationList")
        }
        for name in fields:
            if name not in known:
                raise InputError(
                    f"inputs[{screen_id!r}] names {name!r}; the screen's inputs are "
                    f"{', '.join(sorted(known)) or 'none'}"
                )
