"""The public namespace of harness.crypto and its error hierarchy."""

from __future__ import annotations

import inspect

from harness import crypto
from harness.crypto import CryptoError, InvalidBase64Error, InvalidIVLengthError


def test_all_names_exist_and_nothing_public_is_missing() -> None:
    assert len(set(crypto.__all__)) == len(crypto.__all__)
    for name in crypto.__all__:
        assert hasattr(crypto, name), name
    public = {
        name
        for name, value in vars(crypto).items()
        if not name.startswith(("_", "@")) and not inspect.ismodule(value) and name != "annotations"
    }
    assert public == set(crypto.__all__)


def test_every_exported_exception_is_a_crypto_error_with_a_docstring() -> None:
    errors = [
        value
        for value in map(crypto.__dict__.get, crypto.__all__)
        if isinstance(value, type) and issubclass(value, BaseException)
    ]

    def family(cls: type) -> set[type]:
        return {cls}.union(*(family(sub) for sub in cls.__subclasses__()))

    assert set(errors) == family(CryptoError)
    for error in errors:
        assert issubclass(error, CryptoError), error
        assert error.__doc__, error


def test_envelope_errors_share_a_base() -> None:
    for error in (InvalidBase64Error, InvalidIVLengthError):
        assert issubclass(error, crypto.MalformedEnvelopeError)
