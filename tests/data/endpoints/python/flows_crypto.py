"""Decrypting a Flows request and sealing the answer, as the tutorials show."""

import base64
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def load_key(pem):
    return serialization.load_pem_private_key(pem.encode(), password=None)


def decrypt_request(body, private_key):
    aes_key = private_key.decrypt(base64.b64decode(body["encrypted_aes_key"]), OAEP)
    iv = base64.b64decode(body["initial_vector"])
    clear = AESGCM(aes_key).decrypt(iv, base64.b64decode(body["encrypted_flow_data"]), None)
    return json.loads(clear), aes_key, iv


def encrypt_response(answer, aes_key, iv):
    flipped = bytes(byte ^ 0xFF for byte in iv)
    sealed = AESGCM(aes_key).encrypt(flipped, json.dumps(answer).encode(), None)
    return base64.b64encode(sealed).decode()


def signature_ok(raw, header, secret):
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header, expected)


def token_ok(token):
    flow_id, _, mac = str(token).partition(".")
    expected = hmac.new(b"corpus-token-secret", flow_id.encode(), hashlib.sha256).hexdigest()
    return bool(flow_id) and hmac.compare_digest(mac, expected[:16])
