"""Argument checks in hypothesis' style: bad arguments raise InvalidArgument at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from harness.flowjson import SENDABLE_VERSIONS, Component, Flow, load_flow
from harness.flowjson._catalog import version_tuple
from harness.walker import InputError, MediaUploader, check_inputs


def as_flow(flow: Any) -> Flow:
    if isinstance(flow, Flow):
        return flow
    try:
        return load_flow(flow)
    except Exception as exc:
        raise InvalidArgument(
            f"flow={flow!r} is neither a Flow nor a loadable Flow JSON: {exc}"
        ) from exc


def as_screen_id(flow: Flow, screen_id: Any) -> str:
    if not isinstance(screen_id, str) or not flow.has_screen(screen_id):
        raise InvalidArgument(
            f"screen_id={screen_id!r} is not a screen of the flow ({', '.join(flow.screen_ids)})"
        )
    return screen_id


def as_input(component: Any) -> Component:
    if not isinstance(component, Component) or not component.is_input:
        raise InvalidArgument(
            f"component={component!r} must be a named input Component, e.g. screen.inputs()[0]"
        )
    return component


def as_version(version: Any) -> tuple[int, int]:
    if version not in SENDABLE_VERSIONS:
        raise InvalidArgument(f"version={version!r} must be one of {', '.join(SENDABLE_VERSIONS)}")
    return version_tuple(version)


def as_data_strategy(name: str, value: Any) -> st.SearchStrategy[Any]:
    """A mapping (or None) becomes ``st.just``; a strategy is kept."""
    if isinstance(value, st.SearchStrategy):
        return value
    if value is None:
        return st.just({})
    if not isinstance(value, Mapping):
        raise InvalidArgument(f"{name}={value!r} must be a mapping, a strategy of them, or None")
    return st.just(dict(value))


def as_mapping(name: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidArgument(f"{name}={value!r} must be a mapping or None")
    return dict(value)


def check_fixed(flow: Flow, inputs: Any) -> None:
    if inputs is None:
        return
    try:
        check_inputs(flow, inputs)
    except InputError as exc:
        raise InvalidArgument(str(exc)) from exc


def check_media(media: Any) -> MediaUploader | None:
    if media is not None and not callable(getattr(media, "upload", None)):
        raise InvalidArgument(f"media={media!r} must have an upload() method, e.g. a MockCDN")
    return media  # type: ignore[no-any-return]
