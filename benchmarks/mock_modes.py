"""What a mock call costs in each way a test reaches it: in-process, loopback HTTP, HTTPS.

Run: .venv/bin/python benchmarks/mock_modes.py [--calls 300]

One HubSpot contact created per call, sent with the handle's httpx client (over a
server it opens one connection per call, through the standard library, so respx
never intercepts it) and with a pooled requests session (what most official SDKs
sit on), measured in the same run; plus the
one-off cost of starting a served mock and of a reset (what each test pays).
Wall time and this process's CPU time per call (the served mock runs in this process
too), as the machine may be busy.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import requests
from rich.console import Console
from rich.table import Table

from mocks._core import LoopbackTLS, MockHandle
from mocks.crm.hubspot import HUBSPOT_TOKEN, create_service

AUTH = {"Authorization": f"Bearer {HUBSPOT_TOKEN}"}


def _timed(calls: int, call: Callable[[int], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for number in range(calls):
        call(number)
    return (time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls


def _create(post: Callable[..., object], base: str) -> Callable[[int], object]:
    def call(number: int) -> object:
        body = {"properties": {"email": f"lead{number}@example.com"}}
        return post(base + "/crm/v3/objects/contacts", json=body, headers=AUTH)

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    calls = parser.parse_args().calls
    tls = LoopbackTLS.create()
    rows: list[tuple[str, str, float, float]] = []
    try:
        started = time.perf_counter()
        with MockHandle.served(create_service()) as probe:
            start_cost = time.perf_counter() - started
            reset_cost, _ = _timed(50, lambda _: probe.reset())
        for mode, options in (
            ("in-process", {"mode": "asgi"}),
            ("loopback HTTP", {"mode": "server"}),
            ("loopback HTTPS", {"mode": "server", "tls": tls}),
        ):
            with MockHandle(create_service(), **options) as mock:  # type: ignore[arg-type]
                with mock.new_client(timeout=10) as http:
                    wall, cpu = _timed(calls, _create(http.post, ""))
                rows.append((mode, "httpx", wall, cpu))
                if mode == "in-process":
                    continue
                mock.reset()
                with requests.Session() as session:
                    session.verify = tls.ca_bundle if "tls" in options else True
                    session.trust_env = False
                    wall, cpu = _timed(calls, _create(session.post, mock.url))
                rows.append((mode, "requests", wall, cpu))
    finally:
        tls.cleanup()
    table = Table(title=f"HubSpot mock, {calls} contacts created per row")
    for column in ("reached", "client", "ms per call (wall)", "ms CPU per call", "vs in-process"):
        table.add_column(column)
    base = rows[0][2]
    for mode, client, wall, cpu in rows:
        table.add_row(
            mode, client, f"{wall * 1000:.2f}", f"{cpu * 1000:.2f}", f"{wall / base:.1f}x"
        )
    console = Console()
    console.print(table)
    console.print(
        f"start a served mock: {start_cost * 1000:.0f} ms once per session; "
        f"reset: {reset_cost * 1000:.2f} ms per test"
    )


if __name__ == "__main__":
    main()
