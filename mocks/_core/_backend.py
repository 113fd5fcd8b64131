"""The base of every mock's state: a seeded RNG, id helpers, a lock and ``reset()``.

A service's backend holds its state and logic with no HTTP in it (moto's
``models.py``); the thin FastAPI layer parses requests, calls the backend and
serialises its answers.
"""

from __future__ import annotations

import random
import threading
from typing import Any

from mocks._core._ids import IdGenerator

__all__ = ["MockBackend"]


class MockBackend:
    """Subclass it, keep your state on the instance, and override :meth:`reset` and :meth:`state`.

    ``rng`` is the only source of randomness a mock may use; ``ids`` draws from it.
    ``lock`` guards state that the server thread and the test thread both touch.
    """

    def __init__(self, *, seed: int | None = None) -> None:
        self._seed = seed
        self.rng = random.Random(seed)
        self.ids = IdGenerator(self.rng)
        self.lock = threading.RLock()

    @property
    def current_seed(self) -> int | None:
        """The seed the RNG restarts from on :meth:`reset` (``None``: not seeded)."""
        return self._seed

    def seed(self, value: int) -> None:
        """Restart the RNG from ``value``; later resets restart from it too."""
        with self.lock:
            self._seed = value
            self.rng.seed(value)

    def reset(self) -> None:
        """Forget all state. Subclasses clear theirs and call ``super().reset()``."""
        with self.lock:
            if self._seed is not None:
                self.rng.seed(self._seed)

    def state(self) -> dict[str, Any]:
        """A JSON-ready snapshot of the state, served at ``GET /__admin/state``."""
        return {}
