"""The browser client: ``/`` and ``/invite/<code>`` serve its page, ``/client/*`` its files.

The client is plain HTML, CSS and ES modules in ``accord/web/static``, with
no build step. The files are small, so they are read once when the app is
built and served from memory (Quart's file responses read on asyncio's
executor, which does not exist under Trio).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

from quart import Blueprint, Response, abort, request
from quart_schema import hide

STATIC_PACKAGE = "accord.web"
STATIC_DIR = "static"
CLIENT_PREFIX = "/client"
INDEX = "index.html"

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    # Browsers refuse to run an ES module served with any other script type.
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}

# The page runs only its own scripts and styles and talks only to this origin
# (REST) and to a gateway, which may be on another port or host (ws:, wss:).
# No inline script or style is allowed, so text that slips into the DOM as
# markup still cannot run.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


@dataclass(frozen=True, slots=True)
class StaticFile:
    body: bytes
    content_type: str
    etag: str


def load_static_files() -> dict[str, StaticFile]:
    """Every file the client ships, by name."""
    files: dict[str, StaticFile] = {}
    folder = resources.files(STATIC_PACKAGE).joinpath(STATIC_DIR)
    for entry in folder.iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        content_type = _CONTENT_TYPES.get(suffix)
        if content_type is None or not entry.is_file():
            continue
        body = entry.read_bytes()
        etag = hashlib.sha256(body).hexdigest()[:16]
        files[entry.name] = StaticFile(body, content_type, etag)
    return files


def _serve(file: StaticFile) -> Response:
    if request.if_none_match.contains(file.etag):
        response = Response(b"", status=304)
    else:
        response = Response(file.body, content_type=file.content_type)
    response.set_etag(file.etag)
    # Revalidate every time: a server upgrade must not leave old modules cached.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def web_blueprint() -> Blueprint:
    """The client's routes, with its files read now."""
    files = load_static_files()
    blueprint = Blueprint("web", __name__)

    # The page is not part of the API, so it stays out of the OpenAPI document.
    @blueprint.get("/")
    @hide
    async def index() -> Response:
        return _serve(files[INDEX])

    @blueprint.get("/invite/<code>")
    @hide
    async def invite(code: str) -> Response:
        # The page reads the code from its own URL and opens the join dialog.
        return _serve(files[INDEX])

    @blueprint.get(f"{CLIENT_PREFIX}/<name>")
    @hide
    async def client_file(name: str) -> Response:
        file = files.get(name)
        if file is None:
            abort(404)
        return _serve(file)

    return blueprint
