"""The app factory: wires settings, Redis, keys and the routes together."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI, Header, HTTPException, Response
from pydantic import BaseModel, Field
from redis.exceptions import RedisError
from starlette.routing import Route

from harness.crypto import KeyRing
from reference_server._alerts import Alerter
from reference_server._backends import close_queue, open_queue
from reference_server._cloud_api import send_flow_message
from reference_server._endpoint import FlowEndpoint, Receive, Scope, Send
from reference_server._idempotency import Idempotency
from reference_server._intake import LeadIntake
from reference_server._lead_flow import LeadFlow
from reference_server._logging import log_fields
from reference_server._metrics import Metrics
from reference_server._redis import connect
from reference_server._settings import Settings
from reference_server._spool import Spool
from reference_server._startup import (
    check_queue_at_start,
    check_redis_at_start,
    warn_about_open_flows,
)
from reference_server._tokens import FlowTokens
from reference_server._webhook import CompletionWebhook
from reference_server.exceptions import (
    CloudApiError,
    ConfigurationError,
    FlowTokenError,
    QueueUnavailableError,
)

log = logging.getLogger("reference_server.app")


class ReferenceApp(FastAPI):
    """FastAPI with the Flows POST served ahead of it.

    Every request WhatsApp sends is a POST to ``/``: it goes straight to the endpoint (a
    plain ASGI app), past FastAPI's middleware, routing and dependency resolution (a
    tenth of a ping's CPU, more than the endpoint's own code). FastAPI serves the rest
    (health, metrics, the webhook, sending flows). The route is also in FastAPI's table,
    so other methods on ``/`` get their 405 and a path under a root path still reaches
    the endpoint.
    """

    flows: FlowEndpoint | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.flows is not None
            and scope["type"] == "http"
            and scope["path"] == "/"
            and scope["method"] == "POST"
        ):
            await self.flows(scope, receive, send)
            return
        await super().__call__(scope, receive, send)  # type: ignore[arg-type]


class SendFlowRequest(BaseModel):
    phone: str = Field(description="E.164 phone number of the person to send the flow to")
    flow_id: str | None = None
    campaign: str = ""
    source: str = ""
    body_text: str = "Tell us a little about you and we will get back to you."


def create_app(
    settings: Settings | None = None, *, http: httpx.AsyncClient | None = None
) -> FastAPI:
    """The endpoint as an ASGI app; ``settings`` default to the environment.

    ``http`` carries every outbound call (alerts, Cloud API, and the in-process
    worker's CRM and notifications); the caller keeps ownership of it. None: the
    app makes its own client and closes it at shutdown.

    Everything lives on ``app.state`` (``settings``, ``redis``, ``queue``, ``intake``,
    ``tokens``, ``alerter``, ``metrics``, ``http``), built here rather than at startup so
    the app also works under transports that skip the lifespan (httpx's ASGITransport).
    The lifespan adds the start-up checks, the spool's drain and the in-process worker.
    """
    settings = settings or Settings()
    passphrase = settings.private_key_passphrase
    keys = KeyRing(
        settings.private_key_pems(), passphrase.get_secret_value() if passphrase else None
    )
    redis = connect(settings)
    queue = open_queue(settings, redis)  # Redis Streams or SQS (FLOWHARNESS_QUEUE)
    tokens = FlowTokens(
        settings.flow_token_secret_values(), ttl_seconds=settings.flow_token_ttl_seconds
    )
    owns_http = http is None
    http = http or httpx.AsyncClient()
    metrics = Metrics()
    alerter = Alerter(settings, http)
    # the embedded fakeredis cannot fail apart from the process: no spool for it
    spool = Spool(settings.spool_path) if settings.redis_url else None
    idempotency = Idempotency(
        redis,
        prefix=settings.stream_prefix,
        ttl_seconds=settings.idempotency_ttl_seconds,
        wait_seconds=settings.idempotency_wait_seconds,
    )
    intake = LeadIntake(queue, idempotency, metrics, spool)
    endpoint = FlowEndpoint(
        settings=settings,
        keys=keys,
        app_secrets=settings.app_secret_values(),
        tokens=tokens,
        intake=intake,
        flow=LeadFlow(
            default_region=settings.default_region, default_source=settings.default_source
        ),
        alerter=alerter,
        metrics=metrics,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await check_redis_at_start(redis, settings)
        await check_queue_at_start(queue)
        warn_about_open_flows(settings)
        tasks = [asyncio.create_task(intake.keep_draining())]
        worker_redis = None
        if settings.run_worker:
            from reference_server.worker import Worker

            # its own connections: a blocking read must not hold the endpoint's up
            worker_redis = connect(settings, blocking_ms=settings.worker_block_ms)
            worker = Worker(
                settings,
                worker_redis if settings.redis_url else redis,
                alerter=alerter,
                metrics=metrics,
                http=http,
            )
            app.state.worker = worker
            tasks.append(asyncio.create_task(worker.run_forever()))
            tasks[-1].add_done_callback(_worker_ended)
            app.state.worker_task = tasks[-1]
        try:
            yield
        finally:
            if settings.run_worker:
                app.state.worker.stop()
                await asyncio.gather(tasks[-1], return_exceptions=True)
            tasks[0].cancel()
            await asyncio.gather(tasks[0], return_exceptions=True)
            await alerter.drain()
            if owns_http:
                await http.aclose()
            if worker_redis is not None and settings.redis_url:
                await worker_redis.aclose()
            await redis.aclose()
            await close_queue(queue)
            if spool is not None:
                spool.close()

    app = ReferenceApp(title="flowharness reference endpoint", lifespan=lifespan, docs_url=None)
    app.state.settings = settings
    app.state.redis = redis
    app.state.queue = queue
    app.state.intake = intake
    app.state.tokens = tokens
    app.state.alerter = alerter
    app.state.metrics = metrics
    app.state.http = http
    app.flows = endpoint
    app.router.routes.append(Route("/", endpoint, methods=["POST"], include_in_schema=False))
    webhook = CompletionWebhook(settings, redis, tokens, queue)
    app.add_api_route("/webhook", webhook.verify, methods=["GET"], include_in_schema=False)
    app.add_api_route("/webhook", webhook.receive, methods=["POST"], include_in_schema=False)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        """200 "ok"; 200 "degraded" while Redis is down or the spool drains (leads are
        still taken); 503 when the in-process worker stopped (restart the process)."""
        worker_task = getattr(app.state, "worker_task", None)
        if worker_task is not None and worker_task.done():
            raise HTTPException(503, "the in-process worker stopped; see the logs")
        try:
            await redis.ping()
            reachable = True
        except RedisError:
            reachable = False
        spooled = spool.depth() if spool is not None else 0
        if reachable and not spooled:
            return {"status": "ok"}
        return {
            "status": "degraded",
            "redis": "reachable" if reachable else "unreachable",
            "spooled": spooled,
        }

    @app.get("/metrics")
    async def metrics_route() -> Response:
        if spool is not None:
            metrics.spool_depth.set(spool.depth())
        try:
            metrics.set_sizes(await queue.sizes())
        except (RedisError, QueueUnavailableError) as exc:  # depths unknown; the rest counts
            log.warning("queue depth unknown", extra=log_fields(error=type(exc).__name__))
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    @app.post("/flows/send")
    async def send_flow(
        body: SendFlowRequest, authorization: str | None = Header(None)
    ) -> dict[str, str]:
        if settings.admin_token is None:
            raise HTTPException(503, "set FLOWHARNESS_ADMIN_TOKEN to enable this route")
        expected = f"Bearer {settings.admin_token.get_secret_value()}"
        if not authorization or not hmac.compare_digest(authorization, expected):
            raise HTTPException(401, "a valid admin bearer token is required")
        flow_id = body.flow_id or settings.default_flow_id
        try:
            token = tokens.issue(
                body.phone,
                flow_id,
                campaign=body.campaign,
                source=body.source or settings.default_source,
            )
        except (ValueError, FlowTokenError) as exc:
            raise HTTPException(422, str(exc)) from exc
        try:
            message_id = await send_flow_message(
                http,
                settings,
                to=body.phone,
                flow_id=flow_id,
                flow_token=token,
                body_text=body.body_text,
            )
        except ConfigurationError as exc:
            raise HTTPException(503, str(exc)) from exc
        except CloudApiError as exc:
            raise HTTPException(502, str(exc)) from exc
        return {"flow_token": token, "message_id": message_id}

    return app


def _worker_ended(task: asyncio.Task[None]) -> None:
    """A worker that stops on its own is logged, never silent (``/healthz`` says 503)."""
    if not task.cancelled() and task.exception() is not None:
        error = task.exception()
        log.error(
            "the in-process worker stopped",
            exc_info=error,
            extra=log_fields(error=type(error).__name__),
        )
