"""``with`` support shared by the core's clients, handles and servers."""

from __future__ import annotations

from types import TracebackType
from typing import Self

__all__ = ["Closing", "Running"]


class Closing:
    """A resource closed on leaving a ``with`` block: subclasses define ``close()``."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Running:
    """A server started on entering a ``with`` block and stopped on leaving it."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
