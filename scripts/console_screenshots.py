"""Screenshots of each console page into docs/console/ (`make console-screenshots`).

Runs the local stack with demo data (scripts/console_demo.py) and Debian's Chromium through
Playwright at 1280x800; the venue and scan pages also at tablet size.
"""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.console_demo import CHROMIUM_ARGS, HIDA, Demo, demo_stack
from tests.integration.import_helpers import XLSX, real_rows

OUT = Path(__file__).resolve().parents[1] / "docs" / "console"
MATSUE = "322016"


def go(page: Page, path: str) -> None:
    """Client-side navigation: a reload would drop the in-memory session."""
    page.evaluate(
        "p => { history.pushState(null, '', '/admin' + p); dispatchEvent(new PopStateEvent('popstate')); }",
        path,
    )
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
    print(f"docs/console/{name}.png")


def backfill_sample(page: Page, demo: Demo) -> None:
    """A dry run of the sample with one mistake, as a clerk drops it on the page."""
    demo.call("PUT", "/local/clock", json={"now": "2027-04-01T10:00:00+09:00"})
    staff = demo.token("demo-matsue", "staff", lg_code=MATSUE, staff_role="coordinator")
    template = demo.http.get(
        f"{demo.base_url}/v1/admin/lgs/{MATSUE}/imports/template",
        headers={"Authorization": f"Bearer {staff}", "Accept": XLSX},
        timeout=30,
    ).content
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    rows = real_rows()
    rows[11][9] = "1974/2/30"
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row, start=1):
            sheet.cell(r, c).value = value or None
    data = io.BytesIO()
    book.save(data)
    transfer = page.evaluate_handle(
        """([b64, type]) => {
            const b = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([b], "令和8年度実績.xlsx", { type }));
            return dt;
        }""",
        [base64.b64encode(data.getvalue()).decode(), XLSX],
    )
    page.dispatch_event("[data-testid=dropzone]", "drop", {"dataTransfer": transfer})
    page.get_by_role("table", name="確認結果（要確認の行）").wait_for(timeout=60_000)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with demo_stack() as demo, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, locale="ja-JP", timezone_id="Asia/Tokyo"
        )
        page = context.new_page()
        page.goto(f"{demo.base_url}/admin/")
        page.wait_for_load_state("networkidle")
        shoot(page, "signin")

        page.goto("about:blank")
        page.goto(f"{demo.base_url}/admin/#local-sign-in={HIDA}:admin")
        page.get_by_role("button", name="サインアウト").wait_for()
        static, rotating, scan = (demo.activity_ids[m] for m in ("static_qr", "rotating_qr", "staff_scan"))
        for name, path in [
            ("home", "/"),
            ("activities", "/activities"),
            ("activity-new", "/activities/new"),
            ("activity", f"/activities/{static}"),
            ("scan", f"/activities/{scan}/scan"),
            ("registrations", "/registrations"),
            ("page", "/page"),
            ("survey", "/survey"),
            ("settings", "/settings"),
            ("organizations", "/organizations"),
        ]:
            go(page, path)
            shoot(page, name)
        go(page, f"/activities/{rotating}/venue")
        page.get_by_role("img", name="参加受付のQRコード").wait_for()
        shoot(page, "venue")
        page.set_viewport_size({"width": 820, "height": 1180})
        shoot(page, "venue-tablet")
        go(page, "/activities")
        shoot(page, "activities-tablet")
        context.close()

        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, locale="ja-JP", timezone_id="Asia/Tokyo"
        )
        page = context.new_page()
        page.goto(f"{demo.base_url}/admin/#local-sign-in={MATSUE}:coordinator")
        page.get_by_role("button", name="サインアウト").wait_for()
        go(page, "/imports")
        shoot(page, "imports")
        backfill_sample(page, demo)
        shoot(page, "imports-dry-run")
        demo.call("DELETE", "/local/clock")
        context.close()

        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, locale="ja-JP", timezone_id="Asia/Tokyo"
        )
        page = context.new_page()
        page.goto(f"{demo.base_url}/admin/")
        page.get_by_label("利用者の種類").select_option("operator")
        page.get_by_role("button", name="サインイン").click()
        page.get_by_role("button", name="サインアウト").wait_for()
        page.wait_for_load_state("networkidle")
        shoot(page, "operator")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
