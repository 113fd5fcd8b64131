"""``component_values`` and ``form_submissions``: valid inputs, drawn by hypothesis."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from harness._strategies import _validation as check
from harness._strategies._chooser import DrawChooser
from harness.walker import Context, MediaUploader, ScreenState, component_value, is_required
from harness.walker._choosers import NOTHING, FixedChooser


def component_values(
    component: Any,
    *,
    screen_data: Mapping[str, Any] | st.SearchStrategy[Mapping[str, Any]] | None = None,
    form: Mapping[str, Any] | None = None,
    version: str = "7.3",
    media: MediaUploader | None = None,
) -> st.SearchStrategy[Any]:
    """Values the client accepts for one input component.

    ``screen_data`` is the live screen data (for ``${data.x}`` options and bounds), a
    mapping or a strategy of them; ``version`` decides the date format (epoch ms
    before 5.0); media pickers need ``media`` (a started MockCDN).
    """
    component = check.as_input(component)
    version_info = check.as_version(version)
    data_strategy = check.as_data_strategy("screen_data", screen_data)
    form_values = check.as_mapping("form", form)
    media = check.check_media(media)

    @st.composite
    def values(draw: st.DrawFn) -> Any:
        context = Context(version_info, form_values, draw(data_strategy), {})
        return component_value(
            component,
            chooser=DrawChooser(draw),
            context=context,
            key=component.name or component.pointer,
            media=media,
        )

    return values()


def form_submissions(
    flow: Any,
    screen_id: str,
    *,
    screen_data: Mapping[str, Any] | st.SearchStrategy[Mapping[str, Any]] | None = None,
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    media: MediaUploader | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """The form a user can submit on ``screen_id``: every visible input decided.

    Required inputs are always filled, optional ones sometimes; ``update_data`` select
    actions change the data (and so what is visible) as on a phone; data_exchange
    select actions are not sent. ``screen_data`` defaults to the screen's examples;
    ``inputs`` fixes some values (``{"SCREEN": {"field": value}}``).
    """
    model = check.as_flow(flow)
    screen = model.screen(check.as_screen_id(model, screen_id))
    check.check_fixed(model, inputs)
    media = check.check_media(media)
    if screen_data is None:
        screen_data = {name: d.example for name, d in screen.data.items() if d.has_example}
    data_strategy = check.as_data_strategy("screen_data", screen_data)

    @st.composite
    def submissions(draw: st.DrawFn) -> dict[str, Any]:
        chooser = DrawChooser(draw)
        decider = FixedChooser(inputs or {}, chooser)
        state = ScreenState(model, screen, draw(data_strategy), {})
        while (component := state.next_input(state.decided)) is not None:
            state.decided.add(component.pointer)
            assert component.name is not None
            value = decider.fixed(screen.id, component.name)
            if value is NOTHING:
                key = f"{screen.id}/{component.name}"
                context = state.context()
                if not is_required(component, context) and not chooser.boolean(key):
                    continue
                value = component_value(
                    component, chooser=chooser, context=context, key=key, media=media
                )
            elif value is None:
                continue
            for action in state.set_value(component, value):
                if action.name == "update_data":
                    state.apply_update(action)
        state.prune_hidden()
        return dict(state.form)

    return submissions()
