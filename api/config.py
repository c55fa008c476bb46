"""Settings, read from the environment (and `.env`) and validated at start-up.

Each group reads its own prefix (`DATABASE_`, `REDIS_`, `AUTH_`, `META_`, ...), so the
variable names stay flat and familiar (`DATABASE_URL`, `META_APP_SECRET`) while the code
reads `settings.meta.app_secret`.
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_FILE = ".env"

# Values shipped in .env.example; refused outside development and test.
PLACEHOLDER_MARKERS = ("change-me", "dev-", "placeholder")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=ENV_FILE, extra="ignore", env_file_encoding="utf-8"
    )


class DatabaseSettings(BaseSettings):
    model_config = _config("DATABASE_")

    url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/parley"
    pool_size: int = Field(default=10, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    # Ping each pooled connection before use. With asyncpg that is three round trips
    # (BEGIN, ";", ROLLBACK) on every request and job; without it a connection broken by
    # a database restart fails its next use once, and that error discards every pooled
    # connection opened before it (a request answered 503, a job retried by arq).
    pool_pre_ping: bool = False
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _use_asyncpg(cls, value: str) -> str:
        for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value[len(prefix) :]
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError("DATABASE_URL must be a postgresql:// URL")
        return value


class RedisSettings(BaseSettings):
    model_config = _config("REDIS_")

    url: str = "redis://127.0.0.1:6379/0"


class AuthSettings(BaseSettings):
    model_config = _config("AUTH_")

    jwt_secret: str = Field(default="dev-jwt-secret-change-me", min_length=16)
    # Pinned: tokens are verified with this one algorithm only. HMAC only, since the key is
    # a shared secret (an RS/ES name here would invite algorithm-confusion mistakes).
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_minutes: int = Field(default=15, ge=1)
    refresh_token_days: int = Field(default=30, ge=1)
    # An invitation link works this long, once.
    invitation_ttl_hours: int = Field(default=72, ge=1)


class SecuritySettings(BaseSettings):
    """Hardening (api/security): rate limits, the sign-in lockout, response headers, request
    body limits and PostgreSQL row-level security.

    Rate limits are GCRA buckets in Redis shared by every api process: `*_per_minute` is
    the sustained rate and `*_burst` how many requests may come at once before it applies.
    A refused request gets 429 with `Retry-After`. Redis down: requests are let through
    (availability first) and a warning is logged.
    """

    model_config = _config("SECURITY_")

    rate_limits_enabled: bool = True
    # Every authenticated call, per user (access token) or per API key.
    api_per_minute: int = Field(default=1200, ge=1)
    api_burst: int = Field(default=300, ge=1)
    # POST /api/auth/login per client IP, and per email (whatever the outcome).
    login_ip_per_minute: int = Field(default=10, ge=1)
    login_ip_burst: int = Field(default=20, ge=1)
    login_email_per_minute: int = Field(default=6, ge=1)
    login_email_burst: int = Field(default=10, ge=1)
    # POST /api/auth/register per client IP (per hour: sign-ups are rare).
    register_ip_per_hour: int = Field(default=20, ge=1)
    register_ip_burst: int = Field(default=10, ge=1)
    # POST /api/auth/refresh per client IP (each open tab refreshes every few minutes).
    refresh_ip_per_minute: int = Field(default=60, ge=1)
    refresh_ip_burst: int = Field(default=60, ge=1)
    # GET/POST /api/invitations/{token}[/accept] per client IP (the token is the credential).
    invitation_ip_per_minute: int = Field(default=10, ge=1)
    invitation_ip_burst: int = Field(default=20, ge=1)
    # After this many failed sign-ins for one email within the window, that email is locked
    # for 2^(failures - threshold) seconds (capped), even with the right password. A
    # successful sign-in resets the count. Unknown emails are treated the same way.
    lockout_threshold: int = Field(default=5, ge=1)
    lockout_window_minutes: int = Field(default=15, ge=1)
    lockout_max_seconds: int = Field(default=900, ge=1)
    # Strict-Transport-Security is sent on requests that arrived over https (uvicorn
    # `--proxy-headers` behind a TLS proxy); `true` sends it on every response.
    hsts: bool = False
    hsts_max_age_seconds: int = Field(default=31_536_000, ge=0)
    # Request bodies above this are refused with 413 before they are read.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Meta batches webhook deliveries (payloads reach ~3 MB), so its route gets more.
    max_webhook_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # Swagger UI at /api/docs (loads its script from a CDN). Unset: on, except in production.
    # /api/openapi.json is always served.
    api_docs: bool | None = None
    # Authenticated requests run as the `parley_tenant` database role with the caller's
    # tenant set, so PostgreSQL's row-level security hides other tenants' rows even from a
    # query that forgot its tenant filter (defence in depth; migration 0011).
    row_level_security: bool = True


class EncryptionSettings(BaseSettings):
    """AES-256-GCM keys for secrets at rest, e.g. `ENCRYPTION_KEYS=k1:<base64 32 bytes>,k0:...`.

    New ciphertexts use `ENCRYPTION_ACTIVE_KEY_ID`; older key ids stay readable until
    every row has been re-encrypted, which is how keys rotate.
    """

    model_config = _config("ENCRYPTION_")

    keys: Annotated[dict[str, bytes], NoDecode] = Field(
        default_factory=lambda: {"dev": b"dev-only-key-change-me-32-bytes!"}
    )
    active_key_id: str = "dev"

    @field_validator("keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        keys: dict[str, bytes] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            key_id, sep, encoded = item.partition(":")
            if not sep or not key_id:
                raise ValueError("ENCRYPTION_KEYS entries look like <key id>:<base64 key>")
            try:
                keys[key_id] = base64.b64decode(encoded, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"ENCRYPTION_KEYS: key {key_id!r} is not base64") from exc
        return keys

    @model_validator(mode="after")
    def _check_keys(self) -> EncryptionSettings:
        for key_id, key in self.keys.items():
            if len(key) != 32:
                raise ValueError(f"ENCRYPTION_KEYS: key {key_id!r} must be 32 bytes")
        if self.active_key_id not in self.keys:
            raise ValueError("ENCRYPTION_ACTIVE_KEY_ID names no key in ENCRYPTION_KEYS")
        return self


class MetaSettings(BaseSettings):
    model_config = _config("META_")

    app_id: str = "100000000000001"
    app_secret: str = "dev-app-secret"  # noqa: S105 - refused in production
    verify_token: str = "dev-verify-token"  # noqa: S105 - refused in production
    graph_base_url: str = "http://127.0.0.1:8010"
    graph_version: str = Field(default="v25.0", pattern=r"^v\d+\.\d+$")
    graph_timeout_seconds: float = Field(default=10.0, gt=0)
    # Where browsers are sent to log in with Facebook (metasim's dialog in development).
    oauth_dialog_url: str = "https://www.facebook.com"
    # Facebook Login for Business configuration id; when set it replaces the scope list.
    login_config_id: str | None = None
    messenger_scopes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [
            "pages_show_list",
            "pages_manage_metadata",
            "pages_messaging",
            "pages_read_engagement",
            "business_management",
        ]
    )
    whatsapp_scopes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [
            "whatsapp_business_management",
            "whatsapp_business_messaging",
            "business_management",
        ]
    )

    @field_validator("messenger_scopes", "whatsapp_scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: object) -> object:
        if isinstance(value, str):
            return [scope.strip() for scope in value.split(",") if scope.strip()]
        return value

    @property
    def app_token(self) -> str:
        """The app access token (`app-id|app-secret`) for /debug_token."""
        return f"{self.app_id}|{self.app_secret}"


class WebhookSettings(BaseSettings):
    model_config = _config("WEBHOOK_")

    # Processed raw deliveries older than this are pruned (failed/dead ones are kept).
    retention_days: int = Field(default=30, ge=1)


class OutboundSettings(BaseSettings):
    """How fast Parley sends to Meta (meta-platform.md §4.5, §5.5). Token buckets in Redis,
    shared by every worker: per WhatsApp number, per Messenger page, and per WhatsApp
    recipient (the pair rate). `*_burst` is how many sends may go at once before the
    pacing applies; 1 means evenly spaced, never above the rate in any window."""

    model_config = _config("OUTBOUND_")

    # Cloud API throughput per registered number (80 by default; 20 for numbers shared
    # with the WhatsApp Business app; up to 1,000 after Meta's upgrade).
    whatsapp_per_second: float = Field(default=80.0, gt=0)
    whatsapp_burst: int = Field(default=1, ge=1)
    # Pair rate: about one message every 6 s from one number to the same user (131056);
    # Meta lets a burst borrow from that (reportedly up to 45), then paces the rest. 10
    # lets an agent send a few quick messages at once and stays well inside it.
    whatsapp_pair_interval_seconds: float = Field(default=6.0, ge=0)
    whatsapp_pair_burst: int = Field(default=10, ge=1)
    # Send API: 300 calls/s per page for text (10/s for audio and video attachments).
    messenger_per_second: float = Field(default=300.0, gt=0)
    messenger_burst: int = Field(default=1, ge=1)
    messenger_media_per_second: float = Field(default=10.0, gt=0)
    # Graph attempts per message before a retryable error becomes `failed`.
    max_attempts: int = Field(default=5, ge=1)
    # Exponential backoff between attempts: base * 2^(attempt-1), capped, with jitter.
    backoff_base_seconds: float = Field(default=2.0, gt=0)
    backoff_cap_seconds: float = Field(default=300.0, gt=0)


class OutgoingWebhookSettings(BaseSettings):
    """Webhooks Parley sends to integrators' endpoints (api/outgoing)."""

    model_config = _config("OUTGOING_WEBHOOKS_")

    # Development and tests only: accept http:// endpoint URLs (production: https only).
    allow_http: bool = False
    # Development and tests only: allow endpoints whose host resolves to a private,
    # loopback or link-local address (checked at registration and before every delivery).
    allow_private: bool = False
    # One delivery attempt: connect, send and the first 2 KB of the answer.
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Attempts per delivery (backoff 30 s, 2 min, 10 min, 1 h, 6 h, 12 h, 24 h), then failed.
    max_attempts: int = Field(default=8, ge=1, le=20)
    # Delivery log retention (daily prune).
    retention_days: int = Field(default=30, ge=1)
    # Each process caches a tenant's subscribed endpoints this long, so message ingest does
    # not query them on every event: a new, changed or disabled endpoint takes effect in
    # other processes within this many seconds (at once in the process that changed it).
    endpoint_cache_seconds: float = Field(default=5.0, ge=0)
    max_endpoints_per_tenant: int = Field(default=20, ge=1)


class WorkerHTTPSettings(BaseSettings):
    """Each arq worker serves a small HTTP server of its own: `/metrics`, `/healthz`
    (liveness: the worker's event loop answers) and `/readyz` (PostgreSQL and Redis answer,
    503 otherwise). A port of 0 turns it off."""

    model_config = _config("WORKER_")

    # 127.0.0.1 keeps it local (development); containers listen on 0.0.0.0.
    http_host: str = "127.0.0.1"
    # `arq worker.main.WorkerSettings`.
    http_port: int = Field(default=9101, ge=0, le=65535)
    # `arq worker.main.WebhookWorkerSettings`.
    webhook_http_port: int = Field(
        default=9102, ge=0, le=65535, validation_alias=AliasChoices("WEBHOOK_WORKER_HTTP_PORT")
    )


class MetricsSettings(BaseSettings):
    """Prometheus endpoints: `/metrics` on the api, the realtime gateway and each worker's
    HTTP server. With a token set, a scrape must send `Authorization: Bearer <token>`."""

    model_config = _config("METRICS_")

    token: SecretStr = SecretStr("")


class RealtimeSettings(BaseSettings):
    """The Socket.IO gateway. Every tenant event is kept in a Redis stream for a while so a
    client that reconnects can be sent exactly what it missed; a longer gap (more events
    than kept, or older) tells the client to refetch instead."""

    model_config = _config("REALTIME_")

    # Events kept per tenant for resume (approximate: Redis trims in whole blocks).
    retention_events: int = Field(default=1000, ge=1)
    # ... and for at most this long.
    retention_seconds: float = Field(default=600.0, gt=0)
    # A `typing:start` not followed by another within this time stops by itself.
    typing_timeout_seconds: float = Field(default=6.0, gt=0)
    # Each gateway renews its lease in Redis every third of this; when a gateway dies, its
    # sockets stop counting for presence and collision hints once the lease has expired.
    gateway_lease_seconds: float = Field(default=15.0, gt=0)


class StorageSettings(BaseSettings):
    """S3-compatible storage. Cloudflare R2 works with the Messenger seed's names
    (`R2_ACCOUNT_ID`, `R2_ACCESS_KEY_ID`, `R2_SECRET_ACCESS_KEY`, `R2_BUCKET`) or with an
    explicit `STORAGE_ENDPOINT_URL`; any other S3 server with its endpoint URL."""

    model_config = _config("STORAGE_")

    endpoint_url: str | None = None
    # Where browsers reach the store, if not the same URL (e.g. behind a proxy or CDN).
    public_endpoint_url: str | None = None
    r2_account_id: str | None = Field(
        default=None, validation_alias=AliasChoices("R2_ACCOUNT_ID", "STORAGE_R2_ACCOUNT_ID")
    )
    access_key_id: str = Field(
        default="", validation_alias=AliasChoices("STORAGE_ACCESS_KEY_ID", "R2_ACCESS_KEY_ID")
    )
    secret_access_key: str = Field(
        default="",
        validation_alias=AliasChoices("STORAGE_SECRET_ACCESS_KEY", "R2_SECRET_ACCESS_KEY"),
    )
    bucket: str = Field(
        default="parley-attachments", validation_alias=AliasChoices("STORAGE_BUCKET", "R2_BUCKET")
    )
    region: str = "auto"
    presign_seconds: int = Field(default=300, ge=30, le=7 * 24 * 3600)
    max_media_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    # Browser origins allowed to PUT uploads straight to the bucket (its CORS rules, set by
    # `python -m api.cli storage-setup`); empty: PUBLIC_BASE_URL's origin and CORS_ORIGINS.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Off when the bucket's CORS rules are managed elsewhere (e.g. R2's dashboard).
    manage_cors: bool = True
    # Uploads never attached to a message are deleted after this many hours.
    upload_retention_hours: int = Field(default=24, ge=1)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def resolved_endpoint_url(self) -> str | None:
        if self.endpoint_url:
            return self.endpoint_url
        if self.r2_account_id:
            return f"https://{self.r2_account_id}.r2.cloudflarestorage.com"
        return None  # AWS S3 itself


class MailSettings(BaseSettings):
    """Outgoing email (team invitations). `MAIL_SMTP_URL` empty: no email is sent and the
    SPA shows the invitation link to copy. `smtp://user:pass@host:587` sends with STARTTLS
    (required), `smtps://...:465` over TLS from the start; `?tls=none` allows a plain
    connection (a local test server only: credentials would travel in clear)."""

    model_config = _config("MAIL_")

    smtp_url: str = ""
    from_address: str = Field(
        default="", validation_alias=AliasChoices("MAIL_FROM", "MAIL_FROM_ADDRESS")
    )
    timeout_seconds: float = Field(default=15.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> MailSettings:
        if not self.smtp_url:
            return self
        if not self.smtp_url.startswith(("smtp://", "smtps://")):
            raise ValueError("MAIL_SMTP_URL must be an smtp:// or smtps:// URL")
        if "@" not in self.from_address:
            raise ValueError("MAIL_FROM (the sender address) is required with MAIL_SMTP_URL")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.smtp_url)


class DataSettings(BaseSettings):
    """Data rights: the trash (soft-deleted conversations and contacts) and data exports."""

    model_config = _config("DATA_")

    # Deleted conversations and contacts stay restorable this long, then are purged.
    trash_retention_days: int = Field(default=30, ge=1)
    # A finished export archive can be downloaded this long, then it is deleted.
    export_retention_days: int = Field(default=7, ge=1)


class LegalSettings(BaseSettings):
    """What the public legal pages (privacy policy, terms, data deletion) name."""

    model_config = _config("LEGAL_")

    company_name: str = "Parley"
    contact_email: str = "privacy@example.com"


class TracingSettings(BaseSettings):
    """OpenTelemetry traces (api.observability.tracing), exported over OTLP/HTTP. Off while
    `TRACING_OTLP_ENDPOINT` is empty."""

    model_config = _config("TRACING_")

    # An OTLP/HTTP receiver: `http://collector:4318` (`/v1/traces` is added) or a full URL.
    otlp_endpoint: str = ""
    # Empty: `parley-api`, `parley-worker`, `parley-webhook-worker`, `parley-realtime`.
    service_name: str = ""
    # The share of traces kept (decided where a trace starts; jobs follow their request).
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)

    @field_validator("otlp_endpoint")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("TRACING_OTLP_ENDPOINT must be an http:// or https:// URL")
        return value


class Settings(BaseSettings):
    model_config = _config("")

    environment: Environment = Environment.PRODUCTION
    public_base_url: str = "http://localhost:8000"
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    # `json`: one JSON object per line (for log collectors); `console`: readable lines;
    # `auto`: console in development, json otherwise.
    log_format: Literal["auto", "json", "console"] = "auto"

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    encryption: EncryptionSettings = Field(default_factory=EncryptionSettings)
    meta: MetaSettings = Field(default_factory=MetaSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    outbound: OutboundSettings = Field(default_factory=OutboundSettings)
    realtime: RealtimeSettings = Field(default_factory=RealtimeSettings)
    workers: WorkerHTTPSettings = Field(default_factory=WorkerHTTPSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    outgoing_webhooks: OutgoingWebhookSettings = Field(default_factory=OutgoingWebhookSettings)
    data: DataSettings = Field(default_factory=DataSettings)
    legal: LegalSettings = Field(default_factory=LegalSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _explicit_origins(cls, value: list[str]) -> list[str]:
        """An explicit allowlist of origins (`https://host[:port]`), never a wildcard."""
        value = [origin.rstrip("/") for origin in value]
        for origin in value:
            if "*" in origin or origin.lower() == "null":
                raise ValueError("CORS_ORIGINS lists origins explicitly; no wildcard or null")
            scheme, sep, host = origin.partition("://")
            if scheme not in ("http", "https") or not sep or not host or "/" in host:
                raise ValueError(f"CORS_ORIGINS: {origin!r} is not an origin like https://host")
        return value

    @property
    def api_docs_enabled(self) -> bool:
        if self.security.api_docs is not None:
            return self.security.api_docs
        return self.environment is not Environment.PRODUCTION

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.environment is not Environment.PRODUCTION:
            return self
        secrets = {
            "AUTH_JWT_SECRET": self.auth.jwt_secret,
            "META_APP_SECRET": self.meta.app_secret,
            "META_VERIFY_TOKEN": self.meta.verify_token,
            **{
                f"ENCRYPTION_KEYS[{k}]": v.decode("latin-1")
                for k, v in self.encryption.keys.items()
            },
        }
        for name, value in secrets.items():
            if any(marker in value for marker in PLACEHOLDER_MARKERS):
                raise ValueError(f"{name} holds a placeholder value; set a real secret")
        if len(self.auth.jwt_secret) < 32:
            raise ValueError("AUTH_JWT_SECRET must be at least 32 characters in production")
        return self

    @property
    def is_development(self) -> bool:
        return self.environment is Environment.DEVELOPMENT

    @property
    def resolved_log_format(self) -> Literal["json", "console"]:
        if self.log_format != "auto":
            return self.log_format
        return "console" if self.is_development else "json"

    @property
    def storage_cors_origins(self) -> list[str]:
        """The origins browsers upload from: STORAGE_CORS_ORIGINS, else the SPA's own
        (PUBLIC_BASE_URL, and CORS_ORIGINS when the SPA is served from elsewhere)."""
        if self.storage.cors_origins:
            return list(self.storage.cors_origins)
        origins = [origin_of(self.public_base_url), *self.cors_origins]
        if self.is_development:  # the dev server answers on both loopback names
            origins += [o.replace("//localhost", "//127.0.0.1") for o in origins]
            origins += [o.replace("//127.0.0.1", "//localhost") for o in origins]
        return list(dict.fromkeys(o.rstrip("/") for o in origins if o))

    @property
    def graph_url(self) -> str:
        return f"{self.meta.graph_base_url.rstrip('/')}/{self.meta.graph_version}"


def origin_of(url: str) -> str:
    """`https://inbox.example.com/app/` → `https://inbox.example.com`."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else ""


@lru_cache
def get_settings() -> Settings:
    return Settings()
