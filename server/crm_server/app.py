"""``create_app(settings)``: the FastAPI application, wired once per process.

The process keeps no per-user state between requests (sessions, locks and jobs live in the
database), so several processes can serve one PostgreSQL database behind a load balancer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse
from sqlalchemy import Engine, text
from starlette.datastructures import MutableHeaders

import crm_server
from crm_common import API_PREFIX
from crm_common.schemas.auth import Health
from crm_server import errors
from crm_server.bindings import bind_all
from crm_server.db import audit
from crm_server.db.engine import make_engine, make_session_factory, pool_options
from crm_server.db.migrate import engine_revision, head_revision
from crm_server.domains import (
    accounts,
    admin,
    attachments,
    client_updates,
    customers,
    export,
    follow_ups,
    jobs,
    people,
    recompute,  # noqa: F401 (registers its job kind)
)
from crm_server.domains.backups import routes as backup_routes
from crm_server.domains.backups import service as backup_service
from crm_server.domains.imports import routes as import_routes
from crm_server.kit.binding import BINDINGS
from crm_server.kit.job_runner import JobRunner
from crm_server.kit.router import entity_router
from crm_server.limits import App, BodyLimitMiddleware, Message, Receive, Scope, Send
from crm_server.security import bearer, versions
from crm_server.settings import Settings


class DatabaseLocaleError(RuntimeError):
    """PostgreSQL with LC_CTYPE=C: pg_trgm would silently ignore Chinese characters."""


def check_database(engine: Engine) -> None:
    """Refuse to start on a PostgreSQL database whose character type makes Chinese search
    blind (pg_trgm only indexes characters the locale calls alphanumeric)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        ctype = connection.execute(text(
            "SELECT datctype FROM pg_database WHERE datname = current_database()")).scalar()
    if ctype in ("C", "POSIX"):
        raise DatabaseLocaleError(
            f"the database's LC_CTYPE is {ctype!r}; Chinese search needs a UTF-8 locale such "
            "as C.UTF-8 or zh_CN.UTF-8 (recreate it with deploy_onprem/pg-setup.sh)")


def _system_router(engine: Engine, settings: Settings) -> APIRouter:
    router = APIRouter(tags=["System"])

    @router.get("/health", response_model=Health)
    def health() -> Any:
        expected = head_revision()
        try:
            revision = engine_revision(engine)
            database = "ok"
        except Exception as exc:
            revision, database = None, type(exc).__name__
        backup, detail = backup_service.health(backup_service.catalogue(settings))
        ok = database == "ok" and revision == expected  # serving; backups said apart
        return Health(status="ok" if ok else "degraded", database=database,
                      migration=revision, expected_migration=expected,
                      version=crm_server.__version__, backup=backup, backup_detail=detail)

    @router.get("/tls/ca.pem", response_class=PlainTextResponse)
    def ca_certificate() -> str:
        path = settings.path(settings.tls_ca_cert)
        return path.read_text("ascii") if path.exists() else ""

    return router


class SecurityHeadersMiddleware:
    """Headers every answer carries (HSTS, no MIME sniffing, no caching), set as the answer
    starts. Plain ASGI: Starlette's ``BaseHTTPMiddleware`` would relay every answer through
    a task and a memory stream of its own."""

    HEADERS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("Strict-Transport-Security", "max-age=31536000"),
        ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store"))

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.HEADERS:
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(settings: Settings) -> FastAPI:
    engine = make_engine(settings.effective_database_url, settings.statement_timeout_seconds,
                         **pool_options(settings.connections_per_worker))
    bind_all()
    audit.install()
    versions.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_database(engine)
        runner = JobRunner(settings, settings.job_threads) if settings.job_threads else None
        if runner is not None:
            runner.start()
            app.state.job_runners.add(runner)
        try:
            yield
        finally:
            if runner is not None:
                app.state.job_runners.discard(runner)
                await anyio.to_thread.run_sync(runner.stop)
            engine.dispose()

    app = FastAPI(title="CRM", version=crm_server.__version__, lifespan=lifespan,
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs",
                  redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.principals = bearer.new_cache()
    app.state.job_runners = set()  # the lifespan's (one per serving of the app)
    errors.install(app)
    api = APIRouter(prefix=API_PREFIX)
    api.include_router(_system_router(engine, settings))
    api.include_router(accounts.router)
    api.include_router(people.router)
    api.include_router(admin.router)
    api.include_router(customers.router)
    api.include_router(attachments.router)
    api.include_router(follow_ups.router)
    api.include_router(client_updates.router)
    api.include_router(jobs.router)
    api.include_router(export.router)
    api.include_router(import_routes.router)
    api.include_router(backup_routes.router)
    for binding in BINDINGS.values():
        api.include_router(entity_router(binding))
    app.include_router(api)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.request_max_kb * 1024,
                       exempt_prefixes=(f"{API_PREFIX}/attachments",))

    app.add_middleware(SecurityHeadersMiddleware)
    return app
