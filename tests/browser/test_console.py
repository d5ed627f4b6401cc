"""The clerk's journeys through the municipal console, end to end in Chromium on the local stack."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Page, Playwright, Route, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TABLET, Console
from tests.e2e.conftest import StackClient
from tests.e2e.test_imports_flow import fill
from tests.integration.import_helpers import XLSX, facts, real_rows

pytestmark = pytest.mark.e2e
HIDA = "212172"  # 飛騨市
MATSUE = "322016"  # 松江市: the backfill journey
SHINJUKU = "131041"  # 新宿区: another government
JST = "+09:00"


@pytest.fixture
def clock(stack: StackClient) -> Iterator[StackClient]:
    yield stack
    stack.reset_clock()


def _activity(
    stack: StackClient, lg_code: str, name: str, *, mode: str = "static_qr", start: datetime | None = None
) -> dict[str, Any]:
    staff = stack.token(f"browser-staff-{lg_code}", "staff", lg_code=lg_code, staff_role="coordinator")
    starts = start or datetime.now().astimezone() - timedelta(minutes=10)
    body = {
        "name": name,
        "starts_at": starts.isoformat(timespec="seconds"),
        "ends_at": (starts + timedelta(hours=3)).isoformat(timespec="seconds"),
        "place": "古川町公民館",
        "checkin_mode": mode,
        "designated": True,
    }
    created = stack.post(f"/v1/admin/lgs/{lg_code}/activities", token=staff, json=body)
    assert created.status_code == 201, created.text
    return dict(created.json())


def _registrant(stack: StackClient, sub: str, name: str, lg_code: str = HIDA) -> str:
    person = stack.token(sub, "registrant")
    profile = {
        "name": name,
        "birth_date": "1988-07-07",
        "gender": "female",
        "postal_code": "160-0022",
        "address": "東京都新宿区新宿1-1-1",
    }
    assert stack.put("/v1/me/profile", token=person, json=profile).status_code == 200
    body = {"plan": "basic", "survey_answers": {"relationship": ["観光・訪問"]}}
    registered = stack.put(f"/v1/me/registrations/{lg_code}", token=person, json=body)
    assert registered.status_code in (200, 201), registered.text
    return person


def test_a_clerk_signs_in_plans_an_activity_and_saves_its_poster(console: Console, page: Page) -> None:
    console.sign_in(HIDA, "coordinator")
    expect(page.get_by_role("heading", name="飛騨市 の管理画面")).to_be_visible()
    console.menu("活動")
    page.get_by_role("link", name="活動を登録").click()

    # A mistake first: the API names the field, the console says it in Japanese beside it.
    page.get_by_label("活動名").fill("里山の草刈り")
    page.get_by_label("開始日時").fill("2026-06-01T09:00")
    page.get_by_label("終了日時").fill("2026-06-01T12:00")
    page.get_by_role("button", name="登録する").click()
    place = page.locator(".field", has=page.get_by_label("場所"))
    expect(place.locator(".field-error")).to_have_text(re.compile("文字で入力|入力してください"))
    expect(page.get_by_label("場所")).to_have_attribute("aria-invalid", "true")
    assert "{" not in page.locator("main").inner_text()  # never raw JSON

    page.get_by_label("場所").fill("古川町 里山公園")
    page.get_by_role("button", name="登録する").click()
    expect(page.get_by_role("heading", name="里山の草刈り")).to_be_visible()
    expect(page.get_by_text("古川町 里山公園")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("button", name="ポスターを保存（PNG）").click()
    path = download.value.path()
    assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert download.value.suggested_filename.endswith(".png")
    with page.expect_download() as download:
        page.get_by_role("button", name="ポスターを保存（A4 PDF）").click()
    path = download.value.path()
    assert path is not None and path.read_bytes().startswith(b"%PDF-")
    assert download.value.suggested_filename.endswith(".pdf")

    # Printing: the browser's print dialog opens with the poster loaded (stubbed here).
    stub = (
        "() => { window.print = () => {"
        " window.printed = document.querySelector('.print-poster img').width } }"
    )
    page.evaluate(stub)
    page.get_by_role("button", name="ポスターを印刷").click()
    for _ in range(50):  # wait_for_function would eval a string, which the console's CSP forbids
        if page.evaluate("() => window.printed || 0") > 0:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("() => window.printed || 0") > 0


def test_the_roster_shows_a_registrant_who_checked_in_and_exports(
    console: Console, page: Page, stack: StackClient
) -> None:
    activity = _activity(stack, HIDA, "古民家の掃除")
    staff = stack.token("browser-roster-staff", "staff", lg_code=HIDA, staff_role="coordinator")
    qr = stack.get(
        f"/v1/admin/lgs/{HIDA}/activities/{activity['activity_id']}/qr",
        token=staff,
        params={"format": "json"},
    ).json()
    person = _registrant(stack, "browser-roster-person", "飛騨 花子")
    scan = stack.post(
        "/v1/checkins", token=person, json={"token": qr["token"], "nonce": "browser-roster-0001"}
    )
    assert scan.status_code == 201, scan.text

    console.sign_in(HIDA, "viewer", path=f"/activities/{activity['activity_id']}")
    roster = page.locator("#roster")
    expect(roster.get_by_role("row", name=re.compile("飛騨 花子"))).to_contain_text("QRコード")
    with page.expect_download() as download:
        page.get_by_role("button", name="名簿をExcelで保存").click()
    path = download.value.path()
    assert path is not None and path.read_bytes()[:2] == b"PK"


def test_a_coordinator_confirms_an_offline_scan_sent_after_the_activity(
    console: Console, page: Page, stack: StackClient
) -> None:
    """A scan sent hours after check-in closed waits on the roster as 未確認 until a coordinator
    confirms it (or rejects it); a viewer sees it without the buttons."""
    start = datetime.now().astimezone() - timedelta(hours=6)  # check-in closed an hour ago
    activity = _activity(stack, HIDA, "オフラインの清掃", start=start)
    staff = stack.token("browser-offline-staff", "staff", lg_code=HIDA, staff_role="coordinator")
    qr = stack.get(
        f"/v1/admin/lgs/{HIDA}/activities/{activity['activity_id']}/qr",
        token=staff,
        params={"format": "json"},
    ).json()
    for n, name in enumerate(("確認 待子", "却下 太郎")):
        person = _registrant(stack, f"browser-offline-{n}", name)
        scan = stack.post(
            "/v1/checkins",
            token=person,
            json={
                "token": qr["token"],
                "nonce": f"browser-offline-{n:04d}",
                "scanned_at": (start + timedelta(minutes=5)).isoformat(timespec="seconds"),
            },
        )
        assert scan.status_code == 201 and scan.json()["participation"]["status"] == "unconfirmed", scan.text

    console.sign_in(HIDA, "viewer", path=f"/activities/{activity['activity_id']}")
    waiting = page.locator("#roster").get_by_role("row", name=re.compile("確認 待子"))
    expect(waiting).to_contain_text("未確認")
    expect(waiting.get_by_role("button", name="確認")).to_have_count(0)

    page.get_by_role("button", name="サインアウト").click()
    console.sign_in(HIDA, "coordinator", path=f"/activities/{activity['activity_id']}")
    page.on("dialog", lambda dialog: dialog.accept())
    waiting = page.locator("#roster").get_by_role("row", name=re.compile("確認 待子"))
    waiting.get_by_role("button", name="確認", exact=True).click()
    expect(waiting).to_contain_text("確認済み")
    other = page.locator("#roster").get_by_role("row", name=re.compile("却下 太郎"))
    other.get_by_role("button", name="却下").click()
    expect(other).to_contain_text("却下")
    expect(other.get_by_role("button")).to_have_count(0)
    counted = stack.get(f"/v1/admin/lgs/{HIDA}/activities/{activity['activity_id']}", token=staff).json()
    assert counted["participant_count"] == 1


def test_staff_scan_a_members_card_and_read_the_result_large(
    console: Console, page: Page, stack: StackClient
) -> None:
    activity = _activity(stack, HIDA, "朝市の手伝い", mode="staff_scan")
    person = _registrant(stack, "browser-card-person", "高山 次郎")
    member_token = stack.get("/v1/me/card", token=person).json()["member_token"]

    console.sign_in(HIDA, "coordinator", path=f"/activities/{activity['activity_id']}")
    page.get_by_role("link", name="会員証を読み取る").click()
    expect(page.get_by_role("button", name="カメラで読み取る")).to_be_visible()
    # A handheld scanner types the code and Enter, as the camera's decoder would submit it.
    page.get_by_label("会員証のコード（読み取り機・手入力）").fill(member_token)
    page.get_by_label("会員証のコード（読み取り機・手入力）").press("Enter")
    result = page.locator(".scan-result")
    expect(result).to_contain_text("受付しました")
    size = float(result.locator(".scan-title").evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert size >= 36  # readable at arm's length
    page.get_by_label("会員証のコード（読み取り機・手入力）").fill("not-a-member-code")
    page.get_by_label("会員証のコード（読み取り機・手入力）").press("Enter")
    expect(result).to_contain_text("受付できません")
    page.get_by_role("link", name="活動の画面へ戻る").click()
    expect(page.locator("#roster")).to_contain_text("高山 次郎")


def test_the_venue_page_rotates_its_code(
    console: Console, page: Page, stack: StackClient, clock: StackClient
) -> None:
    start = datetime.fromisoformat(f"2026-09-01T10:00:00{JST}")
    now = start + timedelta(minutes=5)
    stack.set_clock(now.isoformat())
    activity = _activity(stack, HIDA, "祭りの設営", mode="rotating_qr", start=start)
    # The browser's clock and the stack's business clock move together.
    page.clock.install(time=now)
    console.sign_in(HIDA, "coordinator", path=f"/activities/{activity['activity_id']}/venue")
    code = page.locator(".venue-code")
    expect(code.get_by_role("img", name="参加受付のQRコード")).to_be_visible()
    expect(code).not_to_have_attribute("data-token", "")
    first = code.get_attribute("data-token")
    expect(page.get_by_role("heading", name="祭りの設営")).to_be_visible()

    stack.set_clock((now + timedelta(seconds=35)).isoformat())
    page.clock.run_for(35_000)
    expect(code).not_to_have_attribute("data-token", first or "")
    expect(code).not_to_have_attribute("data-token", "")
    second = code.get_attribute("data-token")
    assert second and second != first
    # The code on screen is the one the API issues now: a registrant scanning it is recorded.
    person = _registrant(stack, "browser-venue-person", "古川 三郎")
    scan = stack.post("/v1/checkins", token=person, json={"token": second, "nonce": "browser-venue-0001"})
    assert scan.status_code == 201, scan.text


def _drop_file(page: Page, selector: str, data: bytes, filename: str) -> None:
    transfer = page.evaluate_handle(
        """([b64, name, type]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type }));
            return dt;
        }""",
        [base64.b64encode(data).decode(), filename, XLSX],
    )
    page.dispatch_event(selector, "dragover", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def test_a_clerk_backfills_the_sample_by_drag_and_drop(
    console: Console, page: Page, stack: StackClient, clock: StackClient
) -> None:
    stack.set_clock(f"2027-04-01T10:00:00{JST}")
    # 佐藤 健一 of the sample is a registrant already: the import matches him.
    sato = stack.token("browser-import-sato", "registrant")
    assert stack.put("/v1/me/profile", token=sato, json=facts("佐藤 健一")).status_code == 200
    body = {"plan": "basic", "survey_answers": {"relationship": ["観光・訪問"]}}
    assert stack.put(f"/v1/me/registrations/{MATSUE}", token=sato, json=body).status_code == 201
    console.sign_in(MATSUE, "coordinator")
    console.menu("活動実績の取込")
    with page.expect_download() as template_download:
        page.get_by_role("button", name="様式をダウンロード").click()
    template_path = template_download.value.path()
    assert template_path is not None
    rows = real_rows()
    rows[11][9] = "1974/2/30"  # one mistake: no such birth date (小林's 雪下ろし row)
    _drop_file(page, "[data-testid=dropzone]", fill(template_path.read_bytes(), rows), "令和8年度実績.xlsx")

    # The dry run: counts, and the faulty row with its column and the reason in Japanese.
    expect(page.get_by_role("heading", name=re.compile("確認済み"))).to_be_visible(timeout=60_000)
    counts = page.locator("#import-counts")
    expect(counts).to_contain_text("14")
    issues = page.get_by_role("table", name="確認結果（要確認の行）")
    issue = issues.get_by_role("row").filter(has_text="生年月日")
    expect(issue).to_contain_text("15")
    expect(issue).to_contain_text("存在しない日付")
    expect(issue).not_to_contain_text("no such date")  # the clerk reads Japanese only

    page.get_by_role("button", name="取り込む（13 行）").click()
    expect(page.get_by_role("heading", name=re.compile("取込完了"))).to_be_visible(timeout=60_000)
    page.get_by_role("link", name="活動", exact=True).first.click()
    page.get_by_role("link", name="農業ボランティア").click()
    row = page.locator("#roster").get_by_role("row").filter(has_text="佐藤 健一")
    expect(row).to_contain_text("実績の取込")
    # Backfilled people not registered yet are on the roster too, and in the count.
    lines = page.locator("#roster tbody tr")
    expect(lines.first).to_be_visible()
    assert lines.count() > 1
    expect(page.get_by_text(re.compile(f"^{lines.count()} 人$"))).to_be_visible()


def test_a_coordinator_decides_a_review(
    console: Console, page: Page, stack: StackClient, clock: StackClient
) -> None:
    admin = stack.token("browser-review-admin", "staff", lg_code=HIDA, staff_role="admin")
    settings = stack.get(f"/v1/admin/lgs/{HIDA}/settings", token=admin).json()
    changed = stack.put(
        f"/v1/admin/lgs/{HIDA}/settings", token=admin, json={**settings, "auto_approval": False}
    )
    assert changed.status_code == 200, changed.text
    try:
        start = datetime.fromisoformat(f"2026-10-01T10:00:00{JST}")
        stack.set_clock(start.isoformat())
        person = _registrant(stack, "browser-review-person", "審査 待子")
        facts = {
            "subject": "browser-review-subject",
            "name": "審査 待子",
            "birth_date": "1988-07-07",
            "gender": "female",
            "address": "東京都新宿区新宿1-1-1",
        }
        assert stack.verify_identity(person, facts).status_code == 201
        staff = stack.token("browser-review-staff", "staff", lg_code=HIDA, staff_role="coordinator")
        for i in range(settings["min_activities"]):
            day = start + timedelta(days=i + 1)
            stack.set_clock((day + timedelta(minutes=5)).isoformat())
            activity = _activity(stack, HIDA, f"審査用の活動 {i}", start=day)
            qr = stack.get(
                f"/v1/admin/lgs/{HIDA}/activities/{activity['activity_id']}/qr",
                token=staff,
                params={"format": "json"},
            ).json()
            scan = stack.post(
                "/v1/checkins", token=person, json={"token": qr["token"], "nonce": f"browser-review-{i:04d}"}
            )
            assert scan.status_code == 201, scan.text
        body = {"plan": "premium", "survey_answers": {"relationship": ["観光・訪問"]}}
        applied = stack.put(f"/v1/me/registrations/{HIDA}", token=person, json=body)
        assert applied.status_code == 202, applied.text
        registration_id = applied.json()["registration_id"]

        console.sign_in(HIDA, "coordinator")
        console.menu("登録者と審査")
        page.get_by_label("状態").select_option("pending_review")
        row = page.locator("#registrations").get_by_role("row").filter(has_text=registration_id)
        row.get_by_role("button", name="承認").click()
        expect(row.locator(".field-error")).to_be_visible()  # the reason is required
        row.get_by_label("判断の理由").fill("活動3回と本人確認を確認しました")
        row.get_by_role("button", name="承認").click()
        expect(row).to_contain_text("有効")
        mine = stack.get("/v1/me/registrations", token=person).json()["items"]
        assert next(r for r in mine if r["lg_code"] == HIDA)["plan"] == "premium"

        # Stays the government confirmed: a day in the future is refused beside the field.
        stays = page.get_by_role("form", name="滞在日の記録")
        stays.get_by_label("登録ID").fill(registration_id)
        stays.get_by_label("滞在日（YYYY-MM-DD、複数はカンマ区切り）").fill("2026-10-02, 2031-01-01")
        stays.get_by_role("button", name="記録する").click()
        expect(stays.locator(".field-error")).to_be_visible()
        stays.get_by_label("滞在日（YYYY-MM-DD、複数はカンマ区切り）").fill("2026-10-02, 2026-10-03")
        stays.get_by_role("button", name="記録する").click()
        expect(stays).to_contain_text("滞在を記録しました。")
        expect(stays).to_contain_text(re.compile(r"滞在日数の合計: \d+ 日"))
    finally:
        stack.put(f"/v1/admin/lgs/{HIDA}/settings", token=admin, json=settings)


def test_a_viewer_sees_no_write_controls(console: Console, page: Page, stack: StackClient) -> None:
    activity = _activity(stack, HIDA, "閲覧者の確認用")
    console.sign_in(HIDA, "viewer")
    console.menu("活動")
    expect(page.get_by_role("heading", name="活動")).to_be_visible()
    expect(page.get_by_role("link", name="閲覧者の確認用")).to_be_visible()
    expect(page.get_by_role("link", name="活動を登録")).to_have_count(0)
    page.get_by_role("link", name="閲覧者の確認用").click()
    expect(page.get_by_role("heading", name="参加者名簿")).to_be_visible()
    for name in ("ポスターを保存（PNG）", "会場画面を開く", "会員証を読み取る", "変更を保存", "中止する"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
        expect(page.get_by_role("link", name=name)).to_have_count(0)
    console.menu("活動実績の取込")
    expect(page.get_by_text("取込は管理者・担当者が行います。")).to_be_visible()
    expect(page.get_by_label("ファイルを選ぶ")).to_have_count(0)
    console.menu("プレミアム登録の設定")
    expect(page.get_by_label("必要な活動の回数")).to_be_disabled()
    expect(page.get_by_role("button", name="保存する")).to_have_count(0)
    nav = page.get_by_role("navigation", name="メニュー")
    expect(nav.get_by_role("link", name="職員アカウント")).to_have_count(0)
    assert activity["activity_id"]


def test_another_governments_data_is_unreachable(console: Console, page: Page, stack: StackClient) -> None:
    theirs = _activity(stack, SHINJUKU, "新宿区の活動")
    console.sign_in(HIDA, "admin", path=f"/activities/{theirs['activity_id']}")
    expect(page.get_by_role("alert")).to_contain_text("見つかりませんでした")
    expect(page.get_by_text("新宿区の活動")).to_have_count(0)
    console.menu("活動")
    expect(page.get_by_role("heading", name="活動")).to_be_visible()
    expect(page.get_by_role("link", name="新宿区の活動")).to_have_count(0)


def test_works_on_a_tablet_and_by_keyboard(console: Console, page: Page) -> None:
    page.set_viewport_size(TABLET)
    page.goto(console.url("/"))
    expect(page.get_by_label("自治体")).to_be_visible()
    # Keyboard only: the first Tab reaches the first control, which has its label.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.labels?.[0]?.textContent || ''")
    assert focused == "利用者の種類"
    console.sign_in(HIDA, "admin")
    nav = page.get_by_role("navigation", name="メニュー")
    expect(nav).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 820  # no sideways scrolling on a tablet
    page.get_by_role("link", name="本文へ移動").focus()
    expect(page.get_by_role("link", name="本文へ移動")).to_be_visible()


def test_the_operator_onboards_a_government(console: Console, page: Page) -> None:
    console.sign_in_operator()
    expect(page.get_by_role("heading", name="自治体の登録")).to_be_visible()
    expect(page.locator("#governments")).to_contain_text("飛騨市")
    page.get_by_label("全国地方公共団体コード（6桁）").fill("12345")
    page.get_by_label("名称").fill("テスト町")
    page.get_by_label("都道府県コード（2桁）").fill("01")
    page.get_by_role("button", name="登録する").click()
    code = page.locator(".field", has=page.get_by_label("全国地方公共団体コード（6桁）"))
    expect(code.locator(".field-error")).to_be_visible()
    assert "{" not in code.inner_text()


def _route_deployed(stack: StackClient, token: str, path: str) -> bool:
    """False while another part of the backend has not added the route (404 no such route, 501)."""
    response = stack.get(path, token=token)
    if response.status_code == 501:
        return False
    return not (response.status_code == 404 and response.json()["error"]["message"] == "no such route")


def test_a_coordinator_publishes_targeted_content(console: Console, page: Page, stack: StackClient) -> None:
    staff = stack.token("browser-content-staff", "staff", lg_code=HIDA, staff_role="coordinator")
    if not _route_deployed(stack, staff, f"/v1/admin/lgs/{HIDA}/contents"):
        pytest.skip("the content routes are not deployed on this branch yet")
    console.sign_in(HIDA, "coordinator")
    console.menu("お知らせ")
    page.get_by_role("button", name="新しいお知らせ").click()
    form = page.get_by_role("form", name="お知らせの編集")
    form.get_by_label("種類").select_option("event")
    form.get_by_label("題名").fill("プレミアム会員向け 収穫体験のご案内")
    form.get_by_label("本文（Markdown）").fill("# 収穫体験\n\n- 日時: 10月5日\n- **定員** 20名")
    preview = form.get_by_label("プレビュー")
    expect(preview.get_by_role("heading", name="収穫体験", exact=True)).to_be_visible()
    expect(preview.locator("strong")).to_have_text("定員")
    form.get_by_label("プレミアム登録の方").check()
    form.get_by_role("button", name="保存する").click()
    row = page.locator("#contents").get_by_role("row").filter(has_text="プレミアム会員向け 収穫体験のご案内")
    expect(row).to_contain_text("イベント")
    saved = stack.get(f"/v1/admin/lgs/{HIDA}/contents", token=staff).json()["items"]
    mine = next(c for c in saved if c["title"] == "プレミアム会員向け 収穫体験のご案内")
    assert mine["target"]["plans"] == ["premium"]
    assert mine["status"] in ("published", "scheduled")


def test_a_viewer_reads_the_statistics(console: Console, page: Page, stack: StackClient) -> None:
    viewer = stack.token("browser-stats-viewer", "staff", lg_code=HIDA, staff_role="viewer")
    if not _route_deployed(stack, viewer, f"/v1/admin/lgs/{HIDA}/stats"):
        pytest.skip("the statistics route is not deployed on this branch yet")
    _registrant(stack, "browser-stats-person", "統計 太郎")
    stats = stack.get(f"/v1/admin/lgs/{HIDA}/stats", token=viewer).json()
    console.sign_in(HIDA, "viewer")
    console.menu("統計")
    summary = page.locator("#stats-summary")
    expect(summary).to_contain_text(f"{stats['relationship_population']['total']:,} 人")
    expect(page.get_by_role("img", name=re.compile("関係人口の月別推移のグラフ"))).to_be_visible()
    expect(page.get_by_role("table", name="年代別（人）")).to_be_visible()


def _camera_file(path: Path, text: str) -> Path:
    """A Y4M video of the code, for Chromium's fake camera (one frame, looped)."""
    import qrcode  # the poster's encoder, a runtime dependency already

    code = qrcode.QRCode(border=4, box_size=1)
    code.add_data(text)
    code.make(fit=True)
    modules = code.get_matrix()
    width, height, scale = 640, 480, 400 // len(modules)
    x0, y0 = (width - len(modules) * scale) // 2, (height - len(modules) * scale) // 2
    luma = bytearray([235]) * (width * height)
    for r, row in enumerate(modules):
        for c, dark in enumerate(row):
            if dark:
                for y in range(y0 + r * scale, y0 + (r + 1) * scale):
                    start = y * width + x0 + c * scale
                    luma[start : start + scale] = bytes([16]) * scale
    chroma = bytes([128]) * (width * height // 4)
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + b"FRAME\n" + bytes(luma) + chroma + chroma)
    return path


def test_staff_scan_a_members_card_with_the_camera(
    playwright: Playwright, stack: StackClient, tmp_path: Path
) -> None:
    activity = _activity(stack, HIDA, "カメラで受付する活動", mode="staff_scan")
    person = _registrant(stack, "browser-camera-person", "写真 四郎")
    member_token = stack.get("/v1/me/card", token=person).json()["member_token"]
    video = _camera_file(tmp_path / "card.y4m", member_token)
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = browser.new_context(viewport=TABLET, locale="ja-JP", permissions=["camera"])
        page = context.new_page()
        console = Console(page, stack)
        console.sign_in(HIDA, "coordinator", path=f"/activities/{activity['activity_id']}/scan")
        page.get_by_role("button", name="カメラで読み取る").click()
        expect(page.get_by_role("button", name="カメラを止める")).to_be_visible()
        expect(page.locator(".scan-result")).to_contain_text("受付しました", timeout=20_000)
        page.get_by_role("button", name="カメラを止める").click()
        roster = stack.get(
            f"/v1/admin/lgs/{HIDA}/activities/{activity['activity_id']}/participants",
            token=stack.token("browser-staff-212172", "staff", lg_code=HIDA, staff_role="coordinator"),
        ).json()["items"]
        assert [p["source"] for p in roster] == ["staff_scan"]
    finally:
        browser.close()


def test_hosted_sign_in_with_pkce_keeps_tokens_in_memory(
    console: Console, page: Page, stack: StackClient
) -> None:
    """The AWS sign-in path, with the hosted sign-in played by Playwright: code + PKCE (S256),
    refresh and sign-out; the ID token is a real one of the local staff pool, so the API answers."""
    auth = "https://auth.example.test"
    id_token = stack.token("browser-hosted-admin", "staff", lg_code=HIDA, staff_role="admin")
    seen: dict[str, Any] = {}

    def console_files(route: Route) -> None:
        if route.request.url.endswith("/admin/config.json"):
            config = {"auth": "cognito", "api_url": "", "client_id": "console-client", "auth_domain": auth}
            route.fulfill(json=config)
            return
        response = route.fetch()
        headers = dict(response.headers)
        # The deployment's CSP names the hosted sign-in domain (infra/cdk/console.py).
        headers["content-security-policy"] = headers["content-security-policy"].replace(
            "connect-src 'self'", f"connect-src 'self' {auth}"
        )
        route.fulfill(response=response, headers=headers)

    def hosted(route: Route) -> None:
        url = urlsplit(route.request.url)
        query = dict(parse_qsl(url.query))
        if url.path == "/oauth2/authorize":
            seen["authorize"] = query
            target = f"{query['redirect_uri']}?code=the-code&state={query['state']}"
            # The user signs in (and enters the MFA code); then the page goes back to the console.
            # (A new navigation rather than a 302: Playwright does not route a fulfilled redirect.)
            page_html = f'<meta http-equiv="refresh" content="0;url={target}">'
            route.fulfill(status=200, body=page_html, content_type="text/html")
        elif url.path == "/oauth2/token":
            form = dict(parse_qsl(route.request.post_data or ""))
            seen.setdefault("token", []).append(form)
            cors = {"Access-Control-Allow-Origin": stack.base_url}
            body = {"id_token": id_token, "access_token": "a", "refresh_token": "r", "expires_in": 3600}
            route.fulfill(json=body, headers=cors)
        elif url.path == "/logout":
            seen["logout"] = query
            route.fulfill(status=200, body="signed out", content_type="text/plain")

    page.route(f"{stack.base_url}/admin/**", console_files)
    page.route(f"{auth}/**", hosted)
    page.goto(console.url("/activities"))
    page.get_by_role("button", name="サインイン").click()
    expect(page.get_by_role("heading", name="活動")).to_be_visible()

    authorize = seen["authorize"]
    assert authorize["response_type"] == "code" and authorize["code_challenge_method"] == "S256"
    assert authorize["redirect_uri"] == f"{stack.base_url}/admin/callback"
    exchange = seen["token"][0]
    assert exchange["grant_type"] == "authorization_code" and exchange["code"] == "the-code"
    digest = hashlib.sha256(exchange["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == authorize["code_challenge"]
    stored = page.evaluate("() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})")
    assert id_token not in stored and "the-code" not in stored  # tokens live in memory only

    page.get_by_role("button", name="サインアウト").click()
    page.wait_for_url(f"{auth}/logout**")
    assert seen["logout"]["client_id"] == "console-client"
