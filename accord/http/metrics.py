"""/metrics for Prometheus, the request-latency histogram behind part of it, and access logs."""

from __future__ import annotations

import logging
import time

from quart import Blueprint, Response, g, request
from quart_trio import QuartTrio

from accord.http.context import services
from accord.http.errors import request_id
from accord.logs import REQUEST_ID
from accord.metrics import CONTENT_TYPE, REQUEST_SECONDS, render

access = logging.getLogger("accord.access")

blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
async def metrics() -> Response:
    return Response(render(), status=200, content_type=CONTENT_TYPE)


async def _start_clock() -> None:
    g.started = time.perf_counter()
    REQUEST_ID.set(request_id())


async def _observe(response: Response) -> Response:
    started: float | None = g.get("started")
    if started is not None:
        elapsed = time.perf_counter() - started
        # The route's pattern, not its path: one series per route, not per id.
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        status = response.status_code
        REQUEST_SECONDS.labels(rule, request.method, f"{status // 100}xx").observe(elapsed)
        if services().settings.access_log:
            access.info(
                "%s %s %d %.1f ms",
                request.method,
                request.path,
                status,
                elapsed * 1000,
                extra={
                    "method": request.method,
                    "route": rule,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
    return response


def install_metrics(app: QuartTrio) -> None:
    """Time and log every request; the app registers ``blueprint`` for /metrics itself."""
    app.before_request(_start_clock)
    app.after_request(_observe)
