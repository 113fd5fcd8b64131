"""Throwaway TLS for mocks of HTTPS-only services: a private CA and a loopback certificate.

``LoopbackTLS.create()`` makes a CA and one server certificate for ``localhost``,
``127.0.0.1`` and ``::1`` with ``cryptography``, and writes them to a private
temporary directory. Clients trust the mocks with the CA bundle alone::

    tls = LoopbackTLS.create()
    session = requests.Session()
    session.verify = tls.ca_bundle          # requests, simple-salesforce, pymsteams
    httpx.Client(verify=tls.ssl_context())  # httpx, pywa, slack_sdk (ssl=)

Nothing is trusted system-wide; the files go away with :meth:`cleanup`.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["LoopbackTLS"]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
"""What the server certificate is valid for: a mock with TLS is reached on loopback."""

_VALID = datetime.timedelta(days=7)
_SKEW = datetime.timedelta(minutes=5)  # a clock a little behind still accepts it


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "flowharness mocks"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _alt_names(names: tuple[str, ...]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


@dataclass(frozen=True)
class LoopbackTLS:
    """A CA bundle (``ca_bundle``) and the server's certificate chain and key files."""

    directory: Path
    ca_bundle: str
    certfile: str
    keyfile: str

    @classmethod
    def create(cls, names: tuple[str, ...] = LOOPBACK_NAMES, directory: Path | None = None) -> Self:
        """A new CA and a certificate for ``names``, written under ``directory`` (default:
        a new private temporary directory, removed by :meth:`cleanup`)."""
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("flowharness mock CA (throwaway)")
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _SKEW)
            .not_valid_after(now + _VALID)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(names[0]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _SKEW)
            .not_valid_after(now + _VALID)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_alt_names(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        root = directory or Path(tempfile.mkdtemp(prefix="flowharness-tls-"))
        root.mkdir(parents=True, exist_ok=True)
        ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
        files = {
            "ca.pem": ca_pem,
            # The chain the server presents: its certificate, then the CA's.
            "server.pem": cert.public_bytes(serialization.Encoding.PEM) + ca_pem,
            "server-key.pem": _pem_key(key),
        }
        for name, content in files.items():
            path = root / name
            path.write_bytes(content)
            path.chmod(0o600)
        return cls(
            directory=root,
            ca_bundle=str(root / "ca.pem"),
            certfile=str(root / "server.pem"),
            keyfile=str(root / "server-key.pem"),
        )

    def ssl_context(self) -> ssl.SSLContext:
        """A client context trusting only this CA (for httpx ``verify=``, slack_sdk ``ssl=``)."""
        return ssl.create_default_context(cafile=self.ca_bundle)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certfile, self.keyfile)
        return context

    def cleanup(self) -> None:
        """Remove the files (the CA's key was never written: no one can sign with it)."""
        shutil.rmtree(self.directory, ignore_errors=True)
