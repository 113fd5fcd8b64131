"""Each notifier mock's public namespace holds exactly what ``__all__`` claims."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "name", ["mocks.teams", "mocks.cloud_api", "mocks.email", "mocks.wasender", "mocks.registry"]
)
def test_all_names_exist_and_are_public(name: str) -> None:
    module = importlib.import_module(name)
    for export in module.__all__:
        assert hasattr(module, export), export
        assert not export.startswith("_")
