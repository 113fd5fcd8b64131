"""The public namespace is what ``__all__`` says, and every rule code is documented."""

from __future__ import annotations

import harness.flowjson as flowjson


def test_all_names_exist_and_are_public() -> None:
    for name in flowjson.__all__:
        assert hasattr(flowjson, name), name
        assert not name.startswith("_")
    assert len(set(flowjson.__all__)) == len(flowjson.__all__)


def test_every_public_object_is_exported() -> None:
    public = {
        name
        for name, value in vars(flowjson).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("harness.")
    }
    assert public <= set(flowjson.__all__)


def test_rule_codes_are_kebab_case_and_described() -> None:
    assert flowjson.RULES
    for code, description in flowjson.RULES.items():
        assert code == code.lower()
        assert " " not in code
        assert "_" not in code
        assert description


def test_the_schema_ships_with_the_package() -> None:
    schema = flowjson.flow_schema()
    assert schema["required"] == ["version", "screens"]
