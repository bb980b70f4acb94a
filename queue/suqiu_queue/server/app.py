"""The FastAPI application: ``create_app()`` builds one; ``suqiu server`` runs it under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from sqlalchemy import Engine, text

from suqiu_queue import __version__

from .db import make_engine, make_sessionmaker, utcnow
from .errors import BodyLimitMiddleware, install_error_handlers
from .events.broker import Broker
from .security import PUBLIC, Principal, PrincipalCache, access, load_signing_secret
from .settings import Settings

log = logging.getLogger("suqiu.server")


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utcnow,
    scheduler: bool = False,
) -> FastAPI:
    """``scheduler=True`` (what ``suqiu server`` runs, see asgi.py) starts the background jobs unless
    ``SUQIU_SCHEDULER`` is off; an app built in a test runs none unless asked."""
    settings = settings or Settings.load()
    # A few connections beyond the request threads, for the event broker and the scheduler's jobs.
    engine = engine or make_engine(settings.database_url, pool_size=settings.db_pool_size, max_overflow=5)
    broker_holder: dict[str, Broker] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Requests run in the thread pool: no more at once than there are connections for them.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.db_pool_size
        with app.state.sessions() as session, session.begin():
            app.state.signing_secret = load_signing_secret(session)
        broker = Broker(engine, app.state.sessions)
        broker.start(asyncio.get_running_loop())
        app.state.broker = broker
        # Admin edits on any replica reach every replica as events: drop cached snapshots.
        broker.listeners.append(_clear_org_cache_on_change)
        broker_holder["broker"] = broker
        log.info("suqiu server %s on %s", __version__, engine.url.render_as_string(hide_password=True))
        jobs = None
        if scheduler and settings.scheduler:
            from .scheduler.jobs import JOBS
            from .scheduler.runner import from_app_state

            jobs = from_app_state(app.state, JOBS)
            jobs.start()
        # Everything loaded so far (routes, models, assets) lives as long as the process: keep it
        # out of the garbage collector's full passes, which otherwise stall requests now and then.
        gc.freeze()
        try:
            yield
        finally:
            if jobs is not None:
                await asyncio.to_thread(jobs.stop)  # waits for a run in progress, off the event loop
            broker.stop()

    app = FastAPI(
        title="Suqiu 职工诉求服务中心 API",
        version=__version__,
        lifespan=lifespan,
        description="Queue, cases and events for employee appeals service centers. Errors: "
        '{"error": {"code", "message" (中文), "message_en", "details"}}.',
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock
    app.state.principals = PrincipalCache()
    # The session factory tells the broker about local commits (see events/service.py).
    sessions = make_sessionmaker(engine)
    sessions.configure(info={"broker": _LazyBroker(broker_holder)})
    app.state.sessions = sessions

    install_error_handlers(app)
    if settings.ticket_fast_path:
        from .tickets.fast import TicketIssueFastPath

        # Added first, so it sits innermost: inside the body limit and the request metrics.
        app.add_middleware(TicketIssueFastPath, api=app)
    _install_metrics(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)

    for router in discover_routers():
        app.include_router(router)

    @app.get("/healthz", tags=["ops"])
    def healthz(_p: Principal | None = access(PUBLIC)) -> dict[str, Any]:
        started = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {
            "status": "ok",
            "version": __version__,
            "database": engine.dialect.name,
            "db_ms": round((time.perf_counter() - started) * 1000, 2),
        }

    return app


HOT_AREAS = ("tickets",)


def discover_routers() -> list[Any]:
    """Every area folder with a ``views.py`` exposing ``router`` (one folder per area)."""
    import importlib
    import pkgutil

    from suqiu_queue import server

    routers = []
    # Requests are matched against routes in order, router by router: the ticket area (every
    # kiosk press) goes first. No route of it matches another area's paths (tested).
    for info in sorted(pkgutil.iter_modules(server.__path__), key=lambda m: (m.name not in HOT_AREAS, m.name)):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"suqiu_queue.server.{info.name}.views")
        except ModuleNotFoundError as exc:
            if exc.name != f"suqiu_queue.server.{info.name}.views":
                raise
            continue
        if hasattr(module, "router"):
            routers.append(module.router)
    return routers


def _clear_org_cache_on_change(event: dict[str, Any]) -> None:
    if event["kind"] in ("category.changed", "center.changed", "counter.changed"):
        from .org import cache

        cache.clear()


class _LazyBroker:
    """The broker exists only once the app has started; sessions made before then skip it."""

    def __init__(self, holder: dict[str, Broker]) -> None:
        self.holder = holder

    def committed_locally(self, ids: list[int]) -> None:
        broker = self.holder.get("broker")
        if broker is not None:
            broker.committed_locally(ids)


class _MetricsMiddleware:
    """Counts and times requests per route. Plain ASGI: no per-request task or body copy."""

    def __init__(self, app: Any, requests_total: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests_total = requests_total
        self.latency = latency

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            if path != "/api/v1/events":  # streams last for hours; their latency means nothing
                self.latency.labels(scope["method"], path).observe(time.perf_counter() - started)
            self.requests_total.labels(scope["method"], path, str(status["code"])).inc()


def _install_metrics(app: FastAPI) -> None:
    registry = CollectorRegistry()
    requests_total = Counter(
        "suqiu_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry
    )
    latency = Histogram(
        "suqiu_http_request_seconds",
        "HTTP request latency",
        ["method", "route"],
        registry=registry,
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    )
    app.state.metrics_registry = registry

    app.add_middleware(_MetricsMiddleware, requests_total=requests_total, latency=latency)

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics(_p: Principal | None = access(PUBLIC)) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
