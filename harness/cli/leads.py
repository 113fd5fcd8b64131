"""``flowharness leads``: see and replay what the reference server's worker put aside.

Dead-lettered leads (retries exhausted), parked leads (the CRM refused their fields),
failed notification channels and follow-up photos stay in their holding streams until
someone puts them back. ``list`` shows them with phone numbers and emails masked;
``replay`` moves them onto the stream their worker consumes, each in one transaction.
Both read the server's Redis from ``FLOWHARNESS_REDIS_URL`` (and the stream prefix from
``FLOWHARNESS_STREAM_PREFIX``), or with ``FLOWHARNESS_QUEUE=sqs`` its SQS holding queues
(``FLOWHARNESS_SQS_*`` and the usual AWS credentials).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from reference_server import HeldEntry, LeadQueue, ReplayReport, ReplaySource

T = TypeVar("T")

# command-line spelling -> the API's source name
SOURCES: dict[str, ReplaySource] = {
    "dead": "dead",
    "parked": "parked",
    "notify-failed": "notify_failed",
    "attachments-failed": "attachments_failed",
}
source_argument = click.argument("source", type=click.Choice(list(SOURCES)))


def _run(work: Callable[[LeadQueue], Awaitable[T]]) -> T:
    """Run ``work`` against the server's queue; every failure becomes a clear CLI error."""
    import redis.asyncio as aioredis
    from redis.exceptions import RedisError

    from harness.cli._server_settings import load_or_explain
    from reference_server._backends import close_queue, open_queue
    from reference_server._redis import connect
    from reference_server.exceptions import QueueUnavailableError, ReferenceServerError

    settings = load_or_explain(None, "nothing")
    if settings.queue == "redis" and not settings.redis_url:
        raise click.ClickException(
            "FLOWHARNESS_REDIS_URL is not set: without it the server keeps leads in an "
            "embedded in-memory Redis that nothing else can reach, so there is nothing to "
            "list or replay. Set it to the Redis your endpoint and worker use."
        )
    url = settings.redis_url

    async def main() -> T:
        # on SQS the holding queues need no Redis: an unused embedded one stands in
        redis = aioredis.from_url(url, decode_responses=True) if url else connect(settings)
        try:
            queue = open_queue(settings, redis, wait_seconds=1)  # SQS: listing long-polls
            try:
                return await work(queue)
            finally:
                await close_queue(queue)
        finally:
            await redis.aclose()

    try:
        return asyncio.run(main())
    except RedisError as exc:
        raise click.ClickException(f"Redis at FLOWHARNESS_REDIS_URL failed: {exc}") from exc
    except QueueUnavailableError as exc:
        raise click.ClickException(f"{exc} (FLOWHARNESS_SQS_ENDPOINT_URL, AWS_*)") from exc
    except ReferenceServerError as exc:
        raise click.ClickException(str(exc)) from exc


def _row(entry: HeldEntry) -> dict[str, Any]:
    """What an operator needs to decide, with personal data masked (ids are not personal)."""
    from reference_server import mask

    fields = entry.fields
    return {
        "id": entry.id,
        "lead_id": entry.lead_id,
        "reason": mask(entry.reason),
        "error": mask(fields.get("error", "")),
        "attempts": entry.attempts,
        "replays": entry.replays,
        "at": fields.get("at", ""),
    }


@click.group()
def leads() -> None:
    """Leads, notifications and photos the reference server's worker put aside."""


@leads.command("list")
@source_argument
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N, oldest first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def list_held(source: str, limit: int | None, as_json: bool) -> None:
    """Show the entries held in SOURCE (phone numbers and emails masked)."""
    from reference_server import held

    entries = _run(lambda queue: held(queue, SOURCES[source], limit=limit))
    rows = [_row(entry) for entry in entries]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"nothing held in {source}")
        return
    width = max(17, *(len(row["id"]) for row in rows))  # SQS message ids are 36 long
    click.echo(
        f"{'ID':<{width}} {'LEAD':<32} {'REASON':<24} {'TRIES':>5} {'REPLAYS':>7} {'AT':<29} ERROR"
    )
    for row in rows:
        tries = "" if row["attempts"] is None else str(row["attempts"])
        click.echo(
            f"{row['id']:<{width}} {row['lead_id']:<32} {row['reason']:<24} {tries:>5} "
            f"{row['replays']:>7} {row['at']:<29} {row['error']}"
        )


@leads.command()
@source_argument
@click.option("--id", "ids", multiple=True, help="An entry id from `leads list` (repeatable).")
@click.option(
    "--lead",
    "lead_ids",
    multiple=True,
    help="Every entry of this lead reference (repeatable); operations alerts name it.",
)
@click.option("--all", "everything", is_flag=True, help="Every entry SOURCE holds now.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def replay(
    source: str, ids: tuple[str, ...], lead_ids: tuple[str, ...], everything: bool, yes: bool
) -> None:
    """Put entries of SOURCE back on the stream their worker reads.

    A lead goes back to the CRM (an upsert), a failed notification to its one channel,
    a photo to its download. Each entry moves in one Redis transaction (on SQS: sent,
    then deleted; a repeat of the send is dropped as a duplicate).

    Exits 1 when an asked-for entry or lead was not replayed (not found, or unusable).
    """
    from reference_server import held
    from reference_server import replay as replay_entries

    if bool(ids or lead_ids) == everything:
        raise click.UsageError("give --id ID or --lead LEAD (both repeatable), or --all")
    name = SOURCES[source]
    unknown_leads: list[str] = []

    async def work(queue: LeadQueue) -> ReplayReport | None:
        entries = await held(queue, name)
        by_lead = [e.id for e in entries if e.lead_id in lead_ids]
        unknown_leads.extend(
            lead for lead in lead_ids if not any(e.lead_id == lead for e in entries)
        )
        chosen = [*ids, *by_lead] if (ids or lead_ids) else [e.id for e in entries]
        if not chosen:
            return None
        if not yes:
            count = f"{len(chosen)} entr{'y' if len(chosen) == 1 else 'ies'}"
            # click.confirm blocks: fine, nothing else runs on this loop
            if not click.confirm(f"Replay {count} from {source}?"):
                raise click.Abort
        return await replay_entries(queue, name, ids=chosen)

    report = _run(work)
    for lead in unknown_leads:
        click.echo(f"no entry of lead {lead} in {source} (already replayed?)", err=True)
    if report is None:
        click.echo(f"nothing held in {source}")
        if unknown_leads:
            raise SystemExit(1)
        return
    for old, new in report.moved.items():
        click.echo(f"replayed {old} -> {report.target} {new}")
    for entry_id in report.missing:
        click.echo(f"not in {source} (already replayed?): {entry_id}", err=True)
    for entry_id, why in report.unusable.items():
        click.echo(f"left in {source}: {entry_id}: {why}", err=True)
    click.echo(f"{report.count} replayed from {source}", err=True)
    if report.missing or report.unusable or unknown_leads:
        raise SystemExit(1)
