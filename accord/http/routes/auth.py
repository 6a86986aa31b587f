"""``/auth``: register, login, refresh, logout (Accord's own email/password accounts)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from quart import Blueprint, Response
from quart_schema import document_request

from accord.core.services.auth import Tokens
from accord.http.body import read_body
from accord.http.context import services
from accord.http.principal import current_principal
from accord.http.ratelimit import AUTH, rate_limited
from accord.http.responses import json_response, no_content

blueprint = Blueprint("auth", __name__, url_prefix="/auth")


class RegisterBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    username: str
    email: str
    password: str


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: str
    password: str


class RefreshBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    refresh_token: str


def _tokens(tokens: Tokens, status: int = 200) -> Response:
    return json_response(
        {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_in": tokens.expires_in,
            "token_type": tokens.token_type,
        },
        status=status,
    )


@blueprint.post("/register")
@document_request(RegisterBody)
@rate_limited(AUTH)
async def register() -> Response:
    body = await read_body(RegisterBody)
    tokens = await services().auth.register(body.username, body.email, body.password)
    return _tokens(tokens, status=201)


@blueprint.post("/login")
@document_request(LoginBody)
@rate_limited(AUTH)
async def login() -> Response:
    body = await read_body(LoginBody)
    return _tokens(await services().auth.login(body.email, body.password))


@blueprint.post("/refresh")
@document_request(RefreshBody)
@rate_limited(AUTH)
async def refresh() -> Response:
    body = await read_body(RefreshBody)
    return _tokens(await services().auth.refresh(body.refresh_token))


@blueprint.post("/logout")
async def logout() -> Response:
    await services().auth.logout(await current_principal())
    return no_content()
