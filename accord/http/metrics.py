"""/metrics for Prometheus, and the request-latency histogram behind part of it."""

from __future__ import annotations

import time

from quart import Blueprint, Response, g, request
from quart_trio import QuartTrio

from accord.metrics import CONTENT_TYPE, REQUEST_SECONDS, render

blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
async def metrics() -> Response:
    return Response(render(), status=200, content_type=CONTENT_TYPE)


async def _start_clock() -> None:
    g.started = time.perf_counter()


async def _observe(response: Response) -> Response:
    started: float | None = g.get("started")
    if started is not None:
        # The route's pattern, not its path: one series per route, not per id.
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        REQUEST_SECONDS.labels(rule, request.method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
    return response


def install_metrics(app: QuartTrio) -> None:
    app.before_request(_start_clock)
    app.after_request(_observe)
    app.register_blueprint(blueprint)
