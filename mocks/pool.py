"""Mocks for a test session: each started once, on first use, and handed out fresh per test.

:class:`MockPool` keeps one running mock per (name, in-process or served,
TLS or not) for as long as it lives (a test session), and one throwaway CA for
all the TLS ones. :class:`MockSet` is one test's view of it: the first time a
test asks for a mock it is reset, and every mock it used is reset again when
the test ends. The pytest plugin's fixtures are thin wrappers around these,
and any other runner can use them the same way::

    with MockPool() as pool:
        with MockSet(pool) as mocks:          # one test
            hubspot = mocks.hubspot          # a served MockHandle, fresh
            requests.post(hubspot.url + "/crm/v3/objects/contacts", ...)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mocks._core import Closing, LoopbackTLS, MockError
from mocks.registry import MOCKS, get_spec

__all__ = ["ALIASES", "MockOptions", "MockPool", "MockSet"]

ALIASES = {"smtp": "email"}
"""Other names a mock answers to (the email mock's fixture is ``mock_smtp``)."""


@dataclass(frozen=True)
class MockOptions:
    """How a test wants its mocks: in-process or served, and with TLS or not.

    ``tls=None`` uses each mock's default (HTTPS for Salesforce, whose SDK
    insists on it; plain HTTP for the others). In-process mocks never use TLS;
    the email mock is always a real SMTP server (no STARTTLS).
    """

    in_process: bool = False
    tls: bool | None = None

    def tls_for(self, name: str) -> bool:
        if self.in_process or get_spec(name).smtp_port is not None:
            return False
        return get_spec(name).default_tls if self.tls is None else self.tls


def canonical(name: str) -> str:
    """The registry name for ``name`` (``smtp`` -> ``email``); a clear error if unknown."""
    name = ALIASES.get(name, name)
    if name not in MOCKS:
        known = ", ".join([*MOCKS, *ALIASES])
        raise MockError(f"no mock called {name!r}; known mocks: {known}")
    return name


class MockPool(Closing):
    """Running mocks, started on demand and stopped together by :meth:`close`."""

    def __init__(self) -> None:
        self._handles: dict[tuple[str, bool, bool], Any] = {}
        self._tls: LoopbackTLS | None = None

    @property
    def tls(self) -> LoopbackTLS:
        """The throwaway CA and loopback certificate every TLS mock of the pool serves."""
        if self._tls is None:
            self._tls = LoopbackTLS.create()
        return self._tls

    def get(self, name: str, options: MockOptions = MockOptions()) -> Any:
        """The running mock ``name`` with ``options``, started the first time it is asked."""
        name = canonical(name)
        tls = options.tls_for(name)
        in_process = options.in_process and get_spec(name).smtp_port is None
        key = (name, in_process, tls)
        if key not in self._handles:
            self._handles[key] = get_spec(name).start(
                mode="asgi" if in_process else "server", tls=self.tls if tls else None
            )
        return self._handles[key]

    def close(self) -> None:
        while self._handles:
            _, handle = self._handles.popitem()
            handle.close()
        if self._tls is not None:
            self._tls.cleanup()
            self._tls = None


class MockSet(Closing):
    """One test's mocks: ``mocks.hubspot``, ``mocks["smtp"]``; each fresh on first use.

    Use several mocks through one app: give it each mock's ``url`` (and
    ``credentials``), run it, then check each mock through its ``admin``.
    :meth:`config` is the ``flowharness mocks up --json`` shape of the mocks
    used so far, for code that reads that.
    """

    def __init__(self, pool: MockPool, options: MockOptions = MockOptions()) -> None:
        self.pool = pool
        self.options = options
        self._used: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        name = canonical(name)
        if name not in self._used:
            handle = self.pool.get(name, self.options)
            handle.reset()
            self._used[name] = handle
        return self._used[name]

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.get(name)
        except MockError as exc:
            raise AttributeError(str(exc)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._used)

    def config(self) -> dict[str, Any]:
        """``{"mocks": {name: {"url", "admin_url", "credentials", ...}}}`` of the mocks used."""
        return {"mocks": {name: describe(handle) for name, handle in self._used.items()}}

    def close(self) -> None:
        """Reset every mock the test used (no fault or state leaks into the next test)."""
        while self._used:
            _, handle = self._used.popitem()
            handle.reset()


def describe(handle: Any) -> dict[str, Any]:
    """A running mock as ``flowharness mocks up --json`` prints it."""
    described: dict[str, Any] = {
        "url": handle.url,
        "admin_url": handle.url,
        "credentials": dict(handle.credentials),
    }
    if handle.ca_bundle is not None:
        described["ca_bundle"] = handle.ca_bundle
    if hasattr(handle, "smtp_port"):
        described |= {"smtp_host": handle.smtp_host, "smtp_port": handle.smtp_port}
    return described
