"""Configuration from environment variables (prefix ``FLOWHARNESS_``); see ``.env.example``.

``reference_server._configuration.load_settings`` reads them (and an env file) and
reports every missing or malformed one at once.
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from reference_server.exceptions import ConfigurationError


class Settings(BaseSettings):
    """Everything the endpoint and the worker read; lists come as JSON in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="FLOWHARNESS_",
        env_file=None,
        extra="ignore",
        populate_by_name=True,
        # lists arrive as text and are decoded by _decode_json below: a malformed one is
        # then a validation error of its own field, reported with all the others
        enable_decoding=False,
    )

    # -- the Flows envelope ---------------------------------------------------------
    private_keys: list[SecretStr] = Field(default_factory=list)
    """PEM texts, current key first, then the keys being retired."""
    private_key_files: list[Path] = Field(default_factory=list)
    """PEM files, tried after ``private_keys``."""
    private_key_passphrase: SecretStr | None = None
    app_secrets: list[SecretStr] = Field(default_factory=list)
    """Secrets for ``X-Hub-Signature-256``: the current one first, the old one while rotating."""
    max_body_bytes: int = Field(default=2_000_000, gt=0)
    supported_versions: list[str] = Field(default_factory=lambda: ["3.0", "4.0"])

    # -- flow tokens ----------------------------------------------------------------
    flow_token_secrets: list[SecretStr] = Field(default_factory=list)
    """HMAC keys for flow tokens: the first signs, every one verifies (rotation)."""
    flow_token_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    default_flow_id: str = ""
    flow_ids: list[str] = Field(default_factory=list)
    """The flows this endpoint serves (with ``default_flow_id``): a token minted for any
    other flow gets 427. None at all: every flow's token is accepted, with a warning."""
    default_source: str = "whatsapp_flow"

    # -- storage ------------------------------------------------------------------
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("FLOWHARNESS_REDIS_URL", "REDIS_URL", "redis_url"),
    )
    """Unset: an embedded fakeredis server, one per app (tests, demos)."""
    redis_timeout_seconds: float = Field(default=1.0, gt=0)
    """Connect and reply timeout of a Redis command (the worker adds its blocking read)."""
    redis_allow_no_persistence: bool = False
    """Start even when Redis has neither AOF nor RDB (a restart then loses queued leads)."""
    idempotency_ttl_seconds: int = Field(default=300, gt=0)
    idempotency_wait_seconds: float = Field(default=2.0, gt=0)
    stream_prefix: str = "leads"
    spool_path: Path = Path("flowharness-spool.sqlite3")
    """SQLite file (fsync'd) holding confirmed leads while Redis cannot take them; drained
    into the stream when it returns. Used with ``redis_url`` (the embedded Redis cannot fail)."""

    # -- queue backend (see reference_server/_sqs_queue.py) ---------------------------
    queue: Literal["redis", "sqs"] = "redis"
    """Where confirmed leads and the worker's jobs wait: Redis Streams, or Amazon SQS FIFO
    queues (``pip install 'flowharness[sqs]'``); idempotency stays in Redis either way."""
    sqs_endpoint_url: str | None = None
    """Unset: AWS's own endpoint for the region; set for a local SQS (moto, ElasticMQ)."""
    sqs_region: str | None = None
    """Unset: the region of the usual AWS environment and config (``AWS_REGION``)."""
    sqs_queue_prefix: str = "flowharness-leads"
    """Queue names are ``<prefix>-incoming.fifo``, ``-dead.fifo``, ``-parked.fifo``, ..."""
    sqs_queue_names: dict[str, str] = Field(default_factory=dict)
    """Names that differ from the prefix's, by label (JSON object), e.g.
    ``{"incoming": "crm-leads.fifo", "dead": "crm-leads-dlq.fifo"}``."""
    sqs_create_queues: bool = True
    """Create missing queues (FIFO, redrive policy) at start; false: refuse, naming them."""
    sqs_max_receive_count: int = Field(default=10, ge=2, le=1000)
    """The redrive policy of queues created here: receives before SQS dead-letters an entry."""
    sqs_timeout_seconds: float = Field(default=1.0, gt=0)
    """Connect and read timeout of one SQS call (the worker adds its long poll)."""

    # -- cleaning and CRM -----------------------------------------------------------
    default_region: str = "US"
    crm: Literal["hubspot", "salesforce", "sql"] = "hubspot"
    crm_timeout_seconds: float = Field(default=30.0, gt=0)
    crm_mapping_file: Path | None = None
    """A JSON field mapping replacing the bundled one of ``crm`` (``mappings/<crm>.json``)."""
    hubspot_base_url: str = "https://api.hubapi.com"
    hubspot_token: SecretStr | None = None
    hubspot_id_property: str | None = None
    """A unique contact property: upsert with batch/upsert; unset: search by phone, then write."""
    salesforce_login_url: str = "https://login.salesforce.com"
    salesforce_instance_url: str | None = None
    """Overrides the token answer's ``instance_url`` (rarely needed)."""
    salesforce_client_id: str | None = None
    salesforce_client_secret: SecretStr | None = None
    salesforce_username: str | None = None
    salesforce_password: SecretStr | None = None
    """Set with the username to use the password flow instead of client credentials."""
    salesforce_api_version: str = "v60.0"
    salesforce_external_id_field: str = "WhatsApp_Phone__c"
    sql_url: str = "flowharness-leads.sqlite3"
    """The SQL CRM's database: a SQLite file path (WAL mode) or ``postgresql://...``."""
    sql_record_url_template: str | None = None
    """Links to a lead row in notifications and alerts: ``{id}`` is the row's id, e.g.
    ``https://crm.example.com/leads/{id}``. Unset: no link."""
    sql_migrate: bool = True
    """The worker brings the schema up to date at start; false: run ``flowharness db upgrade``."""

    # -- worker ---------------------------------------------------------------------
    run_worker: bool = False
    """Run the worker inside the app's event loop (``flowharness serve --with-worker``)."""
    retry_max_attempts: int = Field(default=8, ge=1)
    """With the delays below, about a minute of retries before a lead is dead-lettered."""
    retry_base_delay_seconds: float = Field(default=0.5, ge=0)
    retry_max_delay_seconds: float = Field(default=30.0, ge=0)
    reclaim_min_idle_ms: int = Field(default=60_000, ge=0)
    worker_block_ms: int = Field(default=1000, ge=1)
    worker_concurrency: int = Field(default=32, ge=1)
    """CRM writes one worker keeps in flight (one person's leads stay in order, one at a
    time); at 10 s per CRM call, 32 move about 1.6 leads a second."""

    # -- operations alerts ------------------------------------------------------------
    slack_webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    alert_email_from: str = "flowharness@localhost"
    alert_email_to: list[str] = Field(default_factory=list)
    alert_teams_webhook_url: str | None = None
    """A Teams incoming webhook for operations alerts, beside Slack and email."""

    # -- notifications after the CRM confirms (each optional) ---------------------------
    notify_slack_webhook_url: str | None = None
    notify_teams_webhook_url: str | None = None
    notify_email_to: list[str] = Field(default_factory=list)
    """Sent through the SMTP settings above."""
    notify_whatsapp_to: str | None = None
    """A staff number (E.164) told through the Cloud API settings below."""
    notify_wasender_base_url: str = "https://www.wasenderapi.com/api"
    notify_wasender_api_key: SecretStr | None = None
    """A WASenderApi session's API key (Bearer): staff hear of leads on WhatsApp through it."""
    notify_wasender_to: list[str] = Field(default_factory=list)
    """Staff numbers (E.164) WASenderApi messages go to."""
    notify_max_attempts: int = Field(default=3, ge=1)
    notify_dedupe_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    """How long a lead remembers which channels were told (a reclaimed job skips them)."""
    hubspot_app_url: str = "https://app.hubspot.com"
    hubspot_portal_id: str | None = None
    """Needed to link HubSpot records in notifications."""

    # -- completion webhook (GET verification, signed POST) -------------------------------
    webhook_verify_token: SecretStr | None = None
    """``hub.verify_token`` expected when Meta verifies ``GET /webhook``."""
    webhook_dedupe_seconds: int = Field(default=40 * 3600, gt=0)
    """Meta retries deliveries for up to 36 h: remember message ids a bit longer."""

    # -- sending flows (Cloud API) -----------------------------------------------------
    admin_token: SecretStr | None = None
    """Bearer token for ``POST /flows/send``; unset: the route answers 503."""
    cloud_api_url: str = "https://graph.facebook.com"
    cloud_api_version: str = "v21.0"
    cloud_api_token: SecretStr | None = None
    phone_number_id: str | None = None
    flow_cta: str = "Get started"
    media_max_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    """Follow-up photos larger than this are not attached to the CRM record."""

    # -- logging ------------------------------------------------------------------
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("*", mode="before")
    @classmethod
    def _decode_json(cls, value: Any, info: ValidationInfo) -> Any:
        """Lists (and other structured settings) are JSON in the environment."""
        field = cls.model_fields.get(info.field_name or "")
        if not isinstance(value, str) or field is None or not _is_structured(field.annotation):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError("is not JSON (lists are written as JSON)") from None

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if len(self.default_region) != 2:
            raise ConfigurationError(
                "default_region must be a two-letter region code like 'US', "
                f"not {self.default_region!r}"
            )
        if "3.0" not in self.supported_versions:
            # WhatsApp's health check is always version 3.0: without it no ping passes
            raise ConfigurationError(
                "supported_versions must include '3.0' (the health-check ping always uses it), "
                f"got {self.supported_versions!r}; fix FLOWHARNESS_SUPPORTED_VERSIONS"
            )
        return self

    def served_flow_ids(self) -> frozenset[str]:
        """The flows this endpoint answers for; empty: any flow."""
        return frozenset([*self.flow_ids, self.default_flow_id]) - {""}

    def private_key_pems(self) -> list[bytes]:
        pems = [k.get_secret_value().encode() for k in self.private_keys]
        for path in self.private_key_files:
            try:
                pems.append(path.read_bytes())
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot read private key file {path}: {exc.strerror}; "
                    "fix FLOWHARNESS_PRIVATE_KEY_FILES"
                ) from exc
        if not pems:
            raise ConfigurationError(
                "no private key: set FLOWHARNESS_PRIVATE_KEY_FILES (JSON list of PEM paths) "
                "or FLOWHARNESS_PRIVATE_KEYS"
            )
        return pems

    def app_secret_values(self) -> list[str]:
        if not self.app_secrets:
            raise ConfigurationError("no app secret: set FLOWHARNESS_APP_SECRETS (JSON list)")
        return [s.get_secret_value() for s in self.app_secrets]

    def flow_token_secret_values(self) -> list[str]:
        if not self.flow_token_secrets:
            raise ConfigurationError(
                "no flow token secret: set FLOWHARNESS_FLOW_TOKEN_SECRETS (JSON list)"
            )
        return [s.get_secret_value() for s in self.flow_token_secrets]


def _is_structured(annotation: Any) -> bool:
    """A list, set, tuple or dict type (optional or not): its value is JSON text."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_structured(arg) for arg in typing.get_args(annotation))
    return origin in (list, set, frozenset, tuple, dict) or annotation in (list, dict)
