"""Locust users that speak the Flows protocol for real: every request sealed, signed, checked.

:class:`FlowUser` (a ``FastHttpUser``) seals each payload with a fresh AES key and IV,
signs the exact bytes, posts them, opens the answer and checks it against the
contract. Each exchange is reported through locust's request event (``catch_response``)
as type ``FLOWS`` and a name per action and screen (``ping``, ``INIT``,
``data_exchange:LEAD``); a request over the budget is a failure whatever it answered.

Journeys are task sets: :class:`PingTraffic` (WhatsApp's health checks) and
:class:`LeadSubmission` (INIT -> LEAD -> CONFIRM -> SUCCESS, with think times).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

import gevent
from locust import FastHttpUser, SequentialTaskSet, TaskSet, task
from locust.env import Environment
from locust.exception import CatchResponseError, StopUser

from harness.crypto import CryptoError
from harness.flowjson import Flow
from harness.health import error_for_status
from loadtests.budget import over_budget_message
from loadtests.config import LoadConfig
from loadtests.exchange import AnswerChecker, FlowCodec, load_contract_flow
from loadtests.people import Person, make_person
from loadtests.wire import FlowConnection

__all__ = ["FlowUser", "LeadSubmission", "LoadContext", "PingTraffic", "context_for"]

REQUEST_TYPE = "FLOWS"
VERSION = "3.0"


@dataclass(frozen=True)
class LoadContext:
    """Built once per locust process from its options: config, codec, contract, checker."""

    config: LoadConfig
    codec: FlowCodec
    contract: Flow | None
    """The Flow JSON of ``--flow-json`` (None: ``none``, answers get shape checks only)."""
    checker: AnswerChecker

    @classmethod
    def build(cls, environment: Environment) -> LoadContext:
        config = LoadConfig.from_options(environment.parsed_options)
        contract = load_contract_flow(config.flow_json)
        return cls(
            config=config,
            codec=FlowCodec(config.public_key_pem, config.app_secret),
            contract=contract,
            checker=AnswerChecker(contract),
        )


def context_for(environment: Environment) -> LoadContext:
    """The process's :class:`LoadContext`, built on first use (after the master's options)."""
    context = getattr(environment, "flowharness_context", None)
    if context is None:
        context = LoadContext.build(environment)
        environment.flowharness_context = context  # type: ignore[attr-defined]
    return context


class FlowUser(FastHttpUser):
    """The WhatsApp client side of one person; subclasses pick the journeys (``tasks``)."""

    abstract = True
    network_timeout = 10.0
    """WhatsApp gives up after 10 s (Meta: Error Codes, ``timeout_error``)."""
    connection_timeout = 5.0
    max_journeys = 0
    """Stop the user after this many completed lead journeys (0 = never; 1 when debugging)."""

    def __init__(self, environment: Environment):
        super().__init__(environment)
        self.rng = random.Random()
        self.journeys = 0

    def on_start(self) -> None:
        self.flow = context_for(self.environment)
        self.connection = FlowConnection(
            self.host or "",
            self.flow.config.endpoint_path,
            connection_timeout=self.connection_timeout,
            network_timeout=self.network_timeout,
            insecure=self.insecure,
        )

    def on_stop(self) -> None:
        connection = getattr(self, "connection", None)
        if connection is not None:
            connection.close()

    def wait_time(self) -> float:
        return self.rng.uniform(0.5, 2.0) * self.flow.config.think_scale

    def think(self, low: float, high: float) -> None:
        """Pause like a person reading or typing, scaled by ``--think-scale``."""
        seconds = self.rng.uniform(low, high) * self.flow.config.think_scale
        if seconds > 0:
            gevent.sleep(seconds)

    def exchange(
        self,
        payload: dict[str, Any],
        *,
        name: str,
        expect_screen: str | None = None,
    ) -> Any | None:
        """Send one request; the decrypted answer, or None after reporting a failure."""
        context = self.flow
        budget = context.config.budget.request_seconds
        sealed = context.codec.seal(payload)
        started = time.time()
        reply = self.connection.post(sealed.body, sealed.headers)
        answer, problem = None, None
        if not reply.status:
            kind = error_for_status(None, timed_out=reply.timed_out)
            problem = f"no HTTP response ({reply.error}: connection failed or timed out) [{kind}]"
        elif reply.status != 200:
            kind = error_for_status(reply.status)
            problem = f"HTTP {reply.status}" + (f" [{kind}]" if kind else "")
        else:
            try:
                answer = context.codec.open(reply.body, sealed.keys)
            except CryptoError as exc:
                problem = (
                    f"the answer cannot be decrypted ({type(exc).__name__}) "
                    "[response-decryption-error]"
                )
        if problem is None:
            problems = context.checker.problems(
                payload["action"],
                payload.get("screen"),
                answer,
                flow_token=payload.get("flow_token"),
                expect_screen=expect_screen,
            )
            problem = "; ".join(problems) or None
        if reply.seconds > budget:  # counted by the budget; what else went wrong, by the health
            problem = over_budget_message(budget, problem)
        self.environment.events.request.fire(
            request_type=REQUEST_TYPE,
            name=name,
            start_time=started,
            response_time=reply.seconds * 1000.0,
            response_length=len(reply.body),
            response=None,
            context={},
            # the same exception locust's catch_response reports, so failures read alike
            exception=None if problem is None else CatchResponseError(problem),
        )
        return answer if problem is None else None

    def ping(self) -> bool:
        return self.exchange({"version": VERSION, "action": "ping"}, name="ping") is not None


class PingTraffic(TaskSet):
    """WhatsApp's health check: one encrypted ping, then back to the user's choice of journey."""

    user: FlowUser

    @task
    def ping(self) -> None:
        self.user.ping()
        self.interrupt(reschedule=False)  # the user's wait_time paces the pings


class LeadSubmission(SequentialTaskSet):
    """One person opens the flow, fills the lead form, confirms it, and the flow closes."""

    user: FlowUser

    def on_start(self) -> None:
        self.person: Person = make_person(self.user.rng)
        self.token = self.user.flow.config.tokens.token_for(self.person.whatsapp)
        self.confirm_data: dict[str, Any] = {}

    def _request(self, action: str, screen: str | None = None, **data: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {"version": VERSION, "action": action, "flow_token": self.token}
        if screen is not None:
            payload["screen"] = screen
            payload["data"] = data
        return payload

    def _abandon(self) -> None:
        self.interrupt(reschedule=False)

    @task
    def open_flow(self) -> None:
        self.user.think(1.0, 3.0)  # reads the message, taps the button
        if self.user.exchange(self._request("INIT"), name="INIT", expect_screen="LEAD") is None:
            self._abandon()

    @task
    def submit_form(self) -> None:
        self.user.think(8.0, 25.0)  # types six fields on a phone
        answer = self.user.exchange(
            self._request("data_exchange", "LEAD", **self.person.lead_form()),
            name="data_exchange:LEAD",
            expect_screen="CONFIRM",
        )
        if answer is None:
            self._abandon()
            return
        self.confirm_data = dict(answer["data"])

    @task
    def confirm(self) -> None:
        self.user.think(2.0, 6.0)  # reads the summary
        fields = ("first_name", "last_name", "email", "company", "phone", "interest", "consent")
        data = {"confirmed": True, **{f: self.confirm_data.get(f, "") for f in fields}}
        answer = self.user.exchange(
            self._request("data_exchange", "CONFIRM", **data),
            name="data_exchange:CONFIRM",
            expect_screen="SUCCESS",
        )
        if answer is None:
            self._abandon()
            return
        self.user.journeys += 1
        if self.user.max_journeys and self.user.journeys >= self.user.max_journeys:
            raise StopUser()
        self.interrupt(reschedule=False)
