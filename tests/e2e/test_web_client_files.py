"""The web client's files as `accord serve` serves them (no browser needed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from accord.config import Settings
from accord.http.web import load_static_files
from tests.e2e.browser import Server, running_accord
from tests.e2e.conftest import TEST_JWT_SECRET


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    settings = Settings(
        api_port=0, gateway_port=0, data_dir=tmp_path, jwt_secret=TEST_JWT_SECRET, pool_size=2
    )
    with running_accord(settings, database_url) as server:
        yield server


def test_the_page_is_served_at_the_root_and_for_invite_links(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        root = client.get("/")
        invite = client.get("/invite/AbC123")
    for response in (root, invite):
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert '<script type="module" src="/client/app.js">' in response.text


def test_every_module_the_page_imports_is_served_as_javascript(server: Server) -> None:
    files = load_static_files()
    with httpx.Client(base_url=server.url, timeout=10) as client:
        pending = ["app.js"]
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            seen.add(name)
            response = client.get(f"/client/{name}")
            assert response.status_code == 200, name
            assert response.headers["content-type"] == "text/javascript; charset=utf-8"
            assert response.headers["x-content-type-options"] == "nosniff"
            imports = re.findall(r"from '\./([\w.-]+\.js)'", response.text)
            pending.extend(i for i in imports if i not in seen)
            # Page text is only ever set as text.
            assert "innerHTML" not in response.text and "insertAdjacentHTML" not in response.text
        assert seen == {name for name in files if name.endswith(".js")}

        css = client.get("/client/style.css")
        assert css.headers["content-type"] == "text/css; charset=utf-8"
        again = client.get("/client/style.css", headers={"If-None-Match": css.headers["etag"]})
        assert again.status_code == 304
        assert client.get("/client/missing.js").status_code == 404
        assert client.get("/client/..%2Fweb.py").status_code == 404


def test_the_page_is_told_the_gateway_port_that_was_bound(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        url = client.get("/api/v10/gateway").json()["url"]
    assert url == f"ws://127.0.0.1:{server.gateway_port}"


def test_the_page_stays_out_of_the_api_document(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        paths = client.get("/api/v10/openapi.json").json()["paths"]
    assert not {"/", "/invite/{code}", "/client/{name}"} & set(paths)
    assert "/api/v10/gateway" in paths
