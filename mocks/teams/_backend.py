"""Microsoft Teams state, no HTTP: the messages posted to channels through webhooks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel

from mocks._core import MockBackend
from mocks.teams._cards import CardKind, ParsedCard

__all__ = ["Connector", "TeamsBackend", "TeamsMessage"]

Connector = Literal["incoming_webhook", "workflow"]


class TeamsMessage(BaseModel):
    """A message a webhook accepted. ``text`` joins an Adaptive Card's TextBlocks."""

    id: int
    connector: Connector
    webhook: str
    kind: CardKind
    text: str | None = None
    summary: str | None = None
    title: str | None = None
    cards: list[dict[str, Any]] = []
    payload: dict[str, Any]
    received_at: datetime


class TeamsBackend(MockBackend):
    def __init__(self, *, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self.messages: list[TeamsMessage] = []

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.messages.clear()

    def receive(
        self, connector: Connector, webhook: str, card: ParsedCard, payload: dict[str, Any]
    ) -> TeamsMessage:
        with self.lock:
            message = TeamsMessage(
                id=len(self.messages) + 1,
                connector=connector,
                webhook=webhook,
                kind=card.kind,
                text=card.text,
                summary=card.summary,
                title=card.title,
                cards=card.cards,
                payload=payload,
                received_at=datetime.now(UTC),
            )
            self.messages.append(message)
            return message

    def messages_for(
        self, *, connector: Connector | None = None, webhook: str | None = None
    ) -> list[TeamsMessage]:
        with self.lock:
            return [
                m
                for m in self.messages
                if (connector is None or m.connector == connector)
                and (webhook is None or m.webhook == webhook)
            ]

    def state(self) -> dict[str, Any]:
        return {"messages": [m.model_dump(mode="json") for m in self.messages]}
