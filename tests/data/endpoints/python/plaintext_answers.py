"""Written like a quick tutorial. Its mistakes:

- every answer goes out as plaintext JSON (``jsonify``) instead of the encrypted Base64
  body, so WhatsApp cannot read a single answer, the health check included;
- the signature header is read without a check: an unsigned request raises KeyError,
  which Flask turns into a 500 (a Node process would die here; Flask survives).
"""

import json
import os

from flask import Flask, Response, jsonify, request
from flows_crypto import decrypt_request, load_key, signature_ok, token_ok
from werkzeug.serving import run_simple

PRIVATE_KEY = load_key(os.environ["PRIVATE_KEY"])
APP_SECRET = os.environ["APP_SECRET"]
app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1_000_000


@app.post("/")
def flows():
    raw = request.get_data()
    if not signature_ok(raw, request.headers["X-Hub-Signature-256"], APP_SECRET):
        return Response(status=432)
    try:
        decrypted, _, _ = decrypt_request(json.loads(raw), PRIVATE_KEY)
    except Exception:
        return Response(status=421)
    if not isinstance(decrypted, dict):
        return Response(status=400)
    action, data, token = (
        decrypted.get("action"),
        decrypted.get("data"),
        decrypted.get("flow_token"),
    )
    if action == "ping":
        return jsonify({"data": {"status": "active"}})
    if isinstance(data, dict) and ("error" in data or "error_key" in data):
        return jsonify({"data": {"acknowledged": True}})
    if action not in ("INIT", "data_exchange", "BACK"):
        return Response(status=400)
    if data is not None and not isinstance(data, dict):
        return Response(status=400)
    if action == "data_exchange" and not isinstance(decrypted.get("screen"), str):
        return Response(status=400)
    if not token:
        return jsonify({"screen": "START", "data": {}})
    if not token_ok(token):
        return jsonify({"error_msg": "This form has expired."}), 427
    if action == "data_exchange":
        params = {"flow_token": token}
        return jsonify(
            {"screen": "SUCCESS", "data": {"extension_message_response": {"params": params}}}
        )
    return jsonify({"screen": "START", "data": {}})


if __name__ == "__main__":
    run_simple("127.0.0.1", int(os.environ["PORT"]), app, threaded=True)
