"""``ServiceAdmin``: the base of each mock's typed helper over its own admin routes.

``SlackAdmin``, ``HubSpotAdmin``, ``CloudApiAdmin``... wrap an :class:`AdminClient`
and read lists of records from routes like ``GET /__admin/messages?to=``; this
base does the reading once.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from mocks._core._client import AdminClient

__all__ = ["ServiceAdmin"]

ModelT = TypeVar("ModelT", bound=BaseModel)


class ServiceAdmin:
    """Typed access to one mock's own admin routes, over any :class:`AdminClient`."""

    def __init__(self, admin: AdminClient) -> None:
        self.admin = admin

    def _list(self, model: type[ModelT], path: str, key: str, **params: Any) -> list[ModelT]:
        """``GET /__admin/{path}`` with the ``params`` that are not None; ``payload[key]``
        parsed as ``model``."""
        given = {name: value for name, value in params.items() if value is not None}
        return [model.model_validate(item) for item in self.admin.get(path, **given)[key]]

    def _first(self, model: type[ModelT], path: str, key: str, **params: Any) -> ModelT | None:
        found = self._list(model, path, key, **params)
        return found[0] if found else None

    def _get(self, model: type[ModelT], path: str) -> ModelT:
        return model.model_validate(self.admin.get(path))
