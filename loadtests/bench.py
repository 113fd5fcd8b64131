"""Latency against offered load for the reference endpoint, and what bounds it.

    python loadtests/bench.py --out bench.png [--rates 25,50,100,200,400] [--step-seconds 4]

Not a test: it prints figures. It serves the reference endpoint with uvicorn in one
subprocess on loopback, offers rising request rates open-loop (requests leave on a
fixed schedule whether or not earlier ones came back, as WhatsApp's clients do) with
httpx, and prints offered and achieved rps, p50/p95/p99 and errors per step. Then the
same with the CRM answering after 10 s (the worker runs in the app: the endpoint
only queues leads, so its latency must not move). It also measures the client's own
cost per request, the RSA-2048 decrypt ceiling of one core, and how many encrypted
requests per second one locust process generates. The plot goes to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python loadtests/bench.py`: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from harness.crypto import CryptoError, decrypt_request, encrypt_response, generate_private_key
from loadtests.config import DEFAULT_FLOW_JSON, TokenSource
from loadtests.exchange import AnswerChecker, FlowCodec, SealedRequest, load_contract_flow
from loadtests.people import make_person
from loadtests.smoke import LOCUSTFILE, ROOT, ServedTarget, serve_target
from loadtests.verdict import figures_from_csv

_EXPECT = {"ping": None, "INIT": "LEAD", "LEAD": "CONFIRM", "CONFIRM": "SUCCESS"}


@dataclass(frozen=True)
class Step:
    offered: float
    achieved: float
    p50: float
    p95: float
    p99: float
    errors: int
    sent: int


@dataclass(frozen=True)
class _Prepared:
    kind: str
    screen: str | None
    token: str | None
    sealed: SealedRequest


def _prepare(
    codec: FlowCodec, tokens: TokenSource, count: int, rng: random.Random
) -> list[_Prepared]:
    """Sealed ahead of time so the schedule is not slowed by RSA: ping, INIT, LEAD, CONFIRM."""
    out: list[_Prepared] = []
    while len(out) < count:
        person = make_person(rng)
        token = tokens.token_for(person.whatsapp)
        form = person.lead_form()
        confirm = {"confirmed": True, **form, "first_name": person.first_name.strip()}
        requests: list[tuple[str, str | None, dict[str, Any]]] = [
            ("ping", None, {"version": "3.0", "action": "ping"}),
            ("INIT", None, {"version": "3.0", "action": "INIT", "flow_token": token}),
            ("LEAD", "LEAD", {"version": "3.0", "action": "data_exchange", "screen": "LEAD",
                              "flow_token": token, "data": form}),
            ("CONFIRM", "CONFIRM", {"version": "3.0", "action": "data_exchange",
                                    "screen": "CONFIRM", "flow_token": token, "data": confirm}),
        ]  # fmt: skip
        out += [_Prepared(k, s, token, codec.seal(p)) for k, s, p in requests]
    return out[:count]


async def _offer(
    url: str, prepared: list[_Prepared], rate: float, codec: FlowCodec, checker: AnswerChecker
) -> Step:
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=2000)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:

        async def one(item: _Prepared) -> tuple[float, httpx.Response | None]:
            started = time.perf_counter()
            try:
                response = await client.post(
                    url, content=item.sealed.body, headers=item.sealed.headers
                )
            except httpx.HTTPError:
                return time.perf_counter() - started, None
            return time.perf_counter() - started, response

        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []
        for index, item in enumerate(prepared):
            delay = start + index / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(item)))
        results = await asyncio.gather(*tasks)
        elapsed = loop.time() - start
    latencies, errors = [], 0
    for item, (latency, response) in zip(prepared, results, strict=True):
        latencies.append(latency)
        if response is None or response.status_code != 200:
            errors += 1
            continue
        try:
            answer = codec.open(response.content, item.sealed.keys)
        except CryptoError:
            errors += 1
            continue
        action = "data_exchange" if item.screen else item.kind
        if checker.problems(action, item.screen, answer, flow_token=item.token,
                            expect_screen=_EXPECT[item.kind]):  # fmt: skip
            errors += 1
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return Step(rate, len(prepared) / elapsed, cuts[49], cuts[94], cuts[98], errors, len(prepared))


def _run_steps(target: ServedTarget, rates: Sequence[float], seconds: float) -> list[Step]:
    env = target.environ
    codec = FlowCodec(
        Path(env["FLOWHARNESS_PUBLIC_KEY"]).read_bytes(), env["FLOWHARNESS_APP_SECRET"]
    )
    tokens = TokenSource(secret=env["FLOWHARNESS_TOKEN_SECRET"])
    checker = AnswerChecker(load_contract_flow(DEFAULT_FLOW_JSON))
    rng = random.Random(2024)
    steps = []
    for rate in rates:
        prepared = _prepare(codec, tokens, max(int(rate * seconds), 8), rng)
        steps.append(asyncio.run(_offer(target.url + "/", prepared, rate, codec, checker)))
        print(_row(steps[-1]), flush=True)
    return steps


def _row(step: Step) -> str:
    return (
        f"{step.offered:>8.0f} {step.achieved:>9.1f} {step.p50 * 1000:>8.1f} "
        f"{step.p95 * 1000:>8.1f} {step.p99 * 1000:>8.1f} {step.errors:>6d}/{step.sent}"
    )


_HEADER = f"{'offered':>8} {'achieved':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>8}"


def _client_cost(iterations: int) -> float:
    """Microseconds per request for the client: seal, sign, open (the endpoint's part excluded)."""
    key = generate_private_key(2048)
    codec = FlowCodec(key.public_key(), "secret")
    payload = {"version": "3.0", "action": "ping"}
    answers = []
    for _ in range(iterations):  # the endpoint's replies, made outside the timed loop
        sealed = codec.seal(payload)
        answers.append(
            (
                sealed,
                encrypt_response(
                    {"data": {"status": "active"}}, decrypt_request(sealed.body, key).keys
                ),
            )
        )
    started = time.perf_counter()
    for sealed, answer in answers:
        codec.seal(payload)
        codec.open(answer, sealed.keys)
    return (time.perf_counter() - started) / iterations * 1e6


def _rsa_ceiling(iterations: int) -> float:
    """RSA-2048 OAEP decryptions per second on one core: the endpoint's bound per request."""
    key = generate_private_key(2048)
    codec = FlowCodec(key.public_key(), "secret")
    bodies = [codec.seal({"a": 1}).body for _ in range(iterations)]
    started = time.perf_counter()
    for body in bodies:
        decrypt_request(body, key)
    return iterations / (time.perf_counter() - started)


def _locust_rate(workdir: Path, seconds: int) -> float | None:
    """Requests per second one locust process (one core) generates against a trivial responder."""
    with serve_target(workdir / "trivial", extra_args=["--trivial"]) as target:
        prefix = workdir / "locust-rate"
        command = [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "HealthCheckUser",
            "--host", target.url, "--headless", "-u", "50", "-r", "50", "-t", f"{seconds}s",
            "--csv", str(prefix), "--only-summary", "--think-scale", "0", "--flow-json", "none",
        ]  # fmt: skip
        subprocess.run(command, cwd=ROOT, env=target.environ, timeout=seconds + 60,
                       capture_output=True, check=False)  # fmt: skip
    try:
        figures = figures_from_csv(prefix)
    except ValueError:
        return None
    return figures.requests / seconds


def _plot(out: Path, runs: dict[str, list[Step]], budget_ms: float = 1000.0) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for label, steps in runs.items():
        offered = [s.offered for s in steps]
        for name, style in (("p50", ":"), ("p95", "--"), ("p99", "-")):
            ax.plot(offered, [getattr(s, name) * 1000 for s in steps], style, marker="o",
                    label=f"{label} {name}")  # fmt: skip
    ax.axhline(budget_ms, color="red", linewidth=0.8, label="p90 alert (1 s)")
    ax.set(xscale="log", yscale="log", xlabel="offered load (requests/s)", ylabel="latency (ms)",
           title="reference endpoint, one uvicorn process, loopback")  # fmt: skip
    ticks = sorted({s.offered for steps in runs.values() for s in steps})
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.legend(fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python loadtests/bench.py", description=__doc__.split("\n\n")[1]
    )
    parser.add_argument("--out", type=Path, default=Path("bench-latency.png"), help="plot PNG path")
    parser.add_argument("--rates", default="25,50,100,200,400", help="offered rps, comma-separated")
    parser.add_argument("--step-seconds", type=float, default=4.0)
    parser.add_argument("--crm-delay", type=float, default=10.0, help="slow-CRM run (0: skip)")
    parser.add_argument("--locust-seconds", type=int, default=6, help="locust rate run (0: skip)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        rates = [float(r) for r in args.rates.split(",") if r.strip()]
    except ValueError:
        print("--rates takes numbers, e.g. 25,50,100", file=sys.stderr)
        return 2
    if not rates or min(rates) <= 0 or args.step_seconds <= 0:
        print("--rates and --step-seconds must be above 0", file=sys.stderr)
        return 2
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.system()}")  # fmt: skip
    cost = _client_cost(300)
    ceiling = _rsa_ceiling(300)
    print(f"client cost per request (encrypt + sign + decrypt): {cost:.0f} µs")
    print(f"RSA-2048 OAEP decrypt ceiling: {ceiling:.0f} /s on one core")
    runs: dict[str, list[Step]] = {}
    with tempfile.TemporaryDirectory(prefix="flows-bench-") as scratch:
        workdir = Path(scratch)
        profiles: list[tuple[str, list[str], Path]] = [("CRM idle", [], workdir / "a")]
        if args.crm_delay > 0:
            profiles.append(
                (f"CRM {args.crm_delay:g} s", ["--crm-delay", str(args.crm_delay)], workdir / "b")
            )
        for label, extra, where in profiles:
            print(f"\n{label}:\n{_HEADER}", flush=True)
            with serve_target(where, extra_args=extra) as target:
                runs[label] = _run_steps(target, rates, args.step_seconds)
        locust_rate = _locust_rate(workdir, args.locust_seconds) if args.locust_seconds else None
    clean = [s for s in runs["CRM idle"] if s.errors == 0 and s.p99 < 1.0]
    best = max((s.achieved for s in clean), default=0.0)
    print(f"\nhighest clean step (no errors, p99 < 1 s): {best:.0f} rps = "
          f"{best / ceiling:.1%} of the RSA ceiling of one core")  # fmt: skip
    if locust_rate is not None:
        print(f"one locust process (FlowUser pings, no think time): {locust_rate:.0f} requests/s")
    _plot(args.out, runs)
    print(f"plot: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
