"""Server CPU per request: the reference endpoint beside a bare endpoint, in one run.

Run: .venv/bin/python benchmarks/endpoint_cpu.py [--seconds 10] [--connections 16]

Method. Every request body is built before the clock starts (encrypted, signed, a
distinct person and flow token for each lead), so the load generator only sends bytes.
The endpoint under test is pinned to core 0 and the generator to core 1: wrk when it is
installed (one thread, keep-alive connections, bodies cycled by a Lua script), else an
asyncio driver on raw sockets whose own CPU per request is printed. The figure that
holds on a shared machine is the endpoint's CPU time (user + system, read from
/proc/PID/stat) divided by the requests it answered; requests per CPU-second is its
inverse, and the ratios divide those figures taken in this same run.

Targets:
- ``bare``: benchmarks/bare_endpoint.py, a raw ASGI app that verifies, decrypts and
  answers a ping, on uvicorn with uvloop and httptools (the yardstick);
- ``reference (redis)``: ``flowharness serve`` with its defaults, against a real
  redis-server (AOF on) started here; redis-server's own CPU is shown apart;
- ``reference (embedded)``: ``flowharness serve`` with the embedded fakeredis.

Workloads: ``ping``; ``INIT`` (a valid token, the first screen); ``lead`` (the CONFIRM
submission that stores the answer and queues the lead, a different person each time).
No worker runs, so no CRM call is made.

``--profile DIR`` also samples each endpoint with py-spy through its measured run and
prints where its CPU goes, in the groups of benchmarks/profile_groups.py (RSA, other
crypto, uvicorn/asyncio, framework, logging, metrics, Redis client, spool, endpoint
code). Sampling slows the endpoint: take the CPU figures from a run without it.
`make bench` runs this script with 5 s per measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness import crypto
from reference_server import FlowTokens

HERE = Path(__file__).resolve().parent
APP_SECRET = "benchmark-app-secret"
TOKEN_SECRET = "benchmark-token-secret"
FLOW_ID = "1234567890"
FORM = {"first_name": "Ana", "last_name": "Lima", "email": "ana@example.com", "company": "Acme",
        "phone": "", "interest": "demo", "consent": True, "confirmed": True}  # fmt: skip
TICKS = os.sysconf("SC_CLK_TCK")
SERVER_CORE, CLIENT_CORE = 0, 1

WRK_SCRIPT = r"""
local bodies, sigs, n, i = {}, {}, 0, 0
function init(args)
  for line in io.lines(args[1]) do
    local tab = string.find(line, "\t", 1, true)
    n = n + 1
    sigs[n] = string.sub(line, 1, tab - 1)
    bodies[n] = string.sub(line, tab + 1)
  end
end
function request()
  i = i + 1
  local k = (i - 1) % n + 1
  return wrk.format("POST", "/", {["Content-Type"] = "application/json",
    ["X-Hub-Signature-256"] = sigs[k]}, bodies[k])
end
function done(summary, latency, requests)
  io.write(string.format(
    'WRK {"requests": %d, "status_errors": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Measurement:
    target: str
    workload: str
    requests: int
    failures: int
    seconds: float
    server_cpu: float
    """CPU seconds of the endpoint process over the run."""
    redis_cpu: float | None
    driver_cpu: float | None
    p50_ms: float
    p99_ms: float

    @property
    def cpu_ms(self) -> float:
        return self.server_cpu / max(self.requests, 1) * 1000

    @property
    def per_cpu_second(self) -> float:
        return self.requests / self.server_cpu if self.server_cpu else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (its threads included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def pinned(core: int) -> Callable[[], None]:
    return lambda: os.sched_setaffinity(0, {core})


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on port {port} within 30 s")


@contextmanager
def process(command: list[str], env: dict[str, str], port: int, what: str) -> Iterator[int]:
    """Start ``command`` pinned to the server core; yields its PID; stops it by PID."""
    proc = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=pinned(SERVER_CORE),  # affinity set before exec
    )
    try:
        wait_for_port(port, proc, what)
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- request bodies ---------------------------------------------------------------------


def body_line(payload: dict, public_pem: bytes) -> str:
    envelope, _ = crypto.encrypt_request(payload, public_pem)
    body = json.dumps(envelope, separators=(",", ":")).encode()
    return f"{crypto.sign_body(body, APP_SECRET)}\t{body.decode()}"


def build_bodies(workload: str, count: int, public_pem: bytes, phones: str) -> list[str]:
    """``count`` bodies; each INIT or lead is a different person (``phones`` + a number)."""
    tokens = FlowTokens([TOKEN_SECRET])
    lines = []
    for n in range(count):
        if workload == "ping":
            payload: dict = {"version": "3.0", "action": "ping"}
        else:
            token = tokens.issue(f"{phones}{n:07d}", FLOW_ID)
            payload = {"version": "3.0", "flow_token": token}
            if workload == "INIT":
                payload["action"] = "INIT"
            else:
                payload.update(action="data_exchange", screen="CONFIRM", data=FORM)
        lines.append(body_line(payload, public_pem))
    return lines


# -- load generators --------------------------------------------------------------------


def drive_wrk(url: str, bodies: Path, seconds: float, connections: int) -> dict:
    script = bodies.with_suffix(".lua")
    script.write_text(WRK_SCRIPT)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    command += ["-s", str(script), url, "--", str(bodies)]
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, preexec_fn=pinned(CLIENT_CORE)
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("WRK "))
    result = json.loads(line[4:])
    result["driver_cpu"] = None
    result["bodies"] = bodies.read_text().count("\n") + 1
    return result


async def _socket_user(
    port: int, requests: list[bytes], start: int, step: int, deadline: float, out: dict
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index = start
    try:
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            writer.write(requests[index % len(requests)])
            index += step
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            out["latencies"].append(time.perf_counter() - sent)
            if status != 200:
                out["status_errors"] += 1
    finally:
        writer.close()


def drive_sockets(port: int, bodies: Path, seconds: float, connections: int) -> dict:
    """A generator for machines without wrk: pre-built HTTP/1.1 requests on raw sockets."""
    os.sched_setaffinity(0, {CLIENT_CORE})
    requests = []
    for line in bodies.read_text().splitlines():
        signature, body = line.split("\t", 1)
        head = (
            f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"X-Hub-Signature-256: {signature}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        requests.append((head + body).encode())
    out: dict = {"latencies": [], "status_errors": 0}

    async def run() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(
            *(
                _socket_user(port, requests, n, connections, deadline, out)
                for n in range(connections)
            )
        )

    cpu = time.process_time()
    asyncio.run(run())
    driver_cpu = time.process_time() - cpu
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    latencies = sorted(out["latencies"])
    count = len(latencies)
    return {
        "requests": count,
        "status_errors": out["status_errors"],
        "socket_errors": 0,
        "bodies": len(requests),
        "p50_us": latencies[count // 2] * 1e6 if count else 0,
        "p99_us": latencies[int(count * 0.99)] * 1e6 if count else 0,
        "driver_cpu": driver_cpu,
    }


# -- the run ----------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    command: Callable[[int], list[str]]
    """The server's command line for a port."""
    env: dict[str, str]
    workloads: tuple[str, ...]
    redis_pid: int | None = None


def measure(
    target: Target, workload: str, bodies: Path, port: int, args: argparse.Namespace
) -> Measurement:
    url = f"http://127.0.0.1:{port}/"
    with process(target.command(port), target.env, port, target.name) as pid:
        warm = bodies.with_name("warm.txt")
        # a short warm-up on bodies of their own, so the measured ones are all fresh
        drive(url, port, warm, min(2.0, args.seconds), args.connections, args.wrk)
        spy = profiler(pid, target, workload, args)
        before, redis_before = cpu_seconds(pid), redis_cpu(target)
        started = time.perf_counter()
        result = drive(url, port, bodies, args.seconds, args.connections, args.wrk)
        wall = time.perf_counter() - started
        after, redis_after = cpu_seconds(pid), redis_cpu(target)
        if spy is not None:
            spy.wait()
    if result["requests"] > result["bodies"] and workload == "lead":
        print(f"  note: {target.name} {workload}: bodies reused; raise --bodies", file=sys.stderr)
    return Measurement(
        target=target.name,
        workload=workload,
        requests=result["requests"],
        failures=result["status_errors"] + result["socket_errors"],
        seconds=wall,
        server_cpu=after - before,
        redis_cpu=None if redis_before is None else redis_after - redis_before,  # type: ignore[operator]
        driver_cpu=result["driver_cpu"],
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
    )


def py_spy() -> str | None:
    """py-spy beside this Python (a venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.is_file() else shutil.which("py-spy")


def profile_path(folder: Path, target: str, workload: str) -> Path:
    slug = target.replace("reference (", "").replace(")", "")
    return folder / f"{slug}-{workload}.txt"


def profiler(
    pid: int, target: Target, workload: str, args: argparse.Namespace
) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the endpoint through the measured run (on the generator's core)."""
    if args.profile is None:
        return None
    args.profile.mkdir(parents=True, exist_ok=True)
    output = profile_path(args.profile, target.name, workload)
    command = [py_spy() or "py-spy", "record", "-p", str(pid), "-f", "raw", "--nolineno"]
    command += ["-r", "200", "-d", f"{max(int(args.seconds) - 1, 1)}", "-o", str(output)]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=pinned(CLIENT_CORE),
    )  # fmt: skip


def redis_cpu(target: Target) -> float | None:
    return None if target.redis_pid is None else cpu_seconds(target.redis_pid)


def drive(url: str, port: int, bodies: Path, seconds: float, connections: int, wrk: bool) -> dict:
    if wrk:
        return drive_wrk(url, bodies, seconds, connections)
    return drive_sockets(port, bodies, seconds, connections)


def serve_env(private_pem: bytes, redis_url: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FLOWHARNESS_") and key != "REDIS_URL"
    }
    env.update(
        FLOWHARNESS_PRIVATE_KEYS=json.dumps([private_pem.decode()]),
        FLOWHARNESS_APP_SECRETS=json.dumps([APP_SECRET]),
        FLOWHARNESS_FLOW_TOKEN_SECRETS=json.dumps([TOKEN_SECRET]),
        FLOWHARNESS_DEFAULT_FLOW_ID=FLOW_ID,
    )
    if redis_url:
        env["FLOWHARNESS_REDIS_URL"] = redis_url
    return env


@contextmanager
def redis_server(workdir: Path) -> Iterator[tuple[str, int] | None]:
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir)]
    command += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, preexec_fn=pinned(CLIENT_CORE))
    try:
        wait_for_port(port, proc, "redis-server")
        yield f"redis://127.0.0.1:{port}/0", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def print_table(rows: list[Measurement]) -> None:
    print(
        f"\n{'target':<22}{'workload':<9}{'requests':>9}{'fail':>6}{'CPU ms/req':>12}"
        f"{'req/CPU-s':>11}{'redis ms':>10}{'p50 ms':>8}{'p99 ms':>8}"
    )
    for row in rows:
        redis = (
            f"{row.redis_cpu / max(row.requests, 1) * 1000:10.3f}" if row.redis_cpu else " " * 10
        )
        print(
            f"{row.target:<22}{row.workload:<9}{row.requests:>9}{row.failures:>6}"
            f"{row.cpu_ms:>12.3f}{row.per_cpu_second:>11.0f}{redis}"
            f"{row.p50_ms:>8.1f}{row.p99_ms:>8.1f}"
        )
        if row.driver_cpu is not None:
            print(f"{'':<31}driver CPU {row.driver_cpu / max(row.requests, 1) * 1000:.3f} ms/req")


def print_ratios(rows: list[Measurement]) -> None:
    by = {(row.target, row.workload): row for row in rows}
    bare = by.get(("bare", "ping"))
    if bare is None:
        return
    print("\nratios (requests per CPU-second, same run):")
    for target in ("reference (redis)", "reference (embedded)"):
        for workload in ("ping", "INIT", "lead"):
            row = by.get((target, workload))
            if row:
                ratio = row.per_cpu_second / bare.per_cpu_second
                print(f"  {target} {workload:<5} / bare ping = {ratio:.2f}")
    redis_lead = by.get(("reference (redis)", "lead"))
    embedded_lead = by.get(("reference (embedded)", "lead"))
    if redis_lead and embedded_lead:
        print(
            f"  embedded lead CPU / redis lead CPU = {embedded_lead.cpu_ms / redis_lead.cpu_ms:.2f}"
        )


def print_profiles(rows: list[Measurement], folder: Path) -> None:
    from profile_groups import table

    profiles = {
        f"{row.target.replace('reference ', '')[:9]} {row.workload}": path
        for row in rows
        if (path := profile_path(folder, row.target, row.workload)).is_file()
    }
    print(f"\nwhere the endpoint's CPU goes (py-spy samples, {folder}):")
    print(table(profiles))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    parser.add_argument(
        "--bodies", type=int, default=40_000, help="distinct lead bodies (default 40000)"
    )
    parser.add_argument("--no-wrk", dest="wrk", action="store_false", help="asyncio driver")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="also record each measured run with py-spy (raw profiles in DIR) and print "
        "where the endpoint's CPU goes; sampling slows the endpoint, so read CPU figures "
        "from runs without it",
    )
    parser.add_argument(
        "--only", choices=["bare", "redis", "embedded"], action="append", help="targets to run"
    )
    args = parser.parse_args()
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("needs two cores: one for the endpoint, one for the load generator")
    if args.profile is not None and py_spy() is None:
        raise SystemExit("--profile needs py-spy (pip install py-spy)")
    if args.wrk and shutil.which("wrk") is None:
        print("wrk not found: using the asyncio driver (its CPU is reported)", file=sys.stderr)
        args.wrk = False
    private_key = crypto.generate_private_key(2048)
    private_pem = crypto.private_key_pem(private_key)
    public_pem = crypto.public_key_pem(private_key)
    flowharness = str(Path(sys.executable).parent / "flowharness")
    only = set(args.only or ["bare", "redis", "embedded"])
    rows: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="endpoint-cpu-") as tmp:
        workdir = Path(tmp)
        key_file = workdir / "private.pem"
        key_file.write_bytes(private_pem)
        print(f"building request bodies ({args.bodies} leads) ...", file=sys.stderr)
        files = {}
        for workload, count in (("ping", 2000), ("INIT", 2000), ("lead", args.bodies)):
            folder = workdir / workload
            folder.mkdir()
            files[workload] = folder / "bodies.txt"
            files[workload].write_text(
                "\n".join(build_bodies(workload, count, public_pem, "+3361"))
            )
            warm = build_bodies(workload, 3000, public_pem, "+3362")
            (folder / "warm.txt").write_text("\n".join(warm))
        bare = [sys.executable, str(HERE / "bare_endpoint.py"), "--private-key", str(key_file)]
        bare += ["--app-secret", APP_SECRET]

        def serve(port: int) -> list[str]:
            return [flowharness, "serve", "--port", str(port)]

        with redis_server(workdir) as redis:
            targets = []
            if "bare" in only:
                targets.append(
                    Target("bare", lambda port: [*bare, "--port", str(port)], dict(os.environ),
                           ("ping",))
                )  # fmt: skip
            if "redis" in only and redis is None:
                print("redis-server not found: skipping the real-Redis target", file=sys.stderr)
            elif "redis" in only and redis is not None:
                url, redis_pid = redis
                env = serve_env(private_pem, url)
                targets.append(
                    Target("reference (redis)", serve, env, ("ping", "INIT", "lead"), redis_pid)
                )
            if "embedded" in only:
                env = serve_env(private_pem, None)
                targets.append(Target("reference (embedded)", serve, env, ("ping", "INIT", "lead")))
            for target in targets:
                for workload in target.workloads:
                    print(f"  {target.name}: {workload} ...", file=sys.stderr)
                    rows.append(measure(target, workload, files[workload], free_port(), args))
    print(f"\ncores: {os.cpu_count()}; endpoint on core {SERVER_CORE}, generator on core "
          f"{CLIENT_CORE} ({'wrk' if args.wrk else 'asyncio driver'}), {args.connections} "
          f"connections, {args.seconds:g} s per measurement")  # fmt: skip
    print_table(rows)
    print_ratios(rows)
    if args.profile is not None:
        print_profiles(rows, args.profile)


if __name__ == "__main__":
    main()
