"""The public namespaces are what ``__all__`` says."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("name", ["harness.walker", "harness.stub", "harness.strategies"])
def test_all_names_exist_and_every_public_object_is_exported(name: str) -> None:
    module = importlib.import_module(name)
    assert len(set(module.__all__)) == len(module.__all__)
    for attribute in module.__all__:
        assert hasattr(module, attribute), attribute
    public = {
        attribute
        for attribute, value in vars(module).items()
        if not attribute.startswith("_") and getattr(value, "__module__", "").startswith("harness.")
    }
    assert public <= set(module.__all__)


@pytest.mark.slow  # starts a fresh interpreter
def test_the_walker_does_not_import_hypothesis() -> None:
    import subprocess
    import sys

    code = "import sys, harness.walker; print('hypothesis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
