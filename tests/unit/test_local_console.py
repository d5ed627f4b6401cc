"""The local stack's console site: the app under /admin, deep links, config and security headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local.console import ConsoleSite, is_console_path
from infra.local.messages import HttpResponse, Request

STORAGE = "http://127.0.0.1:9001"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>管理画面</title>", encoding="utf-8")
    (tmp_path / "assets" / "index-abc.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("outside")
    return tmp_path


def get(site: ConsoleSite, path: str) -> HttpResponse:
    return site.serve(Request("GET", path, []))


def header(response: HttpResponse, name: str) -> str:
    return next(v for k, v in response.headers if k.lower() == name.lower())


def test_only_admin_paths_are_the_consoles() -> None:
    assert is_console_path("/admin") and is_console_path("/admin/activities")
    assert not is_console_path("/administrator") and not is_console_path("/v1/admin/lgs/212172/page")


def test_app_routes_answer_index_and_assets_are_cached(dist: Path) -> None:
    site = ConsoleSite(storage_url=STORAGE, dist=dist)
    assert get(site, "/admin").status == 302
    for path in ("/admin/", "/admin/activities/act_1/venue", "/admin/imports?x=1"):
        page = get(site, path)
        assert page.status == 200 and "管理画面" in page.body.decode()
        assert header(page, "Cache-Control") == "no-cache"
    asset = get(site, "/admin/assets/index-abc.js")
    assert asset.body == b"console.log(1)" and "immutable" in header(asset, "Cache-Control")
    assert header(asset, "Content-Type").startswith("text/javascript")
    assert get(site, "/admin/assets/missing.js").status == 404
    # Nothing outside the build is reachable.
    assert get(site, "/admin/../secret.txt").body != b"outside"
    assert get(site, "/admin/%2e%2e/secret.txt").body != b"outside"


def test_config_and_security_headers(dist: Path) -> None:
    site = ConsoleSite(storage_url=STORAGE, dist=dist)
    config = get(site, "/admin/config.json")
    assert config.json() == {"auth": "local", "api_url": ""}
    csp = header(get(site, "/admin/"), "Content-Security-Policy")
    directives = {d.split()[0]: d for d in (p.strip() for p in csp.split(";"))}
    assert directives["script-src"] == "script-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert STORAGE in directives["connect-src"] and "unsafe-inline" not in csp
    assert header(config, "X-Content-Type-Options") == "nosniff"


def test_an_unbuilt_console_says_how_to_build_it(tmp_path: Path) -> None:
    site = ConsoleSite(storage_url=STORAGE, dist=tmp_path / "dist")
    response = get(site, "/admin/")
    assert response.status == 503 and "make console" in response.body.decode()
