"""The load generator's HTTP cost: loadtests/wire.py beside geventhttpclient, in one run.

Run: .venv/bin/python benchmarks/load_wire.py [--requests 6000] [--connections 16]

A minimal HTTP/1.1 answerer (uvloop, a fixed 400-byte answer) runs in a subprocess on
the first core; each client runs on the last core, as a locust process would, and posts
a 900-byte body over keep-alive connections from gevent greenlets. The figure is the
client process's CPU per request (user + system), so the answerer's own cost is left
out; both clients are measured against the same answerer in the same run.
"""

from __future__ import annotations

import gevent.monkey

gevent.monkey.patch_all()  # as locust does: the clients run on gevent sockets

import argparse  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from geventhttpclient import HTTPClient  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from loadtests.wire import FlowConnection  # noqa: E402

_ANSWERER = """
import asyncio, sys, uvloop
HEAD = b"HTTP/1.1 200 OK\\r\\ncontent-type: text/plain\\r\\ncontent-length: 400\\r\\n\\r\\n"
ANSWER = HEAD + b"x" * 400
class Answerer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""
    def data_received(self, data):
        self.buffer += data
        while (end := self.buffer.find(b"\\r\\n\\r\\n")) >= 0:
            head = self.buffer[:end].lower()
            length = int(head.split(b"content-length: ")[1].split(b"\\r\\n")[0])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            self.transport.write(ANSWER)
async def main():
    server = await asyncio.get_running_loop().create_server(Answerer, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
uvloop.run(main())
"""
BODY = b"y" * 900
HEADERS = {"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + "a" * 64}


def _wire(port: int) -> Callable[[], None]:
    connection = FlowConnection(
        f"http://127.0.0.1:{port}", "/", connection_timeout=5, network_timeout=10
    )

    def post() -> None:
        if connection.post(BODY, HEADERS).status != 200:
            raise RuntimeError("loadtests/wire.py got no answer")

    return post


def _geventhttpclient(port: int) -> Callable[[], None]:
    client = HTTPClient("127.0.0.1", port=port, concurrency=1, network_timeout=10)

    def post() -> None:
        response = client.request("POST", "/", body=BODY, headers=HEADERS)
        response.read()
        response.release()
        if response.status_code != 200:
            raise RuntimeError("geventhttpclient got no answer")

    return post


def _cpu_per_request(
    make: Callable[[int], Callable[[], None]], port: int, args: argparse.Namespace
) -> float:
    posts = [make(port) for _ in range(args.connections)]
    each = args.requests // args.connections
    gevent.joinall([gevent.spawn(post) for post in posts])  # connect and warm up
    started = time.process_time()
    gevent.joinall(
        [gevent.spawn(lambda p=post: [p() for _ in range(each)]) for post in posts],
        raise_error=True,
    )
    return (time.process_time() - started) / (each * args.connections) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    answerer = subprocess.Popen(
        [sys.executable, "-c", _ANSWERER],
        stdout=subprocess.PIPE,
        preexec_fn=lambda: os.sched_setaffinity(0, {cores[0]}),
    )
    try:
        assert answerer.stdout is not None
        port = int(answerer.stdout.readline())
        os.sched_setaffinity(0, {cores[-1]})
        print(f"{args.requests} POSTs over {args.connections} connections, client on core "
              f"{cores[-1]}, answerer on core {cores[0]}; client CPU per request:")  # fmt: skip
        figures = {}
        for name, make in (("loadtests/wire.py", _wire), ("geventhttpclient", _geventhttpclient)):
            figures[name] = _cpu_per_request(make, port, args)
            print(f"  {name:<20} {figures[name]:6.1f} µs")
        ratio = figures["loadtests/wire.py"] / figures["geventhttpclient"]
        print(f"  wire / geventhttpclient = {ratio:.2f}")
    finally:
        answerer.terminate()
        answerer.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
