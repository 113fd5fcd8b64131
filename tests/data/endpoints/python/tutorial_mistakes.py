"""Written like a quick tutorial. Its mistakes:

- the private key is parsed on every request;
- a request that cannot be decrypted (bad tag, wrong key) raises: Flask answers 500;
- the flow token is never checked, so an expired one is accepted (no 427);
- the decrypted bytes are parsed without a guard: plaintext that is not JSON is a 500;
- error notifications are recognised by data.error only, like Meta's sample, not by
  the data.error_key of Meta's table;
- every answer echoes "version" (harmless: WhatsApp ignores it);
- after an error the server closes the keep-alive connection without saying so.
"""

import json
import os
import threading

from flask import Flask, Response, request
from flows_crypto import decrypt_request, encrypt_response, load_key, signature_ok
from werkzeug.serving import WSGIRequestHandler, run_simple

app = Flask(__name__)
_failed = threading.local()


@app.post("/")
def flows():
    raw = request.get_data()
    if not signature_ok(
        raw, request.headers.get("X-Hub-Signature-256", ""), os.environ["APP_SECRET"]
    ):
        return Response(status=432)
    try:
        body = json.loads(raw)
        body["encrypted_aes_key"], body["initial_vector"], body["encrypted_flow_data"]
    except Exception:
        return Response(status=400)
    private_key = load_key(os.environ["PRIVATE_KEY"])
    decrypted, aes_key, iv = decrypt_request(body, private_key)
    if not isinstance(decrypted, dict):
        return Response(status=400)
    version, action = decrypted.get("version"), decrypted.get("action")
    if action == "ping":
        answer = {"version": version, "data": {"status": "active"}}
    elif isinstance(decrypted.get("data"), dict) and "error" in decrypted["data"]:
        answer = {"version": version, "data": {"acknowledged": True}}
    elif action == "INIT":
        answer = {"version": version, "screen": "START", "data": {}}
    elif action == "data_exchange" and isinstance(decrypted.get("screen"), str):
        params = {"flow_token": decrypted.get("flow_token", "")}
        answer = {
            "version": version,
            "screen": "SUCCESS",
            "data": {"extension_message_response": {"params": params}},
        }
    else:
        return Response(status=400)
    return Response(encrypt_response(answer, aes_key, iv), mimetype="text/plain")


@app.errorhandler(Exception)
def crashed(error):
    _failed.flag = True
    return Response("Internal Server Error", status=500)


class ClosesAfterErrors(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def handle_one_request(self):
        super().handle_one_request()
        if getattr(_failed, "flag", False):
            _failed.flag = False
            self.close_connection = True  # and no "Connection: close" was sent


if __name__ == "__main__":
    run_simple(
        "127.0.0.1", int(os.environ["PORT"]), app, threaded=True, request_handler=ClosesAfterErrors
    )
