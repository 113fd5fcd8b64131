"""Prometheus metrics in a registry of their own per app (tests build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

ACTIONS = ("ping", "INIT", "BACK", "data_exchange", "error_notification", "unknown")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_seconds = Histogram(
            "flowharness_request_seconds",
            "Time to answer a Flows request, by action",
            ["action"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.responses = Counter(
            "flowharness_responses", "Answers by HTTP status", ["status"], registry=self.registry
        )
        self.queue_depth = Gauge(
            "flowharness_queue_depth",
            "Entries in each lead stream: waiting (incoming, notify, attachments) or held "
            "after failing (dead, parked, notify_failed, attachments_failed)",
            ["stream"],
            registry=self.registry,
        )
        self.dead_letters = Gauge(
            "flowharness_dead_letters", "Leads in the dead-letter stream", registry=self.registry
        )
        self.parked = Gauge(
            "flowharness_parked_leads",
            "Leads parked after a CRM validation error",
            registry=self.registry,
        )
        self.crm_errors = Counter(
            "flowharness_crm_errors", "Failed CRM calls, by kind", ["kind"], registry=self.registry
        )
        self.notification_failures = Counter(
            "flowharness_notification_failures",
            "Notifications still failing after their retries, by channel",
            ["channel"],
            registry=self.registry,
        )
        self.leads_synced = Counter(
            "flowharness_leads_synced", "Leads written to the CRM", registry=self.registry
        )
        self.leads_spooled = Counter(
            "flowharness_leads_spooled",
            "Confirmed leads kept in the local spool because Redis could not take them",
            registry=self.registry,
        )
        self.spool_depth = Gauge(
            "flowharness_spool_depth",
            "Leads in the local spool, waiting for Redis",
            registry=self.registry,
        )

    def observe(self, action: str, seconds: float, status: int) -> None:
        self.request_seconds.labels(action if action in ACTIONS else "unknown").observe(seconds)
        self.responses.labels(str(status)).inc()

    def set_sizes(self, sizes: dict[str, int]) -> None:
        """Stream lengths by label, from :meth:`LeadQueue.sizes` (the app reads them at
        every scrape, the worker after every batch)."""
        for stream, size in sizes.items():
            self.queue_depth.labels(stream).set(size)
        self.dead_letters.set(sizes["dead"])
        self.parked.set(sizes["parked"])

    def render(self) -> bytes:
        return generate_latest(self.registry)
