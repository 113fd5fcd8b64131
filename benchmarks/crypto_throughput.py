"""How many Flows envelopes one core can seal and open, against the raw RSA ceiling.

Run: .venv/bin/python benchmarks/crypto_throughput.py [--seconds 3] [--bits 2048]

Every figure is single-process, single-thread, measured in the same run, so the ratios
compare like with like. The endpoint side is bounded by one RSA private-key operation per
request (unwrapping the AES key); the client side by one RSA public-key operation.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cryptography
from cryptography.hazmat.backends.openssl import backend as openssl_backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from rich.console import Console
from rich.table import Table

from harness import crypto

APP_SECRET = "benchmark-app-secret"
POOL_SIZE = 64  # distinct envelopes cycled through, so no result is cached by accident
OAEP = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None
)
# what a lead-capture flow sends on its last screen
LEAD = {
    "version": "3.0",
    "action": "data_exchange",
    "screen": "LEAD_DETAILS",
    "flow_token": "lead-flow:v1:+4915112345678:7f3c9a2e-5d41-4b8e-9c0a-1e2f3a4b5c6d",
    "data": {
        "first_name": "Zoë",
        "last_name": "Müller-Lüdenscheidt",
        "email": "zoe.mueller@example.com",
        "phone": "+49 151 12345678",
        "company": "Müller & Söhne GmbH",
        "company_size": "51-200",
        "interests": ["crm_integration", "analytics", "support"],
        "budget_eur": 12500,
        "preferred_contact": "whatsapp",
        "consent_marketing": True,
        "message": "Wir möchten unsere Vertriebsprozesse automatisieren. " * 3,
    },
}
ANSWER = {
    "screen": "SUCCESS",
    "data": {"extension_message_response": {"params": {"flow_token": LEAD["flow_token"]}}},
}


@dataclass(frozen=True)
class Measurement:
    name: str
    operations: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds

    @property
    def microseconds(self) -> float:
        return 1e6 * self.seconds / self.operations


def measure(name: str, operation: Callable[[], object], seconds: float) -> Measurement:
    """Call ``operation`` until ``seconds`` have passed (after a short warm-up)."""
    warm_up_end = time.perf_counter() + min(0.2, seconds / 10)
    while time.perf_counter() < warm_up_end:
        operation()
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        operation()
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return Measurement(name, count, now - start)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(seconds: float, bits: int, with_pem_reload: bool) -> list[Measurement]:
    private_key = crypto.generate_private_key(bits)
    public_key = private_key.public_key()
    ring = crypto.KeyRing([private_key])

    bodies = [
        json.dumps(crypto.encrypt_request(LEAD, public_key)[0]).encode() for _ in range(POOL_SIZE)
    ]
    wrapped_keys = [public_key.encrypt(os.urandom(16), OAEP) for _ in range(POOL_SIZE)]
    next_body = itertools.cycle(bodies).__next__
    next_wrapped = itertools.cycle(wrapped_keys).__next__

    def client_encrypt() -> str:
        envelope, _ = crypto.encrypt_request(LEAD, public_key)
        return crypto.sign_body(json.dumps(envelope).encode(), APP_SECRET)

    def endpoint_decrypt() -> str:
        request = crypto.decrypt_request(next_body(), ring)
        return crypto.encrypt_response(ANSWER, request.keys)

    pem = crypto.private_key_pem(private_key)

    def endpoint_decrypt_reloading_pem() -> str:
        request = crypto.decrypt_request(next_body(), pem)
        return crypto.encrypt_response(ANSWER, request.keys)

    results = [
        measure("client: encrypt_request + sign_body", client_encrypt, seconds),
        measure("endpoint: decrypt_request + encrypt_response", endpoint_decrypt, seconds),
        measure(
            f"raw RSA-{bits} private op (OAEP decrypt)",
            lambda: private_key.decrypt(next_wrapped(), OAEP),
            seconds,
        ),
        measure(
            f"raw RSA-{bits} public op (OAEP encrypt)",
            lambda: public_key.encrypt(b"k" * 16, OAEP),
            seconds,
        ),
    ]
    if with_pem_reload:
        results.append(
            measure("endpoint, PEM reloaded per request", endpoint_decrypt_reloading_pem, seconds)
        )
    return results


def report(results: list[Measurement], seconds: float, bits: int) -> None:
    console = Console(highlight=False, width=100)  # keep table rows whole when piped
    console.print(f"CPU: {cpu_model()}  ({usable_cores()} usable cores; figures are per core)")
    console.print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"cryptography {cryptography.__version__}, {openssl_backend.openssl_version_text()}"
    )
    console.print(f"RSA-{bits} key, {seconds:g} s per measurement, single process\n")

    table = Table(title="Flows crypto throughput, one core")
    table.add_column("measurement")
    table.add_column("ops/s", justify="right")
    table.add_column("µs/op", justify="right")
    table.add_column("ops measured", justify="right")
    for m in results:
        table.add_row(m.name, f"{m.per_second:,.0f}", f"{m.microseconds:,.1f}", f"{m.operations:,}")
    console.print(table)

    client, endpoint, rsa_private, rsa_public = results[:4]
    endpoint_ratio = endpoint.per_second / rsa_private.per_second
    client_ratio = client.per_second / rsa_public.per_second
    console.print(f"endpoint decrypt / raw RSA private ceiling: {endpoint_ratio:.1%}")
    console.print(f"client encrypt / raw RSA public ops:        {client_ratio:.1%}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=(
            "Measure, on one core, how many WhatsApp Flows requests the harness can encrypt "
            "(client side) and an endpoint can decrypt and answer, next to the raw RSA "
            "operations that bound both. Prints the machine, a table and the ratios."
        ),
        epilog="Each measurement runs for --seconds after a short warm-up; expect a total "
        "of about 4 x --seconds (5 x with --with-pem-reload) plus key generation. "
        "Run it on an idle machine: other load lowers every figure.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=3.0,
        help="duration of each measurement, in seconds",
    )
    parser.add_argument(
        "--bits",
        type=int,
        choices=crypto.KEY_SIZES,
        default=2048,
        help="RSA key size (Meta's key generator uses 2048)",
    )
    parser.add_argument(
        "--with-pem-reload",
        action="store_true",
        help="also measure an endpoint that passes the PEM text to decrypt_request on every "
        "request (the key is parsed and validated each time) instead of a loaded KeyRing",
    )
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        parser.error("--seconds must be positive")
    report(run(args.seconds, args.bits, args.with_pem_reload), args.seconds, args.bits)


if __name__ == "__main__":
    main()
