"""The flat ``mocks`` namespace exports exactly what it lists, all from the core."""

from __future__ import annotations

import mocks
import mocks._core


def test_every_export_is_the_core_object() -> None:
    for name in mocks.__all__:
        assert getattr(mocks, name) is getattr(mocks._core, name)


def test_nothing_public_is_left_out_of_all() -> None:
    public = {
        name
        for name, value in vars(mocks).items()
        if not name.startswith(("_", "@")) and not isinstance(value, type(mocks))
    }
    assert public == set(mocks.__all__)
