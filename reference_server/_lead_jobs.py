"""One queued lead: the CRM upsert with retries, then its outcome settled in one step.

Written: a staff notification job and the "written" mark go with the acknowledgement.
Parked (the CRM refused the record's fields, or another record holds its e-mail) and
dead-lettered (retries exhausted, or refused for good): the held entry and an
operations alert job go with it. Nothing is acknowledged before the CRM has answered,
so a worker that dies mid-call leaves the lead to the next one, and the upsert keyed
by phone makes that second write an update, never a second contact.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Literal

from tenacity import AsyncRetrying

from reference_server._alerts import Alert, Alerter
from reference_server._crm import CrmAdapter, CrmResult
from reference_server._logging import log_fields, mask
from reference_server._metrics import Metrics
from reference_server._notify import record_url
from reference_server._notify_jobs import NotificationJobs
from reference_server._queue import replay_count
from reference_server._settings import Settings
from reference_server._work import Delivery, Outbox, Settlement, WorkQueue
from reference_server.exceptions import (
    CrmConflictError,
    CrmError,
    CrmTransientError,
    CrmValidationError,
)

__all__ = ["LeadJobs", "Outcome"]

log = logging.getLogger("reference_server.worker")
Outcome = Literal["synced", "parked", "dead_lettered", "duplicates"]


class LeadJobs:
    def __init__(
        self,
        settings: Settings,
        crm: CrmAdapter,
        work: WorkQueue,
        notify_jobs: NotificationJobs,
        alerter: Alerter,
        metrics: Metrics,
        retrying: Callable[[], AsyncRetrying],
        settle: Callable[[Delivery, Settlement], Any],
    ):
        self._settings = settings
        self._crm = crm
        self._work = work
        self._notify_jobs = notify_jobs
        self._alerter = alerter
        self._metrics = metrics
        self._retrying = retrying
        self._settle = settle
        self.results: dict[str, CrmResult] = {}

    async def handle(self, delivery: Delivery) -> Outcome:
        fields = delivery.fields
        lead_json, lead_id = fields.get("lead", ""), fields.get("lead_id", "?")
        try:
            lead: dict[str, Any] = json.loads(lead_json)
            phone = lead["phone"]
            if not phone or not isinstance(phone, str):
                raise ValueError("the lead has no phone number")
        except (ValueError, KeyError, TypeError) as exc:
            await self._hold(delivery, "dead", "malformed_entry", str(exc), attempts=0)
            return "dead_lettered"
        async with self._work.exclusive(phone):  # one writer per person, in any process
            if await self._work.written(lead_id):
                await self._settle(delivery, Settlement())
                log.info("copy of a written lead acknowledged", extra=log_fields(lead_id=lead_id))
                return "duplicates"
            if delivery.final:  # held with an alert now, rather than moved away unseen
                error = f"taken {delivery.received} times and never settled: workers stopped on it"
                await self._hold(delivery, "dead", "redelivered", error, attempts=0)
                return "dead_lettered"
            return await self._write(delivery, lead, lead_id)

    async def fail(self, delivery: Delivery, error: Exception) -> None:
        """Dead-letter a lead the worker itself failed on (a bug), with an alert."""
        await self._hold(delivery, "dead", "worker_error", f"{type(error).__name__}: {error}")

    async def _write(self, delivery: Delivery, lead: dict[str, Any], lead_id: str) -> Outcome:
        attempts = 0
        try:
            async for attempt in self._retrying():
                with attempt:
                    attempts += 1
                    result = await self._upsert(lead)
        except CrmConflictError as exc:
            await self._hold(delivery, "parked", exc.reason, str(exc), conflict=exc, lead=lead)
            return "parked"
        except CrmValidationError as exc:
            await self._hold(delivery, "parked", exc.reason, str(exc), errors=exc.errors)
            return "parked"
        except CrmError as exc:
            reason = "retry_budget_exhausted" if isinstance(exc, CrmTransientError) else exc.reason
            await self._hold(delivery, "dead", reason, str(exc), attempts=attempts)
            return "dead_lettered"
        job = self._notify_jobs.staff_job(lead, result)
        # the notification job and the ack in one step: a crash from here on loses nothing
        await self._settle(
            delivery, Settlement([("notify", job)] if job else [], written_lead=lead_id)
        )
        self.results[lead_id] = result
        self._metrics.leads_synced.inc()
        log.info(
            "lead written to the CRM",
            extra=log_fields(lead_id=lead_id, crm_created=result.created, attempts=attempts),
        )
        return "synced"

    async def _upsert(self, lead: dict[str, Any]) -> CrmResult:
        try:
            return await self._crm.upsert(lead)
        except CrmError as exc:
            self._metrics.crm_errors.labels(exc.reason).inc()
            raise

    async def _hold(
        self,
        delivery: Delivery,
        box: Outbox,
        reason: str,
        error: str,
        *,
        attempts: int = 0,
        errors: list[dict[str, Any]] | None = None,
        conflict: CrmConflictError | None = None,
        lead: dict[str, Any] | None = None,
    ) -> None:
        """Park or dead-letter the lead with an operations alert, acknowledged together."""
        fields = delivery.fields
        lead_id, replays = fields.get("lead_id", "?"), replay_count(fields)
        held: dict[str, str] = {
            "lead_id": lead_id,
            "lead": fields.get("lead", ""),
            "reason": reason,
            "error": mask(error),
        }
        if box == "dead":
            held["attempts"] = str(attempts)
        if conflict is not None:
            existing_url = conflict.existing_url or record_url(
                self._settings, CrmResult(conflict.existing_id, False)
            )
            held |= {"existing_id": conflict.existing_id, "existing_url": existing_url}
            errors = [{"code": "CONFLICT", "message": error, "fields": [conflict.field]}]
            alert = self._conflict_alert(
                lead_id, lead or {}, error, conflict.existing_id, existing_url, conflict.field
            )
        elif box == "parked":
            alert = self._parked_alert(lead_id, error, errors or [])
        else:
            alert = self._dead_alert(lead_id, reason, error, attempts)
        if errors is not None:  # as the CRM said them: `leads list` masks what it shows
            held["errors"] = json.dumps(errors, ensure_ascii=False)
        if replays:
            held["replays"] = str(replays)
        add: list[tuple[Outbox, dict[str, str]]] = [(box, held)]
        job = self._notify_jobs.alert_job(lead_id, f"{box}:{replays}", alert)
        if job is not None:
            add.append(("notify", job))
        await self._settle(delivery, Settlement(add))
        self._alerter.record(alert)
        log.warning(
            "lead parked" if box == "parked" else "lead dead-lettered",
            extra=log_fields(lead_id=lead_id, reason=reason, attempts=attempts),
        )

    def _parked_alert(self, lead_id: str, error: str, errors: list[dict[str, Any]]) -> Alert:
        fields = [{**e, "message": mask(str(e.get("message", "")))} for e in errors]
        return Alert(
            "high",
            f"{self._crm.name} rejected lead {lead_id}: it is parked for review",
            {
                "lead_reference": lead_id,
                "error": mask(error),
                "fields": json.dumps(fields, ensure_ascii=False),
                "after fixing the cause": f"flowharness leads replay parked --lead {lead_id}",
            },
        )

    def _conflict_alert(
        self,
        lead_id: str,
        lead: dict[str, Any],
        error: str,
        existing_id: str,
        url: str,
        field: str = "email",
    ) -> Alert:
        shared = "e-mail" if field == "email" else field
        return Alert(
            "high",
            f"CRM conflict: lead {lead_id} shares its {shared} with {self._crm.name} record "
            f"{existing_id}; it is parked and nothing was updated",
            {
                "lead_reference": lead_id,
                "lead_phone": mask(str(lead.get("phone", ""))),
                "lead_email": mask(str(lead.get("email", ""))),
                "existing_record": existing_id,
                "existing_record_url": url or "-",
                "error": mask(error),
                "what to do": "decide whether they are one person, fix the records in the "
                f"CRM, then: flowharness leads replay parked --lead {lead_id}",
            },
        )

    def _dead_alert(self, lead_id: str, reason: str, error: str, attempts: int) -> Alert:
        return Alert(
            "high",
            f"Lead {lead_id} was not written to {self._crm.name}: dead-lettered ({reason})",
            {
                "lead_reference": lead_id,
                "reason": reason,
                "attempts": attempts,
                "error": mask(error),
                "once the CRM works": f"flowharness leads replay dead --lead {lead_id}",
                "all held leads": "flowharness leads list dead",
            },
        )
