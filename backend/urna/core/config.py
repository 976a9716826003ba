"""One typed settings object (prefix URNA_).

Secrets are never defaulted in the code. In development and test, missing secrets are
generated once into an ignored local file (``var/secrets.env``); in production they must
be given and the app refuses to start without them.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[3]
VAR_DIR = Path(os.environ.get("URNA_VAR_DIR", REPO_ROOT / "var"))
SECRETS_FILE = VAR_DIR / "secrets.env"
SECRET_NAMES = ("URNA_SECRET_KEY", "URNA_DATA_KEY", "URNA_HMAC_KEY")


def _new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def ensure_local_secrets(path: Path = SECRETS_FILE) -> Path:
    """Create the local secrets file for development if it is missing (never overwrite)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{name}={_new_key()}" for name in SECRET_NAMES]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")
    return path


MAX_RETENTION_DAYS = 36_500  # a hundred years: beyond it a date is out of range
RetentionDays = Annotated[int, Field(ge=1, le=MAX_RETENTION_DAYS)]
DATABASE_SCHEMES = ("postgresql+asyncpg://", "sqlite+aiosqlite://")  # the drivers installed


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="URNA_", env_file=str(SECRETS_FILE), extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite+aiosqlite:///{VAR_DIR / 'urna.db'}"
    redis_url: str | None = None
    # Every Redis key starts with it: installations (or test runs) sharing a Redis apart.
    redis_prefix: str = "urna:"
    secret_key: SecretStr | None = None
    data_key: SecretStr | None = None
    # The master key being retired by `urna keys rotate` (read, never used to wrap).
    data_key_previous: SecretStr | None = None
    hmac_key: SecretStr | None = None
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])
    language: Literal["pl", "en"] = "pl"
    frontend_dir: Path = REPO_ROOT / "frontend"
    # The official site's header and contact: the municipality's name, its crest (a path on
    # this site, e.g. /static/img/crest.svg: the CSP takes this site's images only) and the
    # participatory budget office, named on every error page and wherever a person can help.
    municipality: str = ""
    crest_url: str | None = None
    office_phone: str = ""
    office_email: str = ""
    office_address: str = ""

    session_idle_seconds: int = 15 * 60
    session_absolute_seconds: int = 4 * 60 * 60
    otp_ttl_seconds: int = 10 * 60
    otp_max_attempts: int = 5
    otp_resend_per_contact: str = "3/10 minutes"
    otp_send_per_ip: str = "30/10 minutes"
    receipt_check_per_ip: str = "30/minute"

    notify_provider: Literal["console", "outbox", "http", "smtp"] = "console"
    sms_http_url: str | None = None
    sms_http_token: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "bo@example.invalid"
    demo_show_codes: bool = False
    # A staging copy under a load test (loadtests/readiness): codes stay in the outbox and
    # the generator reads them at /_loadtest/code. Refused in production.
    loadtest_mode: bool = False
    # Who may read /metrics: direct peers only (a request relayed by a proxy is refused).
    metrics_allow: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])

    staff_session_idle_seconds: int = 30 * 60
    staff_session_absolute_seconds: int = 8 * 60 * 60
    # Growing delays, never a lockout: each tier is a moving window of failed logins;
    # once a tier is full, logins wait until its window has slid past old failures.
    staff_login_account_limits: str = "5/minute;10/15 minutes;20/hour;50/day"
    staff_login_ip_limits: str = "30/minute;100/hour;300/day"

    db_pool_size: int = 20
    # A read replica (PostgreSQL streaming replica) for console pages that only read;
    # every write and every decision still goes to database_url. Unset: the primary.
    database_replica_url: str | None = None
    edition_cache_seconds: float = 5.0
    # How often a process reads the editions' generation (snapshot.py): at most once per
    # this many seconds, so a change made in another process reaches it within that time.
    edition_generation_seconds: float = 1.0
    # The footer's visit count is read from the store at most once per this many seconds
    # per process (templating.VisitCounter): not one round trip per page.
    visits_cache_seconds: float = 10.0

    # Request logs (requestlog/): written in batches from a bounded in-process buffer.
    request_log: bool = True
    request_log_buffer: int = 100_000
    request_log_batch: int = 1000
    request_log_interval_seconds: float = 0.25
    request_log_reverse_dns: bool = True
    request_log_dns_timeout_seconds: float = 1.0
    # Retention as the published privacy policy states; None = kept indefinitely.
    request_log_keep_days: RetentionDays | None = None
    request_log_truncate_ip_after_days: RetentionDays | None = None  # IPv4 /24, IPv6 /48
    request_log_drop_session_after_days: RetentionDays | None = None
    request_log_export_max_rows: int = 100_000
    stats_min_group: int = 5  # statistics fold smaller groups into "other"

    # The worker (`urna worker`): each scheduled job's interval, in seconds.
    worker_outbox_seconds: float = 1.0
    worker_hosts_seconds: float = 5.0
    worker_retention_seconds: float = 3600.0
    worker_fraud_scan_seconds: float = 60.0
    # `urna demo` runs the jobs inside its single app process instead of a worker.
    worker_in_app: bool = False
    outbox_claim_timeout_seconds: float = 300.0  # a claim older than this is taken again

    # Fraud signals (fraud/): data-centre and anonymiser networks, as a JSON list of CIDRs
    # (URNA_FRAUD_DATACENTER_CIDRS='["192.0.2.0/24"]'); a ballot from one is flagged.
    fraud_datacenter_cidrs: list[IPvAnyNetwork] = Field(default_factory=list)

    @field_validator("database_url", mode="after")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(DATABASE_SCHEMES):
            raise ValueError(
                "URNA_DATABASE_URL must start with postgresql+asyncpg:// (PostgreSQL) or "
                "sqlite+aiosqlite:/// (the embedded default)"
            )
        return value

    @field_validator("trusted_proxies", "metrics_allow", mode="after")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)
        return value

    @model_validator(mode="after")
    def _secrets_present(self) -> Settings:
        for name in ("secret_key", "data_key", "hmac_key"):
            secret = getattr(self, name)
            if secret is None:
                raise ValueError(
                    f"URNA_{name.upper()} is not set. In development run `urna demo` or "
                    "`urna secrets init`; in production set it in the environment."
                )
            if len(key_bytes(secret)) < 32:
                raise ValueError(f"URNA_{name.upper()} must encode at least 32 bytes")
        if self.environment == "production":
            if self.database_url.startswith("sqlite"):
                raise ValueError("production needs PostgreSQL (URNA_DATABASE_URL)")
            if self.demo_show_codes or self.notify_provider in ("console", "outbox"):
                # "outbox" only queues: codes would never arrive and payloads would stay.
                raise ValueError("production must deliver codes by SMS or e-mail, never show them")
            if self.loadtest_mode:
                raise ValueError("URNA_LOADTEST_MODE is for a staging copy, never production")
        return self

    @property
    def metrics_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(item, strict=False) for item in self.metrics_allow]

    @property
    def trusted_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies]


def key_bytes(secret: SecretStr) -> bytes:
    raw = secret.get_secret_value()
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        return raw.encode()


@lru_cache
def get_settings() -> Settings:
    if os.environ.get("URNA_ENVIRONMENT", "development") != "production":
        ensure_local_secrets()
        return Settings()
    # Production's secrets come from its environment alone: a development file left in the
    # checkout (`urna demo`, `urna secrets init`) must not stand in for missing ones.
    return Settings(_env_file=None)
