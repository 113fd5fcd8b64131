"""The new public namespaces export what they claim."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("name", ["harness.preview", "harness.webhooks", "harness.health"])
def test_exports_are_what_they_claim(name: str) -> None:
    module = importlib.import_module(name)
    assert len(set(module.__all__)) == len(module.__all__)
    for member in module.__all__:
        assert getattr(module, member) is not None
    public = {n for n in vars(module) if not n.startswith("_") and n != "annotations"}
    assert set(module.__all__) <= public
