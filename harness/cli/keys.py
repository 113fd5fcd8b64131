"""``flowharness keys``: make the RSA key pair a Flows endpoint needs."""

from __future__ import annotations

import os
from pathlib import Path

import click

from harness import crypto

PRIVATE_NAME = "private.pem"
PUBLIC_NAME = "public.pem"


@click.group()
def keys() -> None:
    """Create the business key pair (the public half is uploaded to WhatsApp)."""


@keys.command()
@click.option(
    "--bits",
    type=click.Choice([str(b) for b in crypto.KEY_SIZES]),
    default="2048",
    show_default=True,
    help="RSA key size; Meta's own generator uses 2048.",
)
@click.option("--passphrase", metavar="TEXT", help="Encrypt private.pem with this passphrase.")
@click.option(
    "--passphrase-env",
    metavar="VAR",
    help="Read the passphrase from this environment variable (keeps it out of `ps`).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pkcs8", "pkcs1"]),
    default="pkcs8",
    show_default=True,
    help="Private key PEM format (PKCS#1 is what `openssl genrsa` used to write).",
)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to write private.pem and public.pem (created if missing).",
)
@click.option("--force", is_flag=True, help="Overwrite existing key files.")
def generate(
    bits: str,
    passphrase: str | None,
    passphrase_env: str | None,
    fmt: str,
    out_dir: Path,
    force: bool,
) -> None:
    """Write a fresh private.pem and public.pem."""
    secret = _passphrase(passphrase, passphrase_env)
    private_path, public_path = out_dir / PRIVATE_NAME, out_dir / PUBLIC_NAME
    existing = [p for p in (private_path, public_path) if p.exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise click.ClickException(
            f"{names} already exist; pass --force to replace them (the endpoint using the "
            "old private key will answer 421 until the new public key is uploaded)"
        )
    key = crypto.generate_private_key(int(bits))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_private(private_path, crypto.private_key_pem(key, passphrase=secret, fmt=fmt))  # type: ignore[arg-type]
        public_path.write_bytes(crypto.public_key_pem(key))
    except OSError as exc:
        raise click.ClickException(f"cannot write the keys to {out_dir}: {exc.strerror}") from exc
    encrypted = " (encrypted with the passphrase)" if secret else ""
    click.echo(f"private key: {private_path}{encrypted}")
    click.echo(f"public key:  {public_path}")
    click.echo(
        "\nNext steps:\n"
        f"  1. Give {private_path} to the endpoint; keep it secret and out of version control.\n"
        f"  2. Upload {public_path} to WhatsApp: POST /<phone_number_id>/"
        "whatsapp_business_encryption with business_public_key=<its contents>.\n"
        f"  3. Test the endpoint: export FLOWHARNESS_PUBLIC_KEY={public_path} "
        "FLOWHARNESS_APP_SECRET=<app secret>; flowharness ping <url>"
    )


def _passphrase(passphrase: str | None, variable: str | None) -> str | None:
    if passphrase is not None and variable is not None:
        raise click.UsageError("give --passphrase or --passphrase-env, not both")
    if variable is None:
        if passphrase == "":
            raise click.BadParameter("the passphrase is empty", param_hint="--passphrase")
        return passphrase
    value = os.environ.get(variable)
    if not value:
        raise click.BadParameter(
            f"the environment variable {variable} is not set or empty",
            param_hint="--passphrase-env",
        )
    return value


def _write_private(path: Path, pem: bytes) -> None:
    # Created owner-only from the start, never world-readable even for a moment.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    path.chmod(0o600)
