"""Errors raised for invalid use of the client: each says what to do instead.

Problems on the wire (timeouts, refused connections, bad answers) are never raised:
they come back as a :class:`~harness.client.FlowResult` with an outcome.
"""

from __future__ import annotations


class ClientError(Exception):
    """Base of every error raised by :mod:`harness.client`."""


class ConfigurationError(ClientError, ValueError):
    """The client was set up wrongly (endpoint, budget, timeout, headers)."""


class MissingPublicKeyError(ConfigurationError):
    """No public key to encrypt with: pass ``public_key=`` or a ``key_provider``."""


class InvalidPublicKeyError(ConfigurationError):
    """The public key given (or returned by the key provider) cannot be loaded."""


class MissingAppSecretError(ConfigurationError):
    """A valid signature was asked for but the client has no ``app_secret``."""


class InvalidRequestError(ClientError, ValueError):
    """A request argument is unusable (not JSON-serialisable, empty screen, unknown key)."""


class KeyProviderError(ClientError):
    """The ``key_provider`` callable raised while the client fetched the public key."""
