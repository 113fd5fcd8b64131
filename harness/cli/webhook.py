"""``flowharness webhook``: play WhatsApp's Flows webhooks to a team's receiver."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from harness.cli._options import app_secret_option
from harness.webhooks import (
    ALERT_EVENTS,
    FLOW_STATUSES,
    Delivery,
    WebhookError,
    WebhookSender,
    completion_notification,
    flows_notification,
    health_alert,
    status_change,
)

F = TypeVar("F", bound=Callable[..., Any])
EVENTS = ("completion", "FLOW_STATUS_CHANGE", *ALERT_EVENTS)


@click.group()
def webhook() -> None:
    """Send the webhooks WhatsApp sends around a flow, signed and retried like Meta."""


def delivery_options(command: F) -> F:
    """--retries, --backoff, --timeout, --duplicates, --signature for a sending command."""
    options = [
        click.option(
            "--retries", type=click.IntRange(min=0), default=3, show_default=True,
            help="Extra attempts after a non-200 answer or no answer (Meta keeps retrying).",
        ),
        click.option(
            "--backoff", type=click.FloatRange(min=0), default=1.0, show_default=True,
            help="Seconds before the first retry; each next wait doubles (Meta waits hours).",
        ),
        click.option(
            "--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
            show_default=True, help="Seconds to wait for each answer.",
        ),
        click.option(
            "--duplicates", type=click.IntRange(min=0), default=0, show_default=True,
            help="Deliver the same notification again N times after a 200: the receiver "
            "must answer 200 and handle it once.",
        ),
        click.option(
            "--signature", type=click.Choice(["valid", "bad", "missing"]), default="valid",
            show_default=True, help="Sign as Meta does, with a wrong secret, or not at all.",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


@webhook.command()
@click.argument("url")
@app_secret_option
@click.option(
    "--event",
    type=click.Choice(EVENTS, case_sensitive=False),
    default="completion",
    show_default=True,
    help="completion: the nfm_reply messages webhook of a finished flow; the others go "
    "in the flows field.",
)
@click.option(
    "--response-json",
    metavar="JSON|FILE",
    help='completion: the SUCCESS params, e.g. \'{"lead_reference": "L1"}\' (flow_token added).',
)
@click.option("--flow-token", metavar="TOKEN", help="completion: the flow token to report.")
@click.option(
    "--from", "wa_id", default="16505551234", show_default=True, metavar="DIGITS",
    help="completion: the person's WhatsApp number, digits only.",
)  # fmt: skip
@click.option("--message-id", metavar="WAMID", help="completion: reuse a message id (dedup tests).")
@click.option("--flow-id", default="1234567890", show_default=True, help="The flow's id.")
@click.option(
    "--old-status", type=click.Choice(FLOW_STATUSES), default="PUBLISHED", show_default=True
)
@click.option(
    "--new-status", type=click.Choice(FLOW_STATUSES), default="THROTTLED", show_default=True
)
@click.option(
    "--alert-state", type=click.Choice(["ACTIVATED", "DEACTIVATED"]), default="ACTIVATED",
    show_default=True,
)  # fmt: skip
@click.option("--threshold", type=int, help="Alerts: which threshold (default Meta's example).")
@click.option(
    "--body", "body_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Send this notification file as is (signed), instead of building one.",
)  # fmt: skip
@delivery_options
@click.option("--json", "as_json", is_flag=True, help="Print the delivery as JSON.")
def send(url: str, app_secret: str | None, as_json: bool, **options: Any) -> None:
    """Post a signed WhatsApp webhook notification to the receiver at URL.

    Only a 200 counts as delivered; anything else is retried with backoff, carrying the
    same bytes and message id, so the receiver's deduplication is exercised. Exits 0
    when the notification was delivered.
    """
    notification = _notification(options)
    sender = _sender(url, app_secret, options)
    try:
        delivery = sender.deliver(notification, duplicates=options["duplicates"])
    except WebhookError as exc:
        raise click.ClickException(str(exc)) from exc
    _report(delivery, as_json)
    raise SystemExit(0 if delivery.delivered else 1)


@webhook.command()
@click.argument("url")
@click.option(
    "--verify-token", required=True, envvar="FLOWHARNESS_VERIFY_TOKEN", show_envvar=True,
    help="The verify token set in the app dashboard.",
)  # fmt: skip
@click.option("--challenge", help="The hub.challenge to send (default: a random number).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify(
    url: str, verify_token: str, challenge: str | None, timeout: float, as_json: bool
) -> None:
    """Send Meta's subscription check (GET ?hub.mode=subscribe&hub.challenge&hub.verify_token).

    The receiver must echo the challenge for the right token and refuse a wrong one
    (403). Exits 0 when it does both.
    """
    sender = WebhookSender(url, None, signature="missing", timeout=timeout)
    result = sender.verify(verify_token, challenge=challenge)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        mark = "ok" if result.echoed else "FAILED"
        click.echo(f"GET {url} with the right token: {result.attempt.describe()} -> {mark}")
        refused = "refused" if result.refused_wrong_token else "ACCEPTED (it must be refused)"
        click.echo(f"with a wrong token: {result.wrong_token.describe()} -> {refused}")
        if not result.echoed:
            click.echo(f"expected status 200 and the body {result.challenge!r}", err=True)
    raise SystemExit(0 if result.passed else 1)


def _sender(url: str, app_secret: str | None, options: dict[str, Any]) -> WebhookSender:
    try:
        return WebhookSender(
            url,
            app_secret,
            retries=options["retries"],
            backoff=options["backoff"],
            timeout=options["timeout"],
            signature=options["signature"],
        )
    except WebhookError as exc:
        raise click.UsageError(f"{exc} (set FLOWHARNESS_APP_SECRET or pass --app-secret)") from exc


def _notification(options: dict[str, Any]) -> dict[str, Any] | bytes:
    if options["body_file"] is not None:
        return Path(options["body_file"]).read_bytes()
    event = options["event"].upper() if options["event"] != "completion" else "completion"
    try:
        if event == "completion":
            response = _response_json(options["response_json"])
            if options["flow_token"] is not None:
                response["flow_token"] = options["flow_token"]
            response.setdefault("flow_token", "flowharness-webhook")
            return completion_notification(
                response, wa_id=options["wa_id"], message_id=options["message_id"]
            )
        if event == "FLOW_STATUS_CHANGE":
            value = status_change(options["flow_id"], options["new_status"], options["old_status"])
        else:
            value = health_alert(
                event,
                options["flow_id"],
                alert_state=options["alert_state"],
                threshold=options["threshold"],
            )
    except WebhookError as exc:
        raise click.BadParameter(str(exc)) from exc
    return flows_notification(value)


def _response_json(value: str | None) -> dict[str, Any]:
    if value is None:
        return {}
    text = value
    if not value.lstrip().startswith("{") and Path(value).is_file():
        text = Path(value).read_text(encoding="utf-8")
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--response-json") from exc
    if not isinstance(loaded, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--response-json")
    return loaded


def _report(delivery: Delivery, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(delivery.to_dict(), indent=2, ensure_ascii=False))
        return
    print_delivery(delivery)


def print_delivery(delivery: Delivery, *, prefix: str = "") -> None:
    """One line per attempt, then the verdict (used by `webhook send` and `walk --webhook`)."""
    click.echo(f"{prefix}POST {delivery.url} ({len(delivery.body)} bytes, signed)")
    for attempt in delivery.attempts:
        click.echo(f"{prefix}  {attempt.describe()}")
    if delivery.delivered:
        click.secho(f"{prefix}delivered", fg="green")
    else:
        click.secho(
            f"{prefix}NOT delivered: Meta would keep retrying this notification for hours",
            fg="red",
        )
