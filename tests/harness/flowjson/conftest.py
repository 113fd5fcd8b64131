"""Flow JSON builders (the ``make`` fixture): a clean endpoint flow to break one rule at a time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FLOWS = Path(__file__).parents[2] / "data" / "flows"


class Builders:
    @staticmethod
    def corpus(name: str) -> dict[str, Any]:
        return json.loads((FLOWS / name).read_text(encoding="utf-8"))

    @staticmethod
    def footer(action: str = "data_exchange", **extra: Any) -> dict[str, Any]:
        on_click: dict[str, Any] = {"name": action, "payload": extra.pop("payload", {})}
        if "next" in extra:
            on_click["next"] = {"type": "screen", "name": extra.pop("next")}
        return {"type": "Footer", "label": "Continue", "on-click-action": on_click, **extra}

    @staticmethod
    def screen(screen_id: str, *children: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return {
            "id": screen_id,
            "title": screen_id.title(),
            **fields,
            "layout": {"type": "SingleColumnLayout", "children": list(children)},
        }

    @classmethod
    def endpoint_flow(cls) -> dict[str, Any]:
        """START (one input) -> MIDDLE (one data field) -> END (terminal): valid, no warnings."""
        return {
            "version": "7.3",
            "data_api_version": "3.0",
            "routing_model": {"START": ["MIDDLE"], "MIDDLE": ["END"], "END": []},
            "screens": [
                cls.screen(
                    "START",
                    {"type": "TextInput", "name": "name", "label": "Name", "input-type": "text"},
                    cls.footer(payload={"name": "${form.name}"}),
                ),
                cls.screen(
                    "MIDDLE",
                    {"type": "TextBody", "text": "${data.name}"},
                    cls.footer(),
                    data={"name": {"type": "string", "__example__": "Ada"}},
                ),
                cls.screen("END", cls.footer("complete"), terminal=True),
            ],
        }

    @classmethod
    def plain_screen(cls, screen_id: str, *, terminal: bool = False) -> dict[str, Any]:
        action = "complete" if terminal else "data_exchange"
        fields = {"terminal": True} if terminal else {}
        return cls.screen(screen_id, cls.footer(action), **fields)


@pytest.fixture
def make() -> type[Builders]:
    return Builders


@pytest.fixture
def corpus_dir() -> Path:
    return FLOWS
