"""The yardstick: the least a Flows endpoint can do for a ping, as a raw ASGI app.

Run: python benchmarks/bare_endpoint.py --port P --private-key K.pem --app-secret S

It checks the signature, decrypts with a key parsed once, and answers every request
with the ping answer; no framework, no logging, no storage. uvicorn with uvloop and
httptools serves it. ``benchmarks/endpoint_cpu.py`` compares the reference endpoint
against it, CPU per request on one core.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
from typing import Any

import uvicorn
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
PING_ANSWER = b'{"data":{"status":"active"}}'


def make_app(private_pem: bytes, app_secret: bytes) -> Any:
    key = serialization.load_pem_private_key(private_pem, password=None)

    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        expected = "sha256=" + hmac.new(app_secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get(b"x-hub-signature-256", b"").decode(), expected):
            await send({"type": "http.response.start", "status": 432, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        envelope = json.loads(body)
        aes_key = key.decrypt(base64.b64decode(envelope["encrypted_aes_key"]), OAEP)  # type: ignore[union-attr]
        iv = base64.b64decode(envelope["initial_vector"])
        aes = AESGCM(aes_key)
        json.loads(aes.decrypt(iv, base64.b64decode(envelope["encrypted_flow_data"]), None))
        answer = base64.b64encode(aes.encrypt(bytes(b ^ 0xFF for b in iv), PING_ANSWER, None))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        await send({"type": "http.response.body", "body": answer})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--private-key", required=True, help="unencrypted PEM file")
    parser.add_argument("--app-secret", required=True)
    args = parser.parse_args()
    with open(args.private_key, "rb") as file:
        app = make_app(file.read(), args.app_secret.encode())
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
