"""Discord's application object, as ``application_info()`` and the developer API read it."""

from __future__ import annotations

import hashlib

from accord.core.entities import Application, User
from accord.core.services.application_flags import flags_from_intents
from accord.core.shapes import JSON, user_shape


def verify_key(application_id: int) -> str:
    """A stable 64-hex-digit stand-in for the Ed25519 key Discord signs interactions with.

    Accord sends no interactions, so nothing is verified against it; clients
    only require the field to be present.
    """
    return hashlib.sha256(f"accord-application:{application_id}".encode()).hexdigest()


def application_shape(application: Application, owner: User) -> JSON:
    """The full application object its owner (or its bot) may read."""
    return {
        "id": str(application.id),
        "name": application.name,
        "icon": None,
        "description": application.description,
        "summary": "",
        "type": None,
        "hook": True,
        "rpc_origins": [],
        "bot_public": application.bot_public,
        "bot_require_code_grant": False,
        "verify_key": verify_key(application.id),
        "owner": user_shape(owner),
        "team": None,
        "flags": flags_from_intents(application.bot.approved_intents),
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "terms_of_service_url": None,
        "privacy_policy_url": None,
        "custom_install_url": None,
        "install_params": None,
        "bot": user_shape(application.bot),
    }
