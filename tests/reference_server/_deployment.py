"""The reference endpoint deployed as a user deploys it, for the slow suites.

Every part is its own process on a free loopback port: a redis-server with AOF,
``flowharness mocks up`` (HubSpot, Slack, email, Cloud API), ``flowharness serve`` and
one or more ``python -m reference_server worker``; with ``queue="sqs"`` also moto's SQS
server, the endpoint and workers set to ``FLOWHARNESS_QUEUE=sqs``. They read the shipped
defaults (``.env.example``) except where the deployment must point them: keys and
secrets, the Redis URL (and SQS endpoint, with AWS credentials in the environment), the
mocks' URLs and credentials, and whatever a test passes as ``settings``.
The children run in a scratch directory (the spool file lands there, as it would in a
service's working directory) and are stopped by PID when the block ends, failed or not.

People are driven through ``AsyncFlowClient`` over HTTP; what each got back is kept
(:class:`Submission`), and the mocks are read over their admin APIs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from harness import crypto
from harness.client import AsyncFlowClient
from mocks._core import AdminClient
from mocks.cloud_api import CloudApiAdmin
from mocks.crm.hubspot import HubSpotAdmin, HubSpotContact
from mocks.email import EmailAdmin
from mocks.slack import SlackAdmin
from reference_server import FlowTokens, Settings, StreamNames, held
from reference_server._backends import close_queue, open_queue
from reference_server._redis import connect
from reference_server.exceptions import QueueUnavailableError

from ._processes import AWS_ENV, Child, MotoProcess, RedisProcess, free_port, wait_until

TOKEN_SECRET = "deployment-token-secret"
FLOW_ID = "1188776655"
SALES_TEAM, OPS_TEAM = "TSALES", "TOPS"
SALES_INBOX, OPS_INBOX = "sales@example.com", "ops@example.com"
STAFF_WHATSAPP = "+14155550100"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Person:
    n: int

    @property
    def phone(self) -> str:
        return f"+3361{self.n:07d}"

    @property
    def first_name(self) -> str:
        return "Ana"

    @property
    def last_name(self) -> str:
        return f"Lima{self.n:04d}"  # who a record belongs to, at a glance

    @property
    def email(self) -> str:
        return f"ana.lima{self.n}@example.com"

    def form(self, **changes: Any) -> dict[str, Any]:
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "company": "Acme",
            "phone": "",
            "interest": "demo",
            "consent": True,
            "confirmed": True,
        } | changes


@dataclass
class Submission:
    """What one person's confirmation got: every attempt, and the answer that counted."""

    person: Person
    statuses: list[int | None] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)
    reference: str | None = None

    @property
    def answered(self) -> bool:
        return self.reference is not None


class Deployment:
    """Start parts with :meth:`start_redis`, :meth:`start_mocks`, :meth:`start_endpoint`,
    :meth:`start_worker`; :func:`deployed` stops them all."""

    def __init__(
        self,
        workdir: Path,
        private_key: Any,
        app_secret: str,
        settings: dict[str, str],
        queue: str = "redis",
    ):
        self.workdir = workdir
        self.queue = queue
        self.moto: MotoProcess | None = None
        self.app_secret = app_secret
        self.public_pem = crypto.public_key_pem(private_key)
        self._private_pem = crypto.private_key_pem(private_key).decode()
        self.settings = settings
        self.children: list[Child] = []
        self.redis: RedisProcess | None = None
        self.mocks: dict[str, Any] = {}
        self.endpoint: Child | None = None
        self.endpoint_port = free_port()
        self.workers: list[Child] = []
        self.tokens = FlowTokens([TOKEN_SECRET])

    # -- parts ---------------------------------------------------------------------

    def start_redis(self) -> RedisProcess:
        path = self.workdir / "redis"
        path.mkdir(parents=True, exist_ok=True)
        self.redis = RedisProcess(path, free_port())
        self.redis.start()
        return self.redis

    def start_sqs(self) -> MotoProcess:
        path = self.workdir / "moto"
        path.mkdir(parents=True, exist_ok=True)
        self.moto = MotoProcess(path, free_port())
        self.moto.start()
        return self.moto

    def start_mocks(self) -> None:
        names = ["hubspot", "slack", "email", "cloud_api"]
        child = self._child(
            "mocks", [str(BIN / "flowharness"), "mocks", "up", *names, "--json", "--base-port", "0"]
        )

        def announced() -> bool:
            lines = [ln for ln in child.output(100_000).splitlines() if ln.startswith('{"mocks"')]
            if lines:
                self.mocks = json.loads(lines[0])["mocks"]
            assert child.alive(), f"flowharness mocks up died:\n{child.output()}"
            return bool(lines)

        wait_until(announced, 60, "flowharness mocks up to announce its URLs")

    def env(self) -> dict[str, str]:
        """The deployment's environment: what must point somewhere, then the test's own."""
        assert self.redis is not None, "start Redis first"
        assert self.mocks, "start the mocks first"
        m = self.mocks
        slack, email = m["slack"]["url"], m["email"]
        hubspot = m["hubspot"]
        values = {
            "FLOWHARNESS_PRIVATE_KEYS": json.dumps([self._private_pem]),
            "FLOWHARNESS_APP_SECRETS": json.dumps([self.app_secret]),
            "FLOWHARNESS_FLOW_TOKEN_SECRETS": json.dumps([TOKEN_SECRET]),
            "FLOWHARNESS_FLOW_IDS": json.dumps([FLOW_ID]),
            "FLOWHARNESS_REDIS_URL": self.redis.url,
            "FLOWHARNESS_HUBSPOT_BASE_URL": hubspot["url"],
            "FLOWHARNESS_HUBSPOT_TOKEN": hubspot["credentials"]["access_token"],
            "FLOWHARNESS_HUBSPOT_PORTAL_ID": hubspot["credentials"]["portal_id"],
            "FLOWHARNESS_SLACK_WEBHOOK_URL": f"{slack}/services/{OPS_TEAM}/B0PS/ops-secret",
            "FLOWHARNESS_NOTIFY_SLACK_WEBHOOK_URL": f"{slack}/services/{SALES_TEAM}/B5A1/s",
            "FLOWHARNESS_SMTP_HOST": email["smtp_host"],
            "FLOWHARNESS_SMTP_PORT": str(email["smtp_port"]),
            "FLOWHARNESS_ALERT_EMAIL_TO": json.dumps([OPS_INBOX]),
            "FLOWHARNESS_NOTIFY_EMAIL_TO": json.dumps([SALES_INBOX]),
            "FLOWHARNESS_CLOUD_API_URL": m["cloud_api"]["url"],
            "FLOWHARNESS_CLOUD_API_TOKEN": m["cloud_api"]["credentials"]["access_token"],
            "FLOWHARNESS_PHONE_NUMBER_ID": "106540352242922",
            "FLOWHARNESS_NOTIFY_WHATSAPP_TO": STAFF_WHATSAPP,
        }
        if self.moto is not None:  # the queue is SQS: where it is, and AWS's usual variables
            values |= {"FLOWHARNESS_QUEUE": "sqs", "FLOWHARNESS_SQS_ENDPOINT_URL": self.moto.url}
            values |= AWS_ENV
        return values | self.settings

    def start_endpoint(self, *options: str) -> Child:
        command = [str(BIN / "flowharness"), "serve", "--port", str(self.endpoint_port), *options]
        self.endpoint = self._child("endpoint", command, self.env())
        url = f"{self.url}healthz"

        def healthy() -> bool:
            assert self.endpoint is not None
            assert self.endpoint.alive(), f"flowharness serve died:\n{self.endpoint.output()}"
            try:
                return httpx.get(url, timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, 60, "flowharness serve to answer /healthz")
        return self.endpoint

    def start_worker(self, name: str | None = None) -> Child:
        name = name or f"worker-{len(self.workers) + 1}"
        command = [sys.executable, "-m", "reference_server", "worker", "--consumer", name]
        worker = self._child(name, command, self.env())
        self.workers.append(worker)
        wait_until(
            lambda: '"worker started"' in worker.output(1_000_000) or not worker.alive(),
            60,
            f"{name} to start",
        )
        assert worker.alive(), f"{name} died:\n{worker.output()}"
        return worker

    def _child(self, name: str, command: list[str], env: dict[str, str] | None = None) -> Child:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWHARNESS_", "AWS_"))}
        base.pop("REDIS_URL", None)
        log = self.workdir / f"{name}-{len(self.children)}.log"
        child = Child(name, command, base | (env or {}), log, cwd=self.workdir).start()
        self.children.append(child)
        return child

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.moto is not None:
            self.moto.stop()

    # -- using it --------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.endpoint_port}/"

    def admin(self, mock: str) -> AdminClient:
        url = self.mocks[mock]["admin_url"].removesuffix("/__admin")
        return AdminClient(url)

    def contacts(self) -> list[HubSpotContact]:
        with self.admin("hubspot") as admin:
            return HubSpotAdmin(admin).contacts()

    def slack(self, team: str) -> list[Any]:
        with self.admin("slack") as admin:
            return SlackAdmin(admin).messages(team=team)

    def emails(self, to: str) -> list[Any]:
        with self.admin("email") as admin:
            return EmailAdmin(admin).messages(to=to)

    def whatsapp(self) -> list[Any]:
        with self.admin("cloud_api") as admin:
            return CloudApiAdmin(admin).messages(to=STAFF_WHATSAPP.lstrip("+"))

    def _queue_settings(self) -> Settings:
        assert self.redis is not None
        values: dict[str, Any] = {"redis_url": self.redis.url}
        if self.moto is not None:
            values |= {"queue": "sqs", "sqs_endpoint_url": self.moto.url}
            values |= {"sqs_region": AWS_ENV["AWS_DEFAULT_REGION"], "sqs_create_queues": False}
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    def _on_queue(self, work: Any) -> Any:
        """Run ``work(queue)`` on the deployment's queue (Redis Streams or SQS)."""

        async def main() -> Any:
            settings = self._queue_settings()
            client = connect(settings)
            queue = open_queue(settings, client, wait_seconds=1)  # as `flowharness leads`
            try:
                return await work(queue)
            finally:
                await close_queue(queue)
                await client.aclose()

        env = AWS_ENV if self.moto is not None else {}
        saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        try:
            return asyncio.run(main())
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def sizes(self) -> dict[str, int]:
        """Entries in every stream or queue by label (waiting or in flight, or held)."""
        if self.moto is None:  # read as before SQS came: no event loop in the test's thread
            assert self.redis is not None
            labels = StreamNames.for_prefix("leads").by_label()
            with redis.Redis.from_url(self.redis.url, decode_responses=True) as client:
                return {label: int(client.xlen(name)) for label, name in labels.items()}
        return dict(self._on_queue(lambda queue: queue.sizes()))

    def held(self, source: str) -> list[dict[str, str]]:
        """The fields of the entries held in ``dead`` or ``parked`` (SQS: received and put back)."""
        if self.moto is None:
            assert self.redis is not None
            with redis.Redis.from_url(self.redis.url, decode_responses=True) as client:
                return [fields for _, fields in client.xrange(f"leads:{source}")]

        async def read(queue: Any) -> list[dict[str, str]]:
            return [entry.fields for entry in await held(queue, source)]  # type: ignore[arg-type]

        return list(self._on_queue(read))

    def client(self, timeout: float = 10.0) -> AsyncFlowClient:
        return AsyncFlowClient(
            self.url, public_key=self.public_pem, app_secret=self.app_secret, timeout=timeout
        )

    async def submit(
        self,
        people: Sequence[Person],
        *,
        concurrency: int = 8,
        forms: dict[int, dict[str, Any]] | None = None,
        taps: int = 1,
        results: dict[int, Submission] | None = None,
    ) -> dict[int, Submission]:
        """Each person opens the flow, fills the form and confirms (``taps`` identical
        confirmations at once); at most ``concurrency`` people at a time."""
        results = {} if results is None else results
        gate = asyncio.Semaphore(concurrency)
        async with self.client() as flow:

            async def one(person: Person) -> None:
                async with gate:
                    token = self.tokens.issue(person.phone, FLOW_ID)
                    form = (forms or {}).get(person.n) or person.form()
                    record = results.setdefault(person.n, Submission(person))
                    with contextlib.suppress(Exception):
                        await flow.init(token)
                        await flow.data_exchange("LEAD", form, token)
                    answers = await asyncio.gather(
                        *(flow.data_exchange("CONFIRM", form, token) for _ in range(taps))
                    )
                    for answer in answers:
                        record.statuses.append(answer.status)
                        record.elapsed.append(answer.elapsed)
                        payload = answer.payload if answer.status == 200 else None
                        if payload and payload.get("screen") == "SUCCESS":
                            params = payload["data"]["extension_message_response"]["params"]
                            record.reference = str(params["lead_reference"])

            await asyncio.gather(*(one(p) for p in people))
        return results


@contextlib.contextmanager
def deployed(
    workdir: Path,
    private_key: Any,
    app_secret: str,
    *,
    settings: dict[str, str] | None = None,
    workers: int = 1,
    serve_options: Sequence[str] = (),
    queue: str = "redis",
) -> Iterator[Deployment]:
    """Redis (and SQS on moto for ``queue="sqs"``), the mocks, the endpoint (``flowharness
    serve`` with ``serve_options``) and ``workers`` worker processes, stopped by PID after."""
    deployment = Deployment(workdir, private_key, app_secret, settings or {}, queue)
    try:
        deployment.start_redis()
        if queue == "sqs":
            deployment.start_sqs()
        deployment.start_mocks()
        deployment.start_endpoint(*serve_options)
        for _ in range(workers):
            deployment.start_worker()
        yield deployment
    except BaseException:
        for child in deployment.children:
            print(f"--- {child.name} (pid {child.process.pid if child.process else '-'})")
            print(child.output(3000))
        raise
    finally:
        deployment.stop()


def wait_for(condition: Any, timeout: float, what: str) -> None:
    """:func:`wait_until`, for conditions that read the mocks over HTTP."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (httpx.HTTPError, redis.RedisError, QueueUnavailableError) as exc:
            last_error = exc
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} ({last_error})")
