"""A journey through any Flow JSON, chosen by ``harness.walker``, sent through locust.

:class:`WalkerJourney` lets :func:`harness.walker.walk` play one person through the
flow of ``--flow-json`` with a :class:`LocustFlowClient`: a real
:class:`~harness.client.FlowClient` (fresh AES key and IV per request, RSA-OAEP,
signature over the exact bytes, 421 retry, answers decrypted and classified) whose
HTTP goes through the locust user's ``FastHttpSession`` (:class:`LocustTransport`).
Each request is reported through locust's request event as type ``FLOWS`` and name
``<action>:<screen>`` (``INIT``, ``data_exchange:LEAD``, ``BACK:DETAILS``,
``error_notification:LEAD``) once its answer has been classified and checked with
``harness.flowjson.check_response``; over the budget it is a failure whatever it answered.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Literal

import gevent
import httpx
from locust import TaskSet, task
from locust.contrib.fasthttp import FastHttpSession, ResponseContextManager
from locust.exception import StopUser

from harness.client import FlowClient, FlowResult
from harness.walker import DEFAULT_FLOW_TOKEN, walk
from loadtests.budget import over_budget_message
from loadtests.exchange import AnswerChecker
from loadtests.people import make_person
from loadtests.users import REQUEST_TYPE, FlowUser

__all__ = ["LocustFlowClient", "LocustTransport", "WalkerJourney", "WalkerUser"]

log = logging.getLogger("loadtests.walker")

# headers geventhttpclient sets itself; passing httpx's copies would send them twice
_HOP_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding"})
_USER_NUMBERS = itertools.count(1)


class LocustTransport(httpx.BaseTransport):
    """Sends the client's requests through a locust ``FastHttpSession``, reporting later.

    Each response stays open (``catch_response``) in :attr:`pending` until the caller
    has judged the decrypted answer and calls :meth:`settle`, so locust records one
    request with the final verdict. ``name`` labels the requests that follow.
    """

    def __init__(self, session: FastHttpSession) -> None:
        self._session = session
        self.name = "request"
        self.pending: list[ResponseContextManager] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        response = self._session.post(
            str(request.url),
            data=request.read(),  # type: ignore[arg-type]  # bytes are sent as is
            headers=headers,
            name=self.name,
            catch_response=True,
        )
        response.__enter__()
        response.request_meta["request_type"] = REQUEST_TYPE
        self.pending.append(response)
        if not response.status_code:
            # the FlowClient turns these into timeout_error / no_http_response_error
            error = getattr(response, "error", None)
            if isinstance(error, TimeoutError | gevent.Timeout):
                raise httpx.ReadTimeout("the endpoint did not answer in time", request=request)
            raise httpx.ConnectError(f"no HTTP response: {type(error).__name__}", request=request)
        return httpx.Response(
            response.status_code,
            headers=list((response.headers or {}).items()),
            content=response.content or b"",
            request=request,
        )

    def settle(self, problem: str | None) -> None:
        """Report the pending requests: the last with ``problem`` (None: success), any
        earlier ones (a 421 answer before the client's retry) as failures."""
        pending, self.pending = self.pending, []
        for response in pending[:-1]:
            response.failure(f"HTTP {response.status_code} (the client retried)")
            response.__exit__(None, None, None)
        if pending:
            last = pending[-1]
            if problem is None:
                last.success()
            else:
                last.failure(problem)
            last.__exit__(None, None, None)


class LocustFlowClient(FlowClient):
    """A :class:`~harness.client.FlowClient` that sends through locust and reports there.

    Each request is named ``<action>:<screen>``, judged (outcome, contract, budget) and
    reported once; ``think`` is called before each step a person would take.
    """

    def __init__(
        self,
        session: FastHttpSession,
        url: str,
        *,
        public_key: Any,
        app_secret: str,
        budget: float,
        checker: AnswerChecker,
        think: Callable[[float, float], None] = lambda low, high: None,
    ) -> None:
        self._transport = LocustTransport(session)
        super().__init__(
            url,
            public_key=public_key,
            app_secret=app_secret,
            budget=budget,
            transport=self._transport,
            journal_size=20,  # a load test keeps no history
        )
        self._checker = checker
        self._think = think

    def ping(self) -> FlowResult:
        return self._reported("ping", None, None, partial(FlowClient.ping, self))

    def init(
        self,
        flow_token: str | None,
        data: Mapping[str, Any] | None = None,
        *,
        screen: str | None = None,
    ) -> FlowResult:
        self._think(1.0, 3.0)  # reads the message, taps the button
        send = partial(FlowClient.init, self, flow_token, data, screen=screen)
        return self._reported("INIT", None, flow_token, send)

    def data_exchange(
        self, screen: str, data: Mapping[str, Any], flow_token: str | None
    ) -> FlowResult:
        self._think(3.0, 10.0)  # fills the screen in
        send = partial(FlowClient.data_exchange, self, screen, data, flow_token)
        return self._reported("data_exchange", screen, flow_token, send)

    def back(self, screen: str, flow_token: str | None) -> FlowResult:
        self._think(1.0, 2.0)  # a dead end: looks, presses back
        send = partial(FlowClient.back, self, screen, flow_token)
        return self._reported("BACK", screen, flow_token, send)

    def error_notification(
        self,
        flow_token: str | None,
        error: str,
        error_message: str = "",
        *,
        screen: str | None = None,
        key: Literal["error", "error_key"] = "error",
        action: str = "data_exchange",
    ) -> FlowResult:
        send = partial(
            FlowClient.error_notification,
            self,
            flow_token,
            error,
            error_message,
            screen=screen,
            key=key,
            action=action,
        )
        return self._reported("error_notification", screen, None, send)

    def _reported(
        self,
        action: str,
        screen: str | None,
        flow_token: str | None,
        send: Callable[[], FlowResult],
    ) -> FlowResult:
        self._transport.name = f"{action}:{screen}" if screen else action
        try:
            result = send()
        except BaseException:
            self._transport.settle("the client raised before the answer was judged")
            raise
        self._transport.settle(self._problem(action, screen, flow_token, result))
        return result

    def _problem(
        self, action: str, screen: str | None, flow_token: str | None, result: FlowResult
    ) -> str | None:
        problem = self._answer_problem(action, screen, flow_token, result)
        if not result.within_budget:  # counted by the budget; what else went wrong, by the health
            return over_budget_message(result.budget, problem)
        return problem

    def _answer_problem(
        self, action: str, screen: str | None, flow_token: str | None, result: FlowResult
    ) -> str | None:
        if not result.ok:
            status = f"HTTP {result.status}" if result.status is not None else "no answer"
            return f"{result.outcome} ({status})"  # the outcome is Meta's error type
        if action == "error_notification":
            return None  # any decryptable answer acknowledges it
        problems = self._checker.problems(action, screen, result.payload, flow_token=flow_token)
        return "; ".join(problems) or None


class WalkerUser(FlowUser):
    """A :class:`FlowUser` with a :class:`LocustFlowClient` for walker journeys."""

    abstract = True

    def on_start(self) -> None:
        super().on_start()
        if self.flow.contract is None:
            raise StopUser()  # the start-up check has said why: --flow-json is needed
        self.number = next(_USER_NUMBERS)
        config = self.flow.config
        self.walker_client = LocustFlowClient(
            self.client,
            (self.host or "").rstrip("/") + config.endpoint_path,
            public_key=config.public_key_pem,
            app_secret=config.app_secret,
            budget=config.budget.request_seconds,
            checker=self.flow.checker,
            think=self.think,
        )


class WalkerJourney(TaskSet):
    """One person through the Flow JSON, every choice made by the walker (seeded per user).

    User ``N``'s ``J``-th journey uses the seed ``"N/J"``, so a run's journeys replay.
    Flow tokens are minted per person when ``--token-secret`` is set, else the fixed
    ``--flow-token``, else one made up per journey (fine for the stub endpoint).
    """

    user: WalkerUser

    @task
    def walk_the_flow(self) -> None:
        user, context = self.user, self.user.flow
        assert context.contract is not None  # WalkerUser.on_start stops the user otherwise
        seed = f"{user.number}/{user.journeys}"
        tokens = context.config.tokens
        token = (
            tokens.token_for(make_person(user.rng).whatsapp)
            if tokens.available
            else f"{DEFAULT_FLOW_TOKEN}-{seed}"
        )
        transcript = walk(context.contract, user.walker_client, flow_token=token, seed=seed)
        user.journeys += 1
        log.debug("journey %s: %s (%s)", seed, transcript.ending, transcript.reason)
        if user.max_journeys:
            log.info("%s", transcript.format())
            if user.journeys >= user.max_journeys:
                raise StopUser()
        self.interrupt(reschedule=False)
