"""The lead pipeline run the way a user deploys it, with the shipped defaults.

A redis-server with AOF, ``flowharness mocks up``, ``flowharness serve`` and the worker
as its own process (two, in the second test), every setting at its documented default
but the addresses and secrets; each test twice: the queue on Redis Streams (the
default), and on SQS (moto's server) with ``FLOWHARNESS_QUEUE=sqs`` added. Leads go
in through the Flow client over HTTP; each is then found in the CRM, in the sales Slack
channel, in the sales inbox and in the staff WhatsApp chat, with its own data and its
record link.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from mocks._core import LatencyFault

from ._deployment import (
    OPS_INBOX,
    OPS_TEAM,
    SALES_INBOX,
    SALES_TEAM,
    Person,
    deployed,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.redis_server]
QUEUES = ["redis", pytest.param("sqs", marks=pytest.mark.sqs)]


@pytest.mark.parametrize("queue", QUEUES)
def test_leads_reach_the_crm_and_every_channel_with_the_shipped_defaults(
    tmp_path, private_key, app_secret, queue
):
    people = [Person(n) for n in range(1, 13)]
    with deployed(tmp_path, private_key, app_secret, queue=queue) as d:
        results = asyncio.run(d.submit(people, concurrency=4))
        assert all(r.answered for r in results.values()), results
        assert all(s == 200 for r in results.values() for s in r.statuses)

        def everything_arrived() -> bool:
            return (
                len(d.contacts()) == len(people)
                and len(d.slack(SALES_TEAM)) == len(people)
                and len(d.emails(SALES_INBOX)) == len(people)
                and len(d.whatsapp()) == len(people)
            )

        wait_for(everything_arrived, 90, "every lead in the CRM and on every channel")
        contacts = {c.properties["phone"]: c for c in d.contacts()}
        slack = [m.text or "" for m in d.slack(SALES_TEAM)]
        mails = [m.text or "" for m in d.emails(SALES_INBOX)]
        chats = [m.payload["text"]["body"] for m in d.whatsapp()]
        for person in people:
            reference = results[person.n].reference
            contact = contacts[person.phone]
            props = contact.properties
            assert (props["firstname"], props["lastname"]) == (person.first_name, person.last_name)
            assert (props["email"], props["flow_lead_reference"]) == (person.email, reference)
            for channel in (slack, mails, chats):
                (text,) = [t for t in channel if reference and reference in t]
                assert contact.url in text  # the record link staff click
                assert person.email not in text
                assert person.phone[3:] not in text
        sizes = d.sizes()
        assert sizes == dict.fromkeys(sizes, 0)  # nothing waiting, in flight or held
        assert d.slack(OPS_TEAM) == []
        assert d.emails(OPS_INBOX) == []
        for child in d.children:
            assert "Traceback" not in child.output(1_000_000), child.name
            assert "Logging error" not in child.output(1_000_000), child.name


@pytest.mark.parametrize("queue", QUEUES)
def test_two_worker_processes_share_the_work(tmp_path, private_key, app_secret, queue):
    people = [Person(n) for n in range(100, 160)]
    with deployed(tmp_path, private_key, app_secret, workers=2, queue=queue) as d:
        with d.admin("hubspot") as admin:  # slow enough that both workers get their share
            admin.add_fault(LatencyFault(seconds=0.3), method="POST", path="/crm/v3/*")
        results = asyncio.run(d.submit(people, concurrency=8))
        assert all(r.answered for r in results.values())

        def written() -> list[int]:
            """Per worker, the leads it logged as written (after the CRM answered)."""
            return [
                sum(
                    1
                    for line in w.output(10_000_000).splitlines()
                    if line.startswith("{")
                    and json.loads(line)["message"] == "lead written to the CRM"
                )
                for w in d.workers
            ]

        wait_for(lambda: sum(written()) >= len(people), 120, "every lead written")
        written_by = written()
        print(f"leads written per worker process: {written_by}")
        assert all(n > 0 for n in written_by), written_by
        assert sum(written_by) == len(people)  # each lead once, by one of them
        phones = sorted(c.properties["phone"] for c in d.contacts())
        assert phones == sorted(p.phone for p in people)


@pytest.mark.parametrize("queue", QUEUES)
def test_serve_with_worker_writes_every_lead_at_the_default_log_level(
    tmp_path, private_key, app_secret, queue
):
    # the worker in the endpoint's own event loop once died silently on its first lead
    people = [Person(n) for n in range(200, 220)]
    with deployed(
        tmp_path, private_key, app_secret, workers=0, serve_options=["--with-worker"], queue=queue
    ) as d:
        results = asyncio.run(d.submit(people, concurrency=4))
        assert all(r.answered for r in results.values())
        wait_for(lambda: len(d.contacts()) == len(people), 90, "every lead in the CRM")
        wait_for(lambda: len(d.slack(SALES_TEAM)) == len(people), 60, "every staff notice")
        assert httpx.get(f"{d.url}healthz", timeout=5).json() == {"status": "ok"}
        assert d.endpoint is not None
        assert "Traceback" not in d.endpoint.output(1_000_000)
