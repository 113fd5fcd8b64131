"""The SQS side of the SQS queue backend: one aiobotocore client per event loop, the
queues by label, their creation or check at start, and errors that say what to do.

Seven FIFO queues, by label (names from ``sqs_queue_prefix``, or ``sqs_queue_names``):
``incoming``, ``notify`` and ``attachments`` are consumed by the worker; ``dead``,
``parked``, ``notify_failed`` and ``attachments_failed`` hold what needs a person. Each
consumed queue has a redrive policy to its holding queue (``incoming`` -> ``dead``). All
are created with high-throughput FIFO (deduplication and throughput per message group:
groups are people, so one busy person never slows the others) and the longest retention
SQS allows, 14 days.

Credentials and the region come from the usual AWS chain (environment, ``~/.aws``,
instance or task roles); ``sqs_region`` and ``sqs_endpoint_url`` override them.
aiobotocore's connections belong to the event loop that opened them, so a client is made
per running loop (like :class:`reference_server._redis.LoopLocalRedis`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from reference_server._logging import log_fields
from reference_server._settings import Settings
from reference_server._work import MIN_LEASE_MS
from reference_server.exceptions import ConfigurationError, QueueUnavailableError

__all__ = [
    "CONSUMED",
    "HOLDING",
    "REDRIVE",
    "Label",
    "SqsClient",
    "queue_names",
    "visibility_seconds",
]

log = logging.getLogger("reference_server.sqs")
Label = Literal[
    "incoming", "dead", "parked", "notify", "notify_failed", "attachments", "attachments_failed"
]
LABELS: tuple[Label, ...] = get_args(Label)
CONSUMED: tuple[Label, ...] = ("incoming", "notify", "attachments")
HOLDING: tuple[Label, ...] = ("dead", "parked", "notify_failed", "attachments_failed")
REDRIVE: dict[Label, Label] = {
    "incoming": "dead",
    "notify": "notify_failed",
    "attachments": "attachments_failed",
}
"""Where SQS moves an entry received ``maxReceiveCount`` times and never deleted."""
RETENTION_SECONDS = 14 * 24 * 3600  # SQS's maximum
MAX_VISIBILITY_SECONDS = 12 * 3600  # SQS's maximum
MAX_WAIT_SECONDS = 20  # SQS's longest long poll
EXTRA = "pip install 'flowharness[sqs]'"
_CONFIG_ERRORS = ("NoCredentialsError", "PartialCredentialsError", "NoRegionError")


def queue_names(settings: Settings) -> dict[Label, str]:
    """Every queue's name by label; :class:`ConfigurationError` for a wrong override."""
    unknown = sorted(set(settings.sqs_queue_names) - set(LABELS))
    if unknown:
        raise ConfigurationError(
            f"FLOWHARNESS_SQS_QUEUE_NAMES names unknown queues {unknown}: the labels are "
            f"{', '.join(LABELS)}"
        )
    names: dict[Label, str] = {
        label: settings.sqs_queue_names.get(label)
        or f"{settings.sqs_queue_prefix}-{label.replace('_', '-')}.fifo"
        for label in LABELS
    }
    not_fifo = [name for name in names.values() if not name.endswith(".fifo")]
    if not_fifo:
        raise ConfigurationError(
            f"SQS queues must be FIFO queues (names ending in .fifo), not {not_fifo}: per-person "
            "order and deduplication need them; fix FLOWHARNESS_SQS_QUEUE_NAMES"
        )
    return names


@dataclass
class QueueFacts:
    """What the worker needs to know of a queue, read at start."""

    url: str
    max_receive_count: int | None = None
    """Its redrive policy's ``maxReceiveCount`` (None: no redrive policy)."""
    max_message_bytes: int = 262_144


class SqsClient:
    """The queues by label, over a client per event loop; every call goes through :meth:`call`."""

    def __init__(self, settings: Settings, *, wait_seconds: int = 0, attempts: int = 1):
        try:
            from aiobotocore.config import AioConfig
            from aiobotocore.session import get_session
        except ImportError:
            raise ConfigurationError(
                f"FLOWHARNESS_QUEUE=sqs needs aiobotocore, which is not installed: {EXTRA}"
            ) from None
        self.settings = settings
        self.wait_seconds = wait_seconds
        """The longest long poll this client's read timeout allows for."""
        self.names = queue_names(settings)
        self.endpoint = settings.sqs_endpoint_url or "AWS"
        self._session = get_session()
        timeout = settings.sqs_timeout_seconds
        self._config = AioConfig(
            connect_timeout=timeout,
            read_timeout=timeout + wait_seconds,
            # the endpoint tries once (the spool takes the lead at once); the worker, whose
            # sends carry deduplication ids, retries throttling and lost connections
            retries={"mode": "standard", "total_max_attempts": attempts},
            max_pool_connections=64,
        )
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Any, Any]] = (
            weakref.WeakKeyDictionary()
        )
        self.facts: dict[Label, QueueFacts] = {}
        self._prepared = False
        self.visibility = visibility_seconds(max(settings.reclaim_min_idle_ms, MIN_LEASE_MS))
        """The visibility timeout of a received entry: the worker's lease, in seconds."""

    # -- the client ---------------------------------------------------------------------

    async def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        found = self._clients.get(loop)
        if found is not None:
            return found[1]
        context = self._session.create_client(
            "sqs",
            region_name=self.settings.sqs_region,
            endpoint_url=self.settings.sqs_endpoint_url,
            config=self._config,
        )
        try:
            client = await context.__aenter__()
        except Exception as exc:
            raise self._translate("connect", exc) from exc
        if loop in self._clients:  # another call made one meanwhile: keep theirs
            await context.__aexit__(None, None, None)
            return self._clients[loop][1]
        self._clients[loop] = (context, client)
        return client

    async def aclose(self) -> None:
        """Close the running loop's client (the others went with their loops)."""
        found = self._clients.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[0].__aexit__(None, None, None)

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """One SQS API call; :class:`QueueUnavailableError` or :class:`ConfigurationError`."""
        client = await self._client()
        try:
            result: dict[str, Any] = await getattr(client, operation)(**params)
        except Exception as exc:
            raise self._translate(operation, exc) from exc
        return result

    def _translate(self, operation: str, exc: Exception) -> Exception:
        name = type(exc).__name__
        if name in _CONFIG_ERRORS:
            return ConfigurationError(
                f"SQS cannot be used: {exc}. Credentials and the region come from the usual "
                "AWS environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, "
                "a role); set the region with FLOWHARNESS_SQS_REGION or AWS_REGION"
            )
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            error = response.get("Error") or {}
            code = str(error.get("Code", ""))
            message = str(error.get("Message", ""))
            return QueueUnavailableError(f"SQS refused {operation}: {code}: {message}", code)
        return QueueUnavailableError(f"SQS at {self.endpoint} failed on {operation}: {name}: {exc}")

    # -- queues -------------------------------------------------------------------------

    async def url(self, label: Label) -> str:
        """The queue's URL (looked up once; every queue prepared first when creating
        them is allowed, so a queue used before any start-up check exists all the same)."""
        facts = self.facts.get(label)
        if facts is None:
            if self.settings.sqs_create_queues:
                await self.prepare()
                return self.facts[label].url
            facts = QueueFacts(await self._url_of(self.names[label]))
            self.facts[label] = facts
        return facts.url

    async def _url_of(self, name: str) -> str:
        try:
            return str((await self.call("get_queue_url", QueueName=name))["QueueUrl"])
        except QueueUnavailableError as exc:
            if _missing(exc):
                raise QueueUnavailableError(
                    f"the SQS queue {name} does not exist: start the worker once with "
                    "FLOWHARNESS_SQS_CREATE_QUEUES=true, or create it",
                    exc.code,
                ) from exc
            raise

    async def prepare(self, labels: Iterable[Label] = LABELS) -> None:
        """Find every queue of ``labels`` (and the holding queues their redrive points
        to), creating the missing ones when ``sqs_create_queues``; else a
        :class:`ConfigurationError` naming each missing queue. Existing queues are
        checked: FIFO or refused; no redrive policy, or a short retention, warned about."""
        labels = list(labels)
        if all(label in self.facts for label in labels) and self._prepared:
            return  # once per process: queues keep their attributes
        wanted = list(dict.fromkeys([*labels, *(REDRIVE[x] for x in labels if x in REDRIVE)]))
        wanted.sort(key=lambda label: label in REDRIVE)  # targets before their sources
        missing: list[str] = []
        for label in wanted:
            name = self.names[label]
            try:
                url = await self._url_of(name)
            except QueueUnavailableError as exc:
                if not _missing(exc):
                    raise
                if not self.settings.sqs_create_queues:
                    missing.append(name)
                    continue
                url = await self._create(label)
            self.facts[label] = await self._check(label, url)
        self._prepared = not missing
        if missing:
            raise ConfigurationError(
                f"SQS queue{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}. "
                "Create them (FIFO, with a redrive policy from each consumed queue to its "
                "holding queue; see the README), or set FLOWHARNESS_SQS_CREATE_QUEUES=true "
                "to let the worker create them"
            )

    async def _create(self, label: Label) -> str:
        attributes = {
            "FifoQueue": "true",
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
            "MessageRetentionPeriod": str(RETENTION_SECONDS),
            "VisibilityTimeout": str(self.visibility),
        }
        if label in REDRIVE:
            target = self.facts.get(REDRIVE[label])
            assert target is not None, "holding queues are prepared first"
            arn = await self._attribute(target.url, "QueueArn")
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": arn,
                    "maxReceiveCount": str(self.settings.sqs_max_receive_count),
                }
            )
        name = self.names[label]
        result = await self.call("create_queue", QueueName=name, Attributes=attributes)
        log.info("SQS queue created", extra=log_fields(queue=name))
        return str(result["QueueUrl"])

    async def _attribute(self, url: str, name: str) -> str:
        result = await self.call("get_queue_attributes", QueueUrl=url, AttributeNames=[name])
        return str(result["Attributes"][name])

    async def _check(self, label: Label, url: str) -> QueueFacts:
        name = self.names[label]
        result = await self.call("get_queue_attributes", QueueUrl=url, AttributeNames=["All"])
        attributes: dict[str, str] = result.get("Attributes", {})
        if attributes.get("FifoQueue") != "true":
            raise ConfigurationError(f"the SQS queue {name} is not a FIFO queue: recreate it")
        size = int(attributes.get("MaximumMessageSize") or 262_144)
        facts = QueueFacts(url, max_message_bytes=size)
        retention = int(attributes.get("MessageRetentionPeriod", RETENTION_SECONDS))
        if retention < RETENTION_SECONDS:
            log.warning(
                f"SQS deletes entries of {name} after {retention} s: set its retention to "
                f"14 days ({RETENTION_SECONDS} s) so held and waiting leads last longest",
                extra=log_fields(queue=name),
            )
        if label in REDRIVE:
            policy = json.loads(attributes.get("RedrivePolicy") or "{}")
            target = self.names[REDRIVE[label]]
            if not policy:
                log.warning(
                    f"the SQS queue {name} has no redrive policy: an entry that stops every "
                    f"worker taking it is taken again forever; redrive it to {target}",
                    extra=log_fields(queue=name),
                )
            else:
                facts.max_receive_count = int(policy["maxReceiveCount"])
                if not str(policy.get("deadLetterTargetArn", "")).endswith(f":{target}"):
                    log.warning(
                        f"the SQS queue {name} redrives to {policy.get('deadLetterTargetArn')}, "
                        f"not {target}: `flowharness leads` does not see what lands there",
                        extra=log_fields(queue=name),
                    )
        return facts


def _missing(exc: QueueUnavailableError) -> bool:
    return exc.code in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def visibility_seconds(lease_ms: int) -> int:
    """The visibility timeout for a worker renewing its entries every third of ``lease_ms``."""
    return min(max(math.ceil(lease_ms / 1000), 1), MAX_VISIBILITY_SECONDS)
