"""Builds the Quart-Trio application.

Every blueprint is registered here and nowhere else: one route module per
resource, each registered under both API prefixes.
"""

from __future__ import annotations

from quart_schema import QuartSchema
from quart_trio import QuartTrio

from accord.http import health, metrics
from accord.http.body import drain_body, reject_nul_in_url
from accord.http.completion import shield_mutations
from accord.http.context import SERVICES_KEY
from accord.http.errors import install_error_handlers
from accord.http.openapi import OPENAPI_PATH, AccordOpenAPIProvider
from accord.http.ratelimit import install_rate_limits
from accord.http.routes import (
    applications,
    auth,
    bans,
    channel_positions,
    channels,
    guilds,
    invites,
    members,
    message_search,
    reactions,
    roles,
    typing_indicator,
    users,
)
from accord.http.web import web_blueprint
from accord.services import Services

# Discord clients put the version in the path; /api is its unversioned alias.
API_PREFIXES = ("/api/v10", "/api")
# Bodies above this are refused with 413 before the app reads them.
MAX_BODY_BYTES = 1 << 20
# The API's resources, in the order their routes are registered (and documented).
API_BLUEPRINTS = (
    health.blueprint,
    auth.blueprint,
    users.blueprint,
    guilds.blueprint,
    channels.blueprint,
    members.blueprint,
    roles.blueprint,
    bans.blueprint,
    invites.blueprint,
    reactions.blueprint,
    typing_indicator.blueprint,
    message_search.blueprint,
    channel_positions.blueprint,
    applications.blueprint,
)


def create_app(services: Services) -> QuartTrio:
    """The REST app over ``services``: hooks, error handlers and every blueprint."""
    app = QuartTrio("accord")
    app.config[SERVICES_KEY] = services
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    QuartSchema(
        app,
        openapi_path=OPENAPI_PATH,
        openapi_provider_class=AccordOpenAPIProvider,
        swagger_ui_path=None,
        redoc_ui_path=None,
        scalar_ui_path=None,
    )
    install_error_handlers(app)
    metrics.install_metrics(app)
    app.before_request(drain_body)
    app.before_request(reject_nul_in_url)
    install_rate_limits(app)
    app.register_blueprint(metrics.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(web_blueprint())
    for prefix in API_PREFIXES:
        suffix = prefix.strip("/").replace("/", "_")
        for blueprint in API_BLUEPRINTS:
            app.register_blueprint(
                blueprint,
                url_prefix=prefix + (blueprint.url_prefix or ""),
                name=f"{blueprint.name}_{suffix}",
            )
    shield_mutations(app)
    return app
