"""Serve the reference endpoint on loopback for a load test: fresh keys, secrets, one process.

    python -m loadtests.serve_target [--port 0] [--slow 4] [--fail-ratio 0.2] [--crm-delay 10]
                                     [--ready-file F]
    python -m loadtests.serve_target --stub FLOW.json [--ready-file F]

Generates an RSA-2048 key pair into ``--workdir`` (a temporary directory by default),
takes the app and flow-token secrets from ``FLOWHARNESS_APP_SECRET`` /
``FLOWHARNESS_TOKEN_SECRET`` (or makes random ones), and serves
``reference_server.create_app`` with uvicorn. ``--ready-file`` receives a JSON object
with ``url``, ``public_key`` (PEM path) and the secrets, for the load generator.

``--slow S`` answers every POST S seconds late (a deliberately slow endpoint, to see the
budget fail). ``--fail-ratio R`` answers 500 to that share of POSTs, evenly spread (0.2:
every fifth), to see Meta's endpoint error rate alert fire. ``--crm-delay S`` runs
the worker in the app against a local HubSpot stand-in that answers after S seconds,
to show a slow CRM does not slow the endpoint.
``--stub FLOW.json`` serves ``harness.stub.create_stub_app`` for that flow instead: every
request of the flow answered validly, for walker journeys before an endpoint exists.
``--trivial`` serves a responder that answers 200 at once without decrypting, and
``--ping-answerer`` one that verifies, decrypts and answers every request as a ping:
both measure the load generator, not an endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import sys
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import uvicorn

from harness.crypto import (
    CryptoError,
    KeyRing,
    decrypt_request,
    encrypt_response,
    generate_private_key,
    private_key_pem,
    public_key_pem,
    verify_signature,
)

__all__ = ["bind_loopback", "failing", "main", "ping_answerer", "slowed", "trivial_responder"]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def slowed(app: ASGIApp, seconds: float) -> ASGIApp:
    """``app`` with every POST delayed by ``seconds`` (GETs such as /healthz stay quick)."""

    async def wrapper(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST":
            await asyncio.sleep(seconds)
        await app(scope, receive, send)

    return wrapper


def failing(app: ASGIApp, ratio: float) -> ASGIApp:
    """``app`` answering 500 to ``ratio`` of POSTs, evenly spread (0.2: the 5th, 10th...)."""
    sent = 0

    async def wrapper(scope: Scope, receive: Any, send: Any) -> None:
        nonlocal sent
        if scope["type"] == "http" and scope.get("method") == "POST":
            sent += 1
            if int(sent * ratio) > int((sent - 1) * ratio):
                while (await receive()).get("more_body"):
                    pass
                headers = [(b"content-type", b"text/plain")]
                await send({"type": "http.response.start", "status": 500, "headers": headers})
                await send({"type": "http.response.body", "body": b"deliberate failure"})
                return
        await app(scope, receive, send)

    return wrapper


async def trivial_responder(scope: Scope, receive: Any, send: Any) -> None:
    """200 with an empty body, without reading keys: the cheapest endpoint possible."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def ping_answerer(private_pem: bytes, app_secret: str) -> ASGIApp:
    """Checks the signature, decrypts, and answers every request as a ping: the cheapest
    real endpoint, for measuring a load generator against something it can verify."""
    keys = KeyRing([private_pem])
    answer = {"data": {"status": "active"}}

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        signature = dict(scope["headers"]).get(b"x-hub-signature-256", b"").decode("latin-1")
        status, sealed = 432, b""
        if verify_signature(body, signature, app_secret) is not None:
            try:
                request = decrypt_request(body, keys)
                status, sealed = 200, encrypt_response(answer, request.keys).encode("ascii")
            except CryptoError:
                status = 421
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": sealed})

    return app


def _sleeping_crm(seconds: float) -> ASGIApp:
    """A HubSpot stand-in that takes ``seconds`` to answer anything with an empty search."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await asyncio.sleep(seconds)
        body = json.dumps({"results": [], "total": 0, "id": "1", "status": "COMPLETE"}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def bind_loopback(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket; port 0 lets the kernel pick a free port (no race with others)."""
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so; without
    # it, uvicorn's separate header and body writes wait ~40 ms on Nagle and delayed ACKs
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _write_keys(workdir: Path) -> tuple[Path, Path]:
    key = generate_private_key(2048)
    private, public = workdir / "private.pem", workdir / "public.pem"
    private.write_bytes(private_key_pem(key))
    private.chmod(0o600)
    public.write_bytes(public_key_pem(key))
    return private, public


def _reference_app(private: Path, app_secret: str, token_secret: str, crm_url: str | None) -> Any:
    from pydantic import SecretStr

    from reference_server import Settings, create_app

    extra: dict[str, Any] = {}
    if crm_url:
        extra = {
            "run_worker": True,
            "crm": "hubspot",
            "hubspot_base_url": crm_url,
            "hubspot_token": "loadtest-token",
            "retry_base_delay_seconds": 0.1,
        }
    settings = Settings(
        private_key_files=[private],
        app_secrets=[SecretStr(app_secret)],
        flow_token_secrets=[SecretStr(token_secret)],
        log_level="WARNING",
        **extra,
    )
    return create_app(settings)


def _stub_app(flow_json: Path, private: Path, app_secret: str) -> Any:
    from harness.stub import create_stub_app

    return create_stub_app(flow_json, private.read_bytes(), app_secret)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.serve_target", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    parser.add_argument("--workdir", type=Path, help="where the key pair goes (default: temp)")
    parser.add_argument("--ready-file", type=Path, help="write url, key path and secrets here")
    parser.add_argument("--slow", type=float, default=0.0, metavar="S", help="delay POSTs by S s")
    parser.add_argument(
        "--crm-delay", type=float, default=None, metavar="S", help="run the worker; CRM takes S s"
    )
    parser.add_argument(
        "--fail-ratio", type=float, default=0.0, metavar="R", help="answer 500 to R of POSTs"
    )
    parser.add_argument("--trivial", action="store_true", help="answer 200 without decrypting")
    parser.add_argument(
        "--ping-answerer", action="store_true", help="decrypt and answer every request as a ping"
    )
    parser.add_argument(
        "--stub", type=Path, metavar="FLOW.json", help="serve a stub endpoint for this Flow JSON"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.slow < 0 or (args.crm_delay is not None and args.crm_delay < 0):
        print("--slow and --crm-delay take seconds >= 0", file=sys.stderr)
        return 2
    if not 0 <= args.fail_ratio <= 1:
        print("--fail-ratio is a share of requests, from 0 to 1", file=sys.stderr)
        return 2
    alone = [args.trivial, args.ping_answerer, args.stub is not None, args.crm_delay is not None]
    if sum(alone) > 1:
        print(
            "--trivial, --ping-answerer, --stub and --crm-delay each serve something else: "
            "pick one",
            file=sys.stderr,
        )
        return 2
    if args.stub is not None and not args.stub.is_file():
        print(f"--stub {args.stub}: no such Flow JSON file", file=sys.stderr)
        return 2
    with ExitStack() as stack:
        workdir = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        workdir.mkdir(parents=True, exist_ok=True)
        private, public = _write_keys(workdir)
        app_secret = os.environ.get("FLOWHARNESS_APP_SECRET") or secrets.token_hex(16)
        token_secret = os.environ.get("FLOWHARNESS_TOKEN_SECRET") or secrets.token_hex(16)
        crm_url = None
        if args.crm_delay is not None:
            from harness.testing import run_server

            crm_url = stack.enter_context(run_server(_sleeping_crm(args.crm_delay)))
        app: ASGIApp
        if args.trivial:
            app = trivial_responder
        elif args.ping_answerer:
            app = ping_answerer(private.read_bytes(), app_secret)
        elif args.stub is not None:
            app = _stub_app(args.stub, private, app_secret)
        else:
            app = _reference_app(private, app_secret, token_secret, crm_url)
        if args.slow:
            app = slowed(app, args.slow)
        if args.fail_ratio:
            app = failing(app, args.fail_ratio)
        sock = bind_loopback(args.host, args.port)
        url = f"http://{args.host}:{sock.getsockname()[1]}"
        if args.ready_file:
            ready = {
                "url": url,
                "public_key": str(public),
                "app_secret": app_secret,
                "token_secret": token_secret,
            }
            partial = args.ready_file.with_suffix(".partial")
            partial.write_text(json.dumps(ready))
            partial.chmod(0o600)
            partial.replace(args.ready_file)
        what = (
            "trivial responder"
            if args.trivial
            else "ping answerer"
            if args.ping_answerer
            else f"stub for {args.stub}"
            if args.stub is not None
            else "reference endpoint"
        )
        print(f"serving the {what} on {url}", flush=True)
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off" if args.trivial or args.ping_answerer else "on",
            timeout_graceful_shutdown=2,
        )
        uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
