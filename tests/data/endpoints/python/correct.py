"""A careful Flask endpoint: every failure becomes the status WhatsApp expects."""

import json
import os

from flask import Flask, Response, request
from flows_crypto import decrypt_request, encrypt_response, load_key, signature_ok, token_ok
from werkzeug.serving import run_simple

PRIVATE_KEY = load_key(os.environ["PRIVATE_KEY"])  # parsed once, at start-up
APP_SECRET = os.environ["APP_SECRET"]
app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1_000_000


@app.post("/")
def flows():
    raw = request.get_data()
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not signature_ok(raw, signature, APP_SECRET):
        return Response(status=432)
    try:
        body = json.loads(raw)
        decrypted, aes_key, iv = decrypt_request(body, PRIVATE_KEY)
    except Exception:  # any envelope or crypto problem: WhatsApp refetches the key
        return Response(status=421)

    def reply(answer, status=200):
        return Response(encrypt_response(answer, aes_key, iv), status, mimetype="text/plain")

    if not isinstance(decrypted, dict):
        return Response(status=400)
    action, data, token = (
        decrypted.get("action"),
        decrypted.get("data"),
        decrypted.get("flow_token"),
    )
    if action == "ping":
        return reply({"data": {"status": "active"}})
    if isinstance(data, dict) and ("error" in data or "error_key" in data):
        return reply({"data": {"acknowledged": True}})
    if action not in ("INIT", "data_exchange", "BACK"):
        return Response(status=400)
    if data is not None and not isinstance(data, dict):
        return Response(status=400)
    if action == "data_exchange" and not isinstance(decrypted.get("screen"), str):
        return Response(status=400)
    if not token:  # some iOS clients omit it
        return reply({"screen": "START", "data": {}})
    if not token_ok(token):
        return reply({"error_msg": "This form has expired."}, 427)
    if action == "data_exchange":
        params = {"flow_token": token}
        return reply(
            {"screen": "SUCCESS", "data": {"extension_message_response": {"params": params}}}
        )
    return reply({"screen": "START", "data": {}})


if __name__ == "__main__":
    run_simple("127.0.0.1", int(os.environ["PORT"]), app, threaded=True)
