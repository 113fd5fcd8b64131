"""Latency against offered load for the reference endpoint, and what bounds it.

    python loadtests/bench.py --out bench.png [--rates 25,50,100,200,400] [--step-seconds 4]

Not a test: it prints figures. It serves the reference endpoint with uvicorn in one
subprocess on loopback, offers rising request rates open-loop (requests leave on a
fixed schedule whether or not earlier ones came back, as WhatsApp's clients do) with
httpx, and prints offered and achieved rps, p50/p95/p99 and errors per step. Then the
same with the CRM answering after 10 s (the worker runs in the app: the endpoint
only queues leads, so its latency must not move). It also measures the client's own
cost per request, the RSA-2048 decrypt ceiling of one core, and what one locust
process spends per encrypted request it sends (its CPU time over its requests, start-up
left out), for health checks and for lead journeys. The plot goes to ``--out``.
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


@dataclass(frozen=True)
class GeneratorCost:
    """What one locust process costs per request it sends: the generator's own CPU."""

    user: str
    requests_per_second: float
    cpu_ms_per_request: float

    @property
    def per_core_second(self) -> float:
        return 1000.0 / self.cpu_ms_per_request


def _locust_run(target: ServedTarget, user: str, seconds: int, prefix: Path) -> tuple[float, int]:
    """``(CPU seconds, requests)`` of one locust process running ``user`` for ``seconds``."""
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), user, "--host", target.url,
        "--headless", "-u", "32", "-r", "32", "-t", f"{seconds}s", "--csv", str(prefix),
        "--only-summary", "--think-scale", "0",
    ]  # fmt: skip
    cores = sorted(os.sched_getaffinity(0))
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=target.environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # on the last core, so it competes less with the endpoint
        preexec_fn=(lambda: os.sched_setaffinity(0, {cores[-1]})) if len(cores) > 1 else None,
    )
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime, figures_from_csv(prefix).requests


_COST_TARGETS = {
    # the cheapest endpoints that still decrypt, so the generator gets as much work as the
    # other core can answer
    "HealthCheckUser": ["--ping-answerer"],
    "LeadCaptureUser": ["--stub", str(DEFAULT_FLOW_JSON)],
}


def _generator_cost(workdir: Path, user: str, seconds: int) -> GeneratorCost | None:
    """A locust process's CPU per request, start-up excluded, against the cheapest target
    that answers ``user`` for real (on the first core; locust runs on the last).

    Two runs, ``seconds`` and three times that: the difference of their CPU over the
    difference of their requests leaves out what both spend starting and stopping.
    """
    first = min(os.sched_getaffinity(0))
    with serve_target(
        workdir / f"cost-{user}", extra_args=_COST_TARGETS[user], cpu=first
    ) as target:
        try:
            short = _locust_run(target, user, seconds, workdir / f"{user}-short")
            long = _locust_run(target, user, 3 * seconds, workdir / f"{user}-long")
        except ValueError:  # no CSV: the run failed
            return None
    requests = long[1] - short[1]
    if requests <= 0:
        return None
    return GeneratorCost(user, requests / (2 * seconds), (long[0] - short[0]) / requests * 1000)


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
    parser.add_argument(
        "--locust-seconds", type=int, default=5, help="locust cost runs: N and 3N s (0: skip)"
    )
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
    client_us = _client_cost(300)
    ceiling = _rsa_ceiling(300)
    print(f"client cost per request (encrypt + sign + decrypt): {client_us:.0f} µs")
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
        costs = [
            _generator_cost(workdir, user, args.locust_seconds)
            for user in ("HealthCheckUser", "LeadCaptureUser")
            if args.locust_seconds
        ]
    clean = [s for s in runs["CRM idle"] if s.errors == 0 and s.p99 < 1.0]
    best = max((s.achieved for s in clean), default=0.0)
    print(f"\nhighest clean step (no errors, p99 < 1 s): {best:.0f} rps = "
          f"{best / ceiling:.1%} of the RSA ceiling of one core")  # fmt: skip
    for cost in costs:
        if cost is None:
            print("a locust cost run failed: see its CSV in the scratch directory")
            continue
        print(
            f"one locust process, {cost.user} (no think time): {cost.cpu_ms_per_request:.3f} ms "
            f"CPU per request = {cost.per_core_second:,.0f} encrypted requests per core-second "
            f"({cost.requests_per_second:,.0f} requests/s here, the endpoint on the other core)"
        )
    _plot(args.out, runs)
    print(f"plot: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
