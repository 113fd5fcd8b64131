"""Written like a quick tutorial that "fails fast". Its mistakes:

- the signature header is read without a check, so an unsigned request raises KeyError;
- any unhandled error ends the process (``os._exit``) for a supervisor to restart, and
  none is configured: the first unsigned request takes the endpoint down.

Everything else is done right, so only that request is a finding.
"""

import json
import os
import sys

from flask import Flask, Response, request
from flows_crypto import decrypt_request, encrypt_response, load_key, signature_ok, token_ok
from werkzeug.exceptions import HTTPException
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
        decrypted, aes_key, iv = decrypt_request(json.loads(raw), PRIVATE_KEY)
    except Exception:
        return Response(status=421)

    def reply(answer, status=200):
        return Response(encrypt_response(answer, aes_key, iv), status, mimetype="text/plain")

    if not isinstance(decrypted, dict) or not isinstance(decrypted.get("data", {}), dict):
        return Response(status=400)
    action, data = decrypted.get("action"), decrypted.get("data", {})
    token = decrypted.get("flow_token")
    if action == "ping":
        return reply({"data": {"status": "active"}})
    if "error" in data or "error_key" in data:
        return reply({"data": {"acknowledged": True}})
    if action not in ("INIT", "data_exchange", "BACK"):
        return Response(status=400)
    if action == "data_exchange" and not isinstance(decrypted.get("screen"), str):
        return Response(status=400)
    if token and not token_ok(token):
        return reply({"error_msg": "This form has expired."}, 427)
    if action == "data_exchange" and token:
        params = {"flow_token": token}
        return reply(
            {"screen": "SUCCESS", "data": {"extension_message_response": {"params": params}}}
        )
    return reply({"screen": "START", "data": {}})


@app.errorhandler(Exception)
def fail_fast(error):
    if isinstance(error, HTTPException):  # 404, 405, 413: Flask's own answers
        return error
    print(f"fatal: {error!r}", file=sys.stderr, flush=True)
    os._exit(1)


if __name__ == "__main__":
    run_simple("127.0.0.1", int(os.environ["PORT"]), app, threaded=True)
