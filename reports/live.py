"""The live page of the demo: cycles, checks and HTTP traffic as they happen.

A tiny Starlette app on 127.0.0.1:

- ``GET /``        the page (self-contained: inline CSS and script allowed by hash in a strict
                   CSP; ``connect-src 'self'`` so it may only poll its own server);
- ``GET /events?after=N``  JSON ``{"events": [...], "next": M, "done": bool}``, the events after
                   sequence number ``N`` (polling: simple, proxy-proof, no long-lived streams).

Producers (the demo) call :meth:`LiveFeed.publish`; :class:`FeedRecorder` publishes every
exchange it records. The page builds its DOM with ``textContent`` only: a hostile target's
paths or bodies are never markup. Bodies are not sent at all, only method, path and status.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from harness.clock import Clock, SystemClock, isoformat
from harness.recorder import Exchange, Recorder
from harness.redact import Redactor
from reports.html import csp_hash, environment, inline_assets

__all__ = ["LiveFeed", "FeedRecorder", "create_live_app", "LiveServer", "live_page_html"]

#: Events kept for late-joining pages; older ones are dropped (the report has everything).
KEEP_EVENTS = 5000
BATCH = 500  # events per poll answer


class LiveFeed:
    """A bounded, thread-safe sequence of events: ``{"seq", "type", "at", ...}``.

    Types: ``phase`` (``text``), ``exchange`` (``id, method, path, status, ms``), ``check``
    (``id, title, outcome``), ``cycle`` (``cycleId, kind, counts, escrowed, quarantined``),
    ``done`` (``text``, ``paths``). Values are stored as given; the page shows them as text.
    """

    def __init__(self, clock: Clock | None = None, keep: int = KEEP_EVENTS) -> None:
        self.clock = clock or SystemClock()
        self._events: deque[dict[str, Any]] = deque(maxlen=keep)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self.done = False

    def publish(self, type: str, **data: Any) -> dict[str, Any]:
        with self._lock:
            event = {**data, "seq": next(self._seq), "type": type, "at": isoformat(self.clock.now())}
            self._events.append(event)
            if type == "done":
                self.done = True
        return event

    def after(self, seq: int, limit: int = BATCH) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self._events if e["seq"] > seq][:limit]

    def exchange(self, exchange: Exchange, source: str = "") -> None:
        """Publish one recorded exchange: method, path and status only (already redacted)."""
        parts = urlsplit(exchange.url)
        path = parts.path + ("?" + parts.query if parts.query else "")
        self.publish(
            "exchange",
            id=exchange.id,
            source=source,
            method=exchange.method,
            path=path[:300],
            status=exchange.status,
            error=(exchange.error or "")[:200],
            ms=round(exchange.elapsed_ms, 1),
        )


class FeedRecorder(Recorder):
    """A :class:`Recorder` that also publishes each exchange to a :class:`LiveFeed`."""

    def __init__(self, feed: LiveFeed, source: str = "", redactor: Redactor | None = None,
                 clock: Clock | None = None, **kw: Any) -> None:
        super().__init__(redactor, clock, **kw)
        self.feed = feed
        self.source = source

    def record(self, **kw: Any) -> Exchange:
        exchange = super().record(**kw)
        self.feed.exchange(exchange, self.source)
        return exchange


def live_page_html(title: str = "scim-harness demo") -> str:
    """The live page itself (also used by tests); its policy allows polling itself only."""
    style, script, _ = inline_assets("report.css", "live.css", "live.js")
    csp = "; ".join(
        (
            "default-src 'none'",
            f"script-src {csp_hash(str(script))}",
            f"style-src {csp_hash(str(style))}",
            "connect-src 'self'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    return environment().get_template("live.html.j2").render(title=title, style=style, script=script, csp=csp)


def create_live_app(feed: LiveFeed, title: str = "scim-harness demo") -> Starlette:
    page = live_page_html(title)
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

    async def index(request: Request) -> Response:
        return HTMLResponse(page, headers=headers)

    async def events(request: Request) -> Response:
        try:
            after = max(0, int(request.query_params.get("after", "0")))
        except ValueError:
            return JSONResponse({"error": "after must be an integer"}, status_code=400, headers=headers)
        batch = feed.after(after)
        last = batch[-1]["seq"] if batch else after
        return JSONResponse({"events": batch, "next": last, "done": feed.done}, headers=headers)

    return Starlette(routes=[Route("/", index), Route("/events", events)])


class LiveServer:
    """Serve the live page on 127.0.0.1 in a background thread (port 0 picks a free one)."""

    def __init__(self, feed: LiveFeed, port: int = 0, title: str = "scim-harness demo") -> None:
        config = uvicorn.Config(create_live_app(feed, title), host="127.0.0.1", port=port,
                                log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="live-page", daemon=True)
        self.url = ""

    def start(self, timeout: float = 10.0) -> str:
        self._thread.start()
        ready = threading.Event()
        # uvicorn sets .started once it listens; wait for it on the system clock (an edge).
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive() or waited > timeout:
                raise RuntimeError("the live page server did not start")
            ready.wait(0.02)
            waited += 0.02
        sockets = [s for server in self._server.servers for s in server.sockets]
        port = sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> "LiveServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
