"""Access to the process's Services from inside a request."""

from __future__ import annotations

from typing import cast

from quart import current_app

from accord.services import Services

SERVICES_KEY = "accord.services"


def services() -> Services:
    return cast(Services, current_app.config[SERVICES_KEY])
