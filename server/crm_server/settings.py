"""One typed settings object: ``crm.toml`` in the data directory, then ``CRM_*`` variables.

Every knob the server has is declared here once, with its default. The environment wins
over the file so IT (and tests) can override a single value without editing it, e.g.
``CRM_DATABASE_URL=postgresql+psycopg2://crm@/crm``.
"""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

CONFIG_NAME = "crm.toml"
# Settings an administrator now changes in the console (kept in the database); an older
# crm.toml that still names them loads, with a warning.
MOVED_TO_CONSOLE = frozenset({"session_absolute_hours", "session_idle_minutes",
                              "lockout_threshold", "lockout_minutes", "duplicate_policy"})
ENV_PREFIX = "CRM_"
DEFAULT_DATA_DIR = Path("var/data")
# Default worker processes on PostgreSQL: one per CPU core, at least 2, at most this many
# (each worker costs memory and a share of ``database_connections``); see RUNBOOK.md.
MAX_DEFAULT_WORKERS = 8
# Each worker needs a few connections of its own: one per request in flight.
MIN_CONNECTIONS_PER_WORKER = 2


class Settings(BaseModel):
    """Server configuration. Paths that are relative are taken inside ``data_dir``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""  # empty: SQLite file crm.sqlite3 in data_dir
    # PostgreSQL cancels a request's statement after this many seconds (0: never), so a
    # runaway query cannot hold a connection; the request is answered 503.
    statement_timeout_seconds: int = Field(default=30, ge=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8443, ge=1, le=65535)
    # TLS: by default the server's own CA issues the server certificate (tls/ in data_dir).
    # A company certificate can be set instead (tls_cert/tls_key, and tls_ca_cert to publish).
    tls_cert: Path = Path("tls/server.crt")
    tls_key: Path = Path("tls/server.key")
    tls_ca_cert: Path = Path("tls/ca.crt")
    tls_ca_key: Path = Path("tls/ca.key")
    # Plain HTTP only for development on 127.0.0.1; never in production.
    dev_plain_http: bool = False
    attachment_max_mb: int = Field(default=50, ge=1, le=2048)
    import_max_mb: int = Field(default=50, ge=1, le=1024)  # a spreadsheet to import
    request_max_kb: int = Field(default=1024, ge=16)
    attachments_dir: Path = Path("attachments")
    log_level: str = "info"
    # Server processes sharing the port; unset: the sizing rule of ``worker_count``.
    workers: int | None = Field(default=None, ge=1, le=64)
    # Database connections all workers together may open (PostgreSQL allows 100, a few of
    # them reserved for superusers; the rest is left for maintenance and monitoring).
    database_connections: int = Field(default=60, ge=MIN_CONNECTIONS_PER_WORKER, le=1000)
    # Background jobs each server process (worker) runs at once; 0: this server runs none
    # (another one on the same database does). Each costs two database connections of the
    # runner's own, beyond ``database_connections`` (plus one per process).
    job_threads: int = Field(default=1, ge=0, le=8)
    # Backups (domains/backups): where archives go (a mounted NAS path works), the key they
    # are encrypted with (made by ``init``; keep a copy offline), or instead a passphrase
    # (CRM_BACKUP_PASSPHRASE, stretched by Argon2id), and how many are kept.
    backup_dir: Path = Path("backups")
    backup_key_file: Path = Path("backup.key")
    backup_passphrase: str = ""
    backup_keep_daily: int = Field(default=7, ge=1, le=366)
    backup_keep_weekly: int = Field(default=4, ge=0, le=520)
    backup_keep_monthly: int = Field(default=12, ge=0, le=1200)
    # Scheduled backups also carry the TLS private keys (a restored server keeps the CA
    # the clients pinned); off by default: an archive then needs no more protection than
    # the data it holds.
    backup_include_tls_keys: bool = False
    # Where pg_dump, pg_restore and psql are (default: the newest installed PostgreSQL's).
    pg_bin_dir: Path | None = None

    def path(self, value: Path) -> Path:
        """``value`` resolved against the data directory."""
        return value if value.is_absolute() else self.data_dir / value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir.resolve() / 'crm.sqlite3'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def worker_count(self) -> int:
        """``workers``, else the rule: one on SQLite (the demo and a small office: one
        process is plenty, and the database file takes one writer at a time anyway); on
        PostgreSQL one per CPU core this process may use, at least 2 (a slow request never
        stalls everyone, a crashed worker never stops the service), at most
        ``MAX_DEFAULT_WORKERS``. Requests spend most of their time in Python, which runs on
        one core per process, so more workers than cores only cost memory."""
        if self.workers is not None:
            return self.workers
        if self.is_sqlite:
            return 1
        return min(MAX_DEFAULT_WORKERS, max(2, len(os.sched_getaffinity(0))))

    @property
    def connections_per_worker(self) -> int:
        """Each worker's share of ``database_connections`` (its pool's limit)."""
        return self.database_connections // self.worker_count


def _from_environment() -> dict[str, str]:
    names = Settings.model_fields.keys()
    values: dict[str, str] = {}
    for name in names:
        raw = os.environ.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = raw
    return values


def load_settings(data_dir: Path | None = None, **overrides: object) -> Settings:
    """Read ``crm.toml`` from the data directory (``CRM_DATA_DIR`` or ``var/data`` when not
    given), apply ``CRM_*`` environment variables, then explicit overrides."""
    env = _from_environment()
    directory = Path(data_dir or env.pop("data_dir", None) or DEFAULT_DATA_DIR)
    env.pop("data_dir", None)
    values: dict[str, object] = {}
    config = directory / CONFIG_NAME
    if config.exists():
        values.update(tomllib.loads(config.read_text("utf-8")))
    for name in MOVED_TO_CONSOLE & values.keys():
        values.pop(name)
        logging.getLogger(__name__).warning(
            "%s in %s is ignored: it is set in the admin console (security settings) now",
            name, config)
    values.update(env)
    values.update(overrides)
    values["data_dir"] = directory
    return Settings.model_validate(values)


def write_config(settings: Settings, **values: object) -> Path:
    """Write a commented ``crm.toml`` for a new data directory (``init``)."""
    import tomli_w

    defaults = Settings()
    chosen = {k: v for k, v in values.items() if getattr(defaults, k) != v}
    body = tomli_w.dumps({k: str(v) if isinstance(v, Path) else v for k, v in chosen.items()})
    header = (
        "# CRM server configuration. Every setting and its default is in\n"
        "# crm_server/settings.py; CRM_<NAME> environment variables override this file.\n"
    )
    target = settings.data_dir / CONFIG_NAME
    target.write_text(header + body, "utf-8")
    return target
