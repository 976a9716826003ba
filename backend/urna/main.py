"""create_app(): routers, middleware, error handlers, static files, lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from urna.core import i18n
from urna.core.access import LoginRequired, login_required_handler
from urna.core.config import Settings, get_settings
from urna.core.context import AppContext
from urna.core.cookies import STAFF_COOKIE
from urna.core.crypto import Crypto
from urna.core.csrf import csrf_protect
from urna.core.db import DATABASE_ERRORS, create_engine, is_database_outage, session_factory
from urna.core.errors import (
    AppError,
    NotFound,
    ServiceUnavailable,
    SessionEnded,
    error_summary,
    retry_after,
)
from urna.core.forms import body_size_check, path_params_check
from urna.core.gcsettle import gc_settle
from urna.core.health import router as health_router
from urna.core.metrics import MetricsMiddleware
from urna.core.pagecache import PageCacheMiddleware
from urna.core.proxy import ProxyHeadersMiddleware
from urna.core.routes import routes_adopt
from urna.core.security import SecurityHeadersMiddleware
from urna.core.sessions import SessionMiddleware
from urna.core.store import STORE_ERRORS, create_limits_storage, create_store
from urna.core.templating import Templates, is_htmx, session_language
from urna.core.views import router as core_router
from urna.core.views import site_identity
from urna.editions.console import router as editions_console_router
from urna.editions.console_details import router as editions_details_router
from urna.editions.console_imports import router as editions_imports_router
from urna.editions.loadtest import router as loadtest_editions_router
from urna.editions.views import router as editions_router
from urna.fraud.console import router as fraud_router
from urna.jobs.scheduled import jobs_in_app
from urna.notify.loadtest import router as loadtest_router
from urna.notify.models import OutboxMessage
from urna.privacy.console import router as privacy_console_router
from urna.privacy.rights_views import router as rights_router
from urna.privacy.site_documents import router as site_documents_router
from urna.privacy.views import router as privacy_router
from urna.requestlog.middleware import RequestLogMiddleware
from urna.requestlog.views import router as requestlog_router
from urna.requestlog.writer import writer_for
from urna.results import service as results_service
from urna.results.console import router as results_console_router
from urna.results.views import router as results_router
from urna.staff import matrix
from urna.staff import repository as staff_repository
from urna.staff.audit_console import router as audit_router
from urna.staff.deps import current_staff
from urna.staff.views import router as staff_router
from urna.verification import service as verification
from urna.verification.console import router as verification_router
from urna.verification.console_reports import router as verification_reports_router
from urna.voting import paper_sheets
from urna.voting.console import router as voting_console_router
from urna.voting.console_points import router as voting_points_router
from urna.voting.receipt_check import router as receipt_check_router
from urna.voting.state import VoteFinished, vote_finished_handler, vote_session_ended
from urna.voting.trail import router as ballot_trail_router
from urna.voting.views import router as voting_router

# nginx's status for a request its client abandoned before the answer
CLIENT_CLOSED_REQUEST = 499
FORM_UNREADABLE = i18n.N_(
    "The form could not be read: it has too many fields or broken parts. Reload the page and"
    " send it again."
)

log = logging.getLogger("urna")


def build_context(settings: Settings) -> AppContext:
    store = create_store(settings.redis_url, prefix=settings.redis_prefix)
    limits_storage = create_limits_storage(settings.redis_url, prefix=settings.redis_prefix)
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    replica = settings.database_replica_url
    replica_engine = create_engine(replica, pool_size=settings.db_pool_size) if replica else None
    return AppContext(
        settings=settings,
        engine=engine,
        db=session_factory(engine),
        replica_engine=replica_engine,
        replica_db=session_factory(replica_engine) if replica_engine else None,
        store=store,
        limits_storage=limits_storage,
        limiter=MovingWindowRateLimiter(limits_storage),
        crypto=Crypto(settings),
        templates=Templates(
            settings.frontend_dir / "templates",
            store=store,
            default_language=settings.language,
            visits_seconds=settings.visits_cache_seconds,
            auto_reload=settings.environment == "development",
        ),
        staff_resolver=current_staff,
        staff_emails=staff_repository.staff_emails,
        results_published=results_service.results_are_published,
        ballot_reviewed=verification.ballot_held,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    i18n.load_catalogues(settings.frontend_dir / "locale")
    ctx = build_context(settings)
    ctx.templates.env.globals["staff_may_open"] = matrix.role_may_open  # the staff menu
    ctx.templates.env.globals["site"] = site_identity(settings)  # header, crest, office
    ctx.templates.env.globals["ballot_reason_label"] = verification.reason_label  # receipts
    ctx.publish_checks.append(verification.publication_blocker)
    ctx.publish_checks.append(paper_sheets.paper_publication_blocker)
    ctx.publish_checks.append(paper_sheets.paper_withdrawn_blocker)
    request_log = writer_for(settings, ctx.engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Messages are sent by `urna worker`, not here (jobs_in_app: only `urna demo`).
        if request_log is not None:
            await request_log.start()
        gc_settle()  # the process's lasting objects out of the collector's walks
        try:
            async with jobs_in_app(ctx):
                yield
        finally:
            if request_log is not None:
                await request_log.stop()  # write what is buffered before the engine goes
            await ctx.store.close()
            await ctx.engine.dispose()
            if ctx.replica_engine is not None:
                await ctx.replica_engine.dispose()

    app = FastAPI(
        title="Urna",
        docs_url=None,  # Swagger UI needs inline script and a CDN: the CSP refuses both
        redoc_url=None,
        # The schema of every route and form, for schemathesis and developers; production
        # does not describe its attack surface.
        openapi_url=None if settings.environment == "production" else "/openapi.json",
        lifespan=lifespan,
        dependencies=[Depends(request_checks)],
        # Urna's metrics are its own (core.metrics); FastAPI's OpenTelemetry check of
        # the providers on every request costs more than a middleware layer.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.ctx = ctx
    app.state.request_log = request_log
    # The resident's vote first: Starlette tries routes in order, and no other route's
    # address is under /e/{slug}/vote. Each domain's routes go on the app's own router
    # (``routes_adopt``), not behind an included router.
    routers = [
        voting_router,
        core_router,
        health_router,
        editions_router,
        receipt_check_router,
        privacy_router,
        rights_router,
        results_router,
        # privacy's console first: its /staff/editions/import is not an edition's address
        privacy_console_router,
        site_documents_router,
        editions_console_router,
        editions_imports_router,
        editions_details_router,
        staff_router,
        voting_console_router,
        voting_points_router,
        audit_router,
        results_console_router,
        requestlog_router,
        ballot_trail_router,
        *([loadtest_router, loadtest_editions_router] if settings.loadtest_mode else []),
        verification_router,
        fraud_router,
        verification_reports_router,
    ]
    for router in routers:
        routes_adopt(app, router)
    app.mount("/static", StaticFiles(directory=settings.frontend_dir / "static"), name="static")
    _error_handlers(app, ctx)
    app.add_exception_handler(LoginRequired, login_required_handler)
    app.add_exception_handler(VoteFinished, vote_finished_handler)

    # Outermost last: metrics → proxy → request log (and id) → security headers → session
    # → page cache → errors → app. The log sees every request, static files, errors and
    # pages answered from the cache too, and the real IP.
    app.add_middleware(UnhandledErrorMiddleware, owner=app)
    # inside the session (the key needs its language), outside routing and dependencies
    app.add_middleware(
        PageCacheMiddleware,
        cache=ctx.templates.pages,
        language=partial(session_language, default=settings.language),
        visits=ctx.templates.visits.read,
    )

    def session_id_sign(value: str) -> str:
        return ctx.crypto.keyed_hash(scope="session-id", value=value)

    app.add_middleware(
        SessionMiddleware,
        store=ctx.store,
        idle_seconds=settings.session_idle_seconds,
        absolute_seconds=settings.session_absolute_seconds,
        skip_prefixes=("/static/", "/staff", "/healthz", "/readyz", "/metrics"),
        trail=ctx.crypto.session_hash,
        sign=session_id_sign,
    )
    app.add_middleware(
        SessionMiddleware,
        store=ctx.store,
        idle_seconds=settings.staff_session_idle_seconds,
        absolute_seconds=settings.staff_session_absolute_seconds,
        policy=STAFF_COOKIE,
        only_prefixes=("/staff",),
        trail=ctx.crypto.session_hash,
        sign=session_id_sign,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(
        RequestLogMiddleware, writer=request_log, hasher=ctx.crypto.session_hash, store=ctx.store
    )
    app.add_middleware(ProxyHeadersMiddleware, trusted=settings.trusted_networks)
    app.add_middleware(
        MetricsMiddleware,
        allow=settings.metrics_networks,
        log_writer=request_log,
        outbox_backlog=partial(_outbox_backlog, ctx),
    )
    return app


async def request_checks(request: Request) -> None:
    """Every route's checks before its view, in this order: the address, the announced
    body size, CSRF. One dependency: FastAPI resolves each one on every request."""
    await path_params_check(request)
    await body_size_check(request)
    await csrf_protect(request)


async def _outbox_backlog(ctx: AppContext) -> int:
    async with ctx.db() as session:
        return await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )


def _error_handlers(app: FastAPI, ctx: AppContext) -> None:
    async def render_error(request: Request, error: AppError, **page: str | None):
        """The error's page; ``page``: ``language`` and the header's ``current_path``."""
        request.state.error = error_summary(error)
        here = {"current_path": page["current_path"]} if page.get("current_path") else {}
        response = await ctx.templates.render(
            request,
            "errors/error.html",
            {"error": error, "status": error.status_code, **here},
            block="error",
            status_code=error.status_code,
            language=page.get("language"),
        )
        if is_htmx(request):
            response.headers["HX-Retarget"] = "#flash"
            response.headers["HX-Reswap"] = "innerHTML"
        return retry_after(response, error)  # 429 and 503 say when to come back

    @app.exception_handler(AppError)
    async def app_error(request: Request, error: AppError):
        return await render_error(request, error)

    @app.exception_handler(SessionEnded)
    async def session_ended(request: Request, error: SessionEnded):
        """A step of the vote posted after its session ended says so and leads to the
        start (its header's language switch too); any other form: the CSRF refusal."""
        idle = ctx.settings.session_idle_seconds
        ended = await vote_session_ended(request, idle_seconds=idle)
        if ended is None:
            return await render_error(request, error)
        return await render_error(request, ended, language=ended.language, current_path=ended.start)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        if error.status_code == 404:
            return await render_error(request, NotFound())
        if error.status_code == 405:
            return await render_error(
                request,
                AppError(i18n.N_("This address does not accept that request."), status_code=405),
            )
        if error.status_code == 400:  # the form parser's refusals: too many fields, broken parts
            return await render_error(request, AppError(FORM_UNREADABLE, status_code=400))
        return await render_error(request, AppError(status_code=error.status_code))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        return await render_error(
            request,
            AppError(i18n.N_("The address or form contains an invalid value."), status_code=400),
        )

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, error: ClientDisconnect):
        """The client closed the connection before its request arrived whole (a tab
        closed, a mobile link dropped, a load generator stopping): nothing was written,
        nobody reads the answer. Logged as the client's (499, as nginx says it), never as
        our 500 with a traceback."""
        request.state.error = error_summary(error)
        return Response(status_code=CLIENT_CLOSED_REQUEST)

    async def unexpected(request: Request, error: Exception):
        log.exception("unhandled error")
        response = await render_error(
            request,
            AppError(
                i18n.N_(
                    "Something went wrong on our side. Nothing you had already submitted "
                    "was lost. Try again in a moment."
                ),
                status_code=500,
            ),
        )
        request.state.error = error_summary(error)
        return response

    async def unavailable(request: Request, error: Exception):
        log.warning("service unavailable: %s: %s", type(error).__name__, error)
        outage = ServiceUnavailable()
        response = await render_error(request, outage)
        request.state.error = error_summary(error)
        return response

    async def database_error(request: Request, error: DBAPIError):
        """A restarting database (57P03) or a connection lost mid-query reaches us as a
        bare DBAPIError: a 503 too. Any other one is a bug: on to the 500 page."""
        if is_database_outage(error):
            return await unavailable(request, error)
        raise error

    for kind in (*DATABASE_ERRORS, *STORE_ERRORS):  # an outage is a 503, not a bug's 500
        app.add_exception_handler(kind, unavailable)
    app.add_exception_handler(DBAPIError, database_error)
    app.state.render_unexpected = unexpected


class UnhandledErrorMiddleware:
    """Turns an unexpected exception into the 500 page *inside* the session and header
    middleware, so even a failure carries the security headers and is logged with them."""

    def __init__(self, app, *, owner: FastAPI) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started:
                raise
            request = Request(scope, receive)
            response = await self.owner.state.render_unexpected(request, error)
            await response(scope, receive, send)
