"""Prometheus metrics in a registry of their own per app (tests build many apps).

The two metrics every Flows request updates (its time by action, its answer by status)
are plain counters read at scrape time (:class:`RequestStats`): prometheus_client's
metrics take a lock for each label lookup and each update, which the request path
needs not pay. Their exposition is the same as prometheus_client's histogram and counter.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

ACTIONS = frozenset({"ping", "INIT", "BACK", "data_exchange", "error_notification", "unknown"})
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestStats(Collector):
    """``flowharness_request_seconds`` (histogram by action) and ``flowharness_responses``
    (counter by status), counted without locks.

    Only the thread of the event loop that serves requests updates them (each update
    is a few list and dict operations with no await between them); a scrape reads them
    on the same loop.
    """

    def __init__(self, buckets: tuple[float, ...] = REQUEST_BUCKETS) -> None:
        self._bounds = buckets
        self._labels = [floatToGoString(b) for b in buckets] + ["+Inf"]
        self._by_action: dict[str, list[float]] = {}
        """Per action: the count in each bucket (not cumulative), then the sum."""
        self._by_status: dict[str, int] = {}
        self._created: dict[tuple[str, str], float] = {}

    def observe(self, action: str, seconds: float, status: int) -> None:
        counts = self._by_action.get(action)
        if counts is None:
            counts = self._by_action[action] = [0] * (len(self._bounds) + 2)
            self._created["action", action] = time.time()
        counts[bisect_left(self._bounds, seconds)] += 1
        counts[-1] += seconds
        label = str(status)
        if label in self._by_status:
            self._by_status[label] += 1
        else:
            self._by_status[label] = 1
            self._created["status", label] = time.time()

    def collect(self) -> Iterator[Metric]:
        name = "flowharness_request_seconds"
        histogram = Metric(name, "Time to answer a Flows request, by action", "histogram")
        for action, counts in list(self._by_action.items()):
            running = 0.0
            for le, count in zip(self._labels, counts, strict=False):
                running += count
                histogram.add_sample(f"{name}_bucket", {"action": action, "le": le}, running)
            histogram.add_sample(f"{name}_count", {"action": action}, running)
            histogram.add_sample(f"{name}_sum", {"action": action}, counts[-1])
            created = self._created["action", action]
            histogram.add_sample(f"{name}_created", {"action": action}, created)
        yield histogram
        name = "flowharness_responses"
        counter = Metric(name, "Answers by HTTP status", "counter")
        for status, count in list(self._by_status.items()):
            counter.add_sample(f"{name}_total", {"status": status}, float(count))
            created = self._created["status", status]
            counter.add_sample(f"{name}_created", {"status": status}, created)
        yield counter


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = RequestStats()
        self.registry.register(self.requests)
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
        """One Flows request answered (on the event loop: no lock; see :class:`RequestStats`)."""
        self.requests.observe(action if action in ACTIONS else "unknown", seconds, status)

    def set_sizes(self, sizes: dict[str, int]) -> None:
        """Stream lengths by label, from :meth:`LeadQueue.sizes` (the app reads them at
        every scrape, the worker after every batch)."""
        for stream, size in sizes.items():
            self.queue_depth.labels(stream).set(size)
        self.dead_letters.set(sizes["dead"])
        self.parked.set(sizes["parked"])

    def render(self) -> bytes:
        return generate_latest(self.registry)
