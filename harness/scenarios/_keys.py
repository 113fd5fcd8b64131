"""The keys and secrets a target plays with: current, previous (rotation) and other (wrong)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto

__all__ = ["KeyNames", "KeySet"]

KeyNames = ("current", "previous", "other")


@dataclass
class KeySet:
    """Private keys by name, made on first use (RSA generation takes a moment)."""

    secrets: dict[str, str] = field(
        default_factory=lambda: {
            "current": "flowharness-scenario-app-secret",
            "previous": "flowharness-scenario-app-secret-previous",
            "other": "flowharness-scenario-app-secret-unknown",
        }
    )
    _keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def private(self, name: str) -> rsa.RSAPrivateKey:
        with self._lock:
            if name not in self._keys:
                self._keys[name] = crypto.generate_private_key(2048)
            return self._keys[name]

    def public(self, name: str) -> rsa.RSAPublicKey:
        return self.private(name).public_key()

    def pem(self, name: str) -> str:
        return crypto.private_key_pem(self.private(name)).decode()
