"""Builds the Quart-Trio application."""

from __future__ import annotations

from quart_trio import QuartTrio

from accord.bootstrap import Services
from accord.http import health
from accord.http.context import SERVICES_KEY

# Discord clients put the version in the path; /api is its unversioned alias.
API_PREFIXES = ("/api/v10", "/api")


def create_app(services: Services) -> QuartTrio:
    app = QuartTrio("accord")
    app.config[SERVICES_KEY] = services
    app.register_blueprint(health.blueprint)
    for prefix in API_PREFIXES:
        app.register_blueprint(
            health.blueprint,
            url_prefix=prefix,
            name=f"health_{prefix.strip('/').replace('/', '_')}",
        )
    return app
