"""The console in a real browser: Debian's Chromium, driven headless by Playwright (from PyPI),
against the local stack as `make run` starts it. `make test` builds the console and installs
Chromium first; `playwright install` is never used (its downloads are not reachable)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

from tests.e2e.conftest import StackClient
from tests.e2e.conftest import stack as stack

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
TABLET: ViewportSize = {"width": 820, "height": 1180}
expect.set_options(timeout=15_000)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not (ROOT / "console" / "dist" / "index.html").is_file():
        pytest.fail("the console is not built: run `make console` (make test does)")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (make test does)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    # A fresh context per test: tokens live in the page's memory only, so each test signs in.
    context = browser.new_context(
        viewport=DESKTOP, locale="ja-JP", timezone_id="Asia/Tokyo", accept_downloads=True
    )
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    assert not errors, f"JavaScript errors in the console: {errors}"


class Console:
    """The clerk's moves, in Japanese, as a clerk sees them."""

    def __init__(self, page: Page, stack: StackClient) -> None:
        self.page = page
        self.stack = stack

    def url(self, path: str = "/") -> str:
        return f"{self.stack.base_url}/admin{path}"

    def sign_in(self, lg_code: str, staff_role: str = "admin", path: str = "/", **extra: Any) -> None:
        page = self.page
        page.goto(self.url(path))
        page.get_by_label("利用者の種類").select_option("staff")
        page.get_by_label("自治体").select_option(lg_code)
        page.get_by_label("役割").select_option(staff_role)
        if staff_role == "org":
            page.get_by_label("団体ID").fill(extra["org_id"])
        page.get_by_role("button", name="サインイン").click()
        expect(page.get_by_role("button", name="サインイン")).to_have_count(0)

    def sign_in_operator(self) -> None:
        page = self.page
        page.goto(self.url("/"))
        page.get_by_label("利用者の種類").select_option("operator")
        page.get_by_role("button", name="サインイン").click()
        expect(page.get_by_role("button", name="サインアウト")).to_be_visible()

    def menu(self, name: str) -> None:
        self.page.get_by_role("navigation", name="メニュー").get_by_role(
            "link", name=name, exact=True
        ).click()


@pytest.fixture
def console(page: Page, stack: StackClient) -> Console:
    return Console(page, stack)
