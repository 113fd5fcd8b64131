"""One mock under test in both modes: in-process ASGI and a real server on loopback.

``both_modes(name, factory)`` makes a fixture parametrized over ``MODES``: each
handle is built once per session (by the ``mock_handles`` fixture) and reset
before every test, exactly the isolation the admin reset promises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mocks._core import MockHandle, MockMode, MockService

MODES: list[MockMode] = ["asgi", "server"]


class MockHandles:
    """Session-wide handles, one per (name, mode), closed at the end of the session."""

    def __init__(self) -> None:
        self._handles: dict[tuple[str, MockMode], MockHandle[Any]] = {}

    def get(
        self, name: str, mode: MockMode, factory: Callable[[], MockService[Any]]
    ) -> MockHandle[Any]:
        if (name, mode) not in self._handles:
            self._handles[name, mode] = MockHandle(factory(), mode=mode)
        return self._handles[name, mode]

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()


def mock_handles_fixture() -> Iterator[MockHandles]:
    handles = MockHandles()
    yield handles
    handles.close()


def both_modes(
    name: str,
    factory: Callable[[], MockService[Any]],
    *,
    prepare: Callable[[MockHandle[Any]], None] | None = None,
) -> Any:
    """A fixture called ``name`` yielding the mock, fresh, in each mode.

    ``prepare`` runs after each reset (e.g. to set the client's auth header).
    """

    @pytest.fixture(name=name, params=MODES)
    def fixture(request: pytest.FixtureRequest, mock_handles: MockHandles) -> MockHandle[Any]:
        handle = mock_handles.get(name, request.param, factory)
        handle.reset()
        if prepare is not None:
            prepare(handle)
        return handle

    return fixture
