"""Settings from the environment (prefix ``GATEWAY_``) and an optional ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# RFC 7518 section 3.2: an HMAC key at least as long as the hash (PyJWT only warns below it).
HMAC_KEY_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
BEARER_SECRET_BYTES = 32  # shared bearer secrets (the metrics token)


def require_secret_bytes(where: str, value: str, minimum: int) -> None:
    """``ValueError`` naming ``where`` when ``value`` is shorter than ``minimum`` UTF-8 bytes."""
    size = len(value.encode("utf-8", "surrogateescape"))
    if size < minimum:
        raise ValueError(
            f"{where} must be at least {minimum} bytes (it has {size}); generate one with"
            ' python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )


class ConfigurationError(RuntimeError):
    """Settings that are valid one by one but cannot work (e.g. production without a JWT
    secret). The message names the setting; ``gateway`` prints it as one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./gateway.db"
    db_pool_size: int = Field(default=20, ge=1, le=200)  # per worker, both databases
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    db_pool_recycle_seconds: int = Field(default=1800, ge=-1)
    db_statement_timeout_ms: int = Field(default=15_000, ge=0)  # PostgreSQL; 0 = none
    db_echo: bool = False
    # A write that loses a race with a concurrent one runs again, this many times in all,
    # before it answers 503 (app/db.py, retry_races).
    write_attempts: int = Field(default=8, ge=1, le=50)
    # Idempotency-Key: how long a stored outcome is replayed (then purged).
    idempotency_ttl_seconds: int = Field(default=86_400, ge=60, le=30 * 86_400)
    # The outbox relay: how often it runs; how long a writer has to publish its own events
    # before the relay publishes them; how long published events are kept.
    outbox_relay_seconds: float = Field(default=1.0, gt=0, le=60)
    outbox_lease_seconds: float = Field(default=10.0, gt=0, le=3600)
    outbox_retention_seconds: int = Field(default=7 * 86_400, ge=60)
    # Benchmark switch: false loads every relation key on its own (shows the N+1 cost).
    dataloader_batching: bool = True
    # GraphQL execution plans (schema/plans.py); false runs graphql-core alone.
    graphql_compiled: bool = True
    # Differential tests only: a request may ask for graphql-core without the plan with
    # the header X-Gateway-Executor: graphql-core. Refused in production.
    graphql_executor_switch: bool = False

    # Authentication. In development a secret is generated and stored beside the database
    # when none is configured; production refuses to start without one. Secrets shorter
    # than the algorithm's hash (HMAC_KEY_BYTES: 32 bytes for HS256) are refused.
    jwt_secret: SecretStr | None = None
    # Where the generated development secret is kept (default: beside the SQLite file; for
    # PostgreSQL in $XDG_STATE_HOME/gateway/, see app.auth.secret_file_for).
    jwt_secret_file: Path | None = None
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    jwt_issuer: str = "gateway"
    jwt_audience: str = "gateway"
    token_ttl_seconds: int = Field(default=8 * 3600, ge=60)
    # How long authentication remembers that a caller's person exists (app.auth.KnownPeople);
    # a deletion is forgotten at once however long this is. 0 looks the person up each time.
    auth_cache_seconds: float = Field(default=30.0, ge=0, le=3600)

    # Developer surfaces: on in development, off in production unless enabled.
    graphiql: bool | None = None
    introspection: bool | None = None

    # Request limits.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_page_size: int = Field(default=100, ge=1, le=1000)

    # Logs and metrics. log_format "auto" = JSON lines in production, console otherwise.
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    configure_logging: bool = True
    metrics_token: SecretStr | None = None
    otel_enabled: bool = False  # OTLP/HTTP exporter, endpoint from OTEL_EXPORTER_OTLP_* vars
    otel_service_name: str = "gateway"

    # Rate limits ("N/second|minute|hour"), shared through Redis when redis_url is set.
    rate_limit_enabled: bool = True
    rate_limit_per_ip: str = "600/minute"
    rate_limit_per_principal: str = "300/minute"
    rate_limit_auth_failures: str = "20/minute"
    redis_url: str | None = None
    redis_key_prefix: str = "gateway"
    # Subscriptions across workers: memory (one process), postgres (LISTEN/NOTIFY), redis;
    # auto = memory for one worker, postgres for several on PostgreSQL (events_backend_for).
    events_backend: Literal["auto", "memory", "postgres", "redis"] = "auto"
    request_timeout_seconds: float = Field(default=30.0, gt=0)

    # Persisted queries: off, apq (Apollo automatic persisted queries), allowlist (only the
    # operations in the JSON file {sha256: query} at persisted_query_allowlist may run).
    persisted_queries: Literal["off", "apq", "allowlist"] = "apq"
    persisted_query_allowlist: str | None = None

    # GraphQL limits, checked before execution (QUERY_TOO_COMPLEX).
    graphql_max_depth: int = Field(default=10, ge=1)
    graphql_max_aliases: int = Field(default=15, ge=0)
    graphql_max_tokens: int = Field(default=2000, ge=10)
    graphql_max_document_chars: int = Field(default=15_000, ge=100)
    graphql_max_cost: int = Field(default=5000, ge=1)
    graphql_max_operations: int = Field(default=5, ge=1)
    graphql_max_directives: int = Field(default=10, ge=0)
    graphql_max_fields: int = Field(default=300, ge=1)

    # Follow-up defaults for organisations without their own thresholds (days).
    reminder_days: int = Field(default=10, ge=1)
    escalation_days: int = Field(default=20, ge=1)

    # Editorial (CEO v3): seconds an exclusive lock lasts unless its holder renews it.
    editorial_lock_ttl_seconds: int = Field(default=1800, ge=1, le=86_400)
    # Announce lock expiries (EXPIRED on lockChanged) from this serving process.
    editorial_lock_expiry_events: bool = True

    # Activities: most queued inserts one syncActivities call may carry.
    activity_sync_max_items: int = Field(default=100, ge=1, le=1000)

    # Mentoring: seconds between follow-up sweeps inside `gateway serve` (0: no periodic
    # sweep; run `gateway followups run` from a scheduler instead).
    followup_interval_seconds: int = Field(default=0, ge=0, le=86_400)

    # Notification delivery (app/services/deliveries.py): seconds between delivery passes
    # inside `gateway serve` (0: none; run `gateway deliveries run` from a scheduler); the
    # attempts before a delivery is dead-lettered; the backoff before attempt n+1, a random
    # time between half and all of min(base * 2**(n-1), max); how long a claim lasts (a
    # worker killed mid-delivery leaves it to expire); a webhook's timeout; the most
    # deliveries one pass claims.
    delivery_interval_seconds: float = Field(default=0, ge=0, le=86_400)
    delivery_max_attempts: int = Field(default=8, ge=1, le=100)
    delivery_backoff_seconds: float = Field(default=30.0, gt=0, le=86_400)
    delivery_backoff_max_seconds: float = Field(default=3600.0, gt=0, le=7 * 86_400)
    delivery_lease_seconds: float = Field(default=120.0, gt=0, le=86_400)
    delivery_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    delivery_batch: int = Field(default=100, ge=1, le=10_000)
    # Email deliveries: the SMTP server (tls "none", "starttls" or "tls" = implicit TLS),
    # its login (none when smtp_username is unset) and the sender address.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65_535)
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "gateway@localhost"
    # Subscriptions over SSE: seconds between heartbeat comments (keeps proxies from closing
    # an idle stream).
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0, le=300)

    @field_validator("database_url")
    @classmethod
    def _supported_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("rate_limit_per_ip", "rate_limit_per_principal", "rate_limit_auth_failures")
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        parse(value)  # raises ValueError on anything but "N/second|minute|hour|day"
        return value

    @model_validator(mode="after")
    def _no_test_switches_in_production(self) -> Settings:
        if self.graphql_executor_switch and self.is_production:
            raise ValueError("GATEWAY_GRAPHQL_EXECUTOR_SWITCH is for tests; not in production")
        return self

    @model_validator(mode="after")
    def _strong_secrets(self) -> Settings:
        if self.jwt_secret is not None:
            require_secret_bytes(
                f"GATEWAY_JWT_SECRET (for {self.jwt_algorithm})",
                self.jwt_secret.get_secret_value(),
                HMAC_KEY_BYTES[self.jwt_algorithm],
            )
        if self.metrics_token is not None:
            require_secret_bytes(
                "GATEWAY_METRICS_TOKEN", self.metrics_token.get_secret_value(), BEARER_SECRET_BYTES
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.is_production

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def events_backend_for(self, workers: int) -> Literal["memory", "postgres", "redis"]:
        """The events backend ``workers`` serving processes use. Several workers need one
        that crosses processes (``memory`` would lose the events of the others):
        ``ConfigurationError`` for ``memory``, or for ``auto`` on SQLite."""
        backend = self.events_backend
        if backend == "auto":
            backend = "postgres" if workers > 1 and not self.is_sqlite else "memory"
        if backend == "memory" and workers > 1:
            fix = (
                "GATEWAY_EVENTS_BACKEND=redis (with GATEWAY_REDIS_URL)"
                if self.is_sqlite
                else "GATEWAY_EVENTS_BACKEND=postgres (the default on PostgreSQL) or redis"
            )
            memory = "memory" if self.events_backend == "memory" else "default (memory)"
            raise ConfigurationError(
                f"--workers {workers} on {'SQLite' if self.is_sqlite else 'PostgreSQL'} needs "
                f"{fix}: with the {memory} events backend a subscription misses the other "
                "workers' events; or serve with --workers 1"
            )
        return backend


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
