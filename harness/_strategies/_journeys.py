"""``journeys``: a strategy of choice sequences, each one journey for the walker to play."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness._strategies import _validation as check
from harness.walker import Chooser, FixedChooser, ScriptedChooser

MAX_CHOICE = 2**16 - 1


def journeys(
    flow: Any,
    *,
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    max_choices: int = 200,
) -> st.SearchStrategy[Chooser]:
    """Choosers for :func:`harness.walker.walk`, each a drawn list of choices.

    Every decision (option, way forward, text, date) takes the next number, so
    hypothesis explores many journeys and shrinks a failing one to the simplest
    (first options, short texts); the failing example prints as a replayable
    ``ScriptedChooser([...])``. ``inputs`` fixes some values. Inside a test body,
    ``HypothesisChooser(data)`` (with ``st.data()``) draws decisions one by one instead.
    """
    model = check.as_flow(flow)
    check.check_fixed(model, inputs)
    if not isinstance(max_choices, int) or max_choices < 1:
        raise InvalidArgument(f"max_choices={max_choices!r} must be a positive whole number")
    fixed = {screen: dict(fields) for screen, fields in (inputs or {}).items()}
    tapes = st.lists(st.integers(0, MAX_CHOICE), max_size=max_choices)

    def chooser(choices: list[int]) -> Chooser:
        scripted = ScriptedChooser(choices)
        return FixedChooser(fixed, scripted) if fixed else scripted

    return tapes.map(chooser)
