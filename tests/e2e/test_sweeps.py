"""The sweeps over the local stack: `POST /local/sweeps/{name}` runs the sweeps function as the
schedule would, at the frozen clock's instant. A premium registrant (identity, three check-ins,
premium, all over HTTP) gets the renewal notice 30 days before expiry and falls back to basic on
the day with the reason; a basic registrant who stops coming is warned, then lapses, and the
automatic prefecture registration goes with the municipality.

Its own governments (北海道, 函館市) keep it apart from the other e2e tests sharing the stack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import StackClient

pytestmark = pytest.mark.e2e
HOKKAIDO, HAKODATE = "010006", "012025"
ANSWERS = {"relationship": ["観光・訪問"]}


@pytest.fixture
def governments(stack: StackClient) -> Iterator[None]:
    operator = stack.token("e2e-sweeps-operator", "operator")
    for code, name, kind in ((HOKKAIDO, "北海道", "prefecture"), (HAKODATE, "函館市", "municipality")):
        body = {"lg_code": code, "name": name, "kind": kind, "prefecture_code": "01"}
        created = stack.post("/v1/operator/lgs", token=operator, json=body)
        assert created.status_code in (201, 409), created.text
    yield
    stack.reset_clock()


def run_sweep(stack: StackClient, name: str, instant: str) -> dict[str, Any]:
    stack.set_clock(instant)
    # A sweep is a batch job (900 s in AWS): it reads every shard of its due index, which takes
    # moto a while on a loaded machine.
    response = stack.post(f"/local/sweeps/{name}", timeout=300)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["scheduled_time"] == instant and body["result"]["status"] == "completed", body
    return body["result"]


def inbox(stack: StackClient, token: str) -> list[dict[str, Any]]:
    response = stack.get("/v1/me/notifications", token=token)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def registrations(stack: StackClient, token: str) -> dict[str, dict[str, Any]]:
    response = stack.get("/v1/me/registrations", token=token)
    assert response.status_code == 200, response.text
    return {r["lg_code"]: r for r in response.json()["items"]}


def take_part(stack: StackClient, staff: str, person: str, day: str, n: int) -> None:
    base = f"/v1/admin/lgs/{HAKODATE}/activities"
    stack.set_clock(f"{day}T09:00:00+09:00")
    activity = {
        "name": f"e2e 朝市の手伝い {n}",
        "starts_at": f"{day}T10:00:00+09:00",
        "ends_at": f"{day}T12:00:00+09:00",
        "place": "函館朝市",
        "designated": True,
    }
    created = stack.post(base, token=staff, json=activity)
    assert created.status_code == 201, created.text
    code = stack.get(
        f"{base}/{created.json()['activity_id']}/qr", token=staff, params={"format": "json"}
    ).json()
    stack.set_clock(f"{day}T10:30:00+09:00")
    scanned = stack.post(
        "/v1/checkins", token=person, json={"token": code["token"], "nonce": f"e2e-sweep-{n:04d}"}
    )
    assert scanned.status_code == 201, scanned.text


def test_renewal_notice_then_back_to_basic(stack: StackClient, governments: None) -> None:
    staff = stack.token("e2e-sweeps-staff", "staff", lg_code=HAKODATE, staff_role="coordinator")
    person = stack.token("e2e-sweeps-premium", "registrant")
    stack.set_clock("2027-01-05T10:00:00+09:00")
    facts = {
        "subject": "e2e-sweeps-idp-1",
        "name": "函館 次郎",
        "birth_date": "1980-08-08",
        "gender": "male",
        "address": "東京都新宿区西新宿2-8-1",
    }
    nonce = stack.post("/v1/me/identity-verifications/nonce", token=person).json()["nonce"]
    assertion = stack.post("/local/identity-assertion", json={**facts, "nonce": nonce})
    assert assertion.status_code == 200, assertion.text
    verified = stack.post("/v1/me/identity-verifications", token=person, json=assertion.json())
    assert verified.status_code in (200, 201), verified.text
    for n, day in enumerate(("2027-01-10", "2027-01-11", "2027-01-12")):
        take_part(stack, staff, person, day, n)

    stack.set_clock("2027-01-20T10:00:00+09:00")
    upgraded = stack.put(
        f"/v1/me/registrations/{HAKODATE}", token=person, json={"plan": "premium", "survey_answers": ANSWERS}
    )
    assert upgraded.status_code in (200, 201), upgraded.text
    assert upgraded.json()["premium"]["valid_until"] == "2028-01-20"

    # 30 days before expiry the renewal sweep sends the notice; the day before, nothing.
    run_sweep(stack, "renewal", "2027-12-20T03:00:00+09:00")
    assert [n["kind"] for n in inbox(stack, person) if n["kind"] == "renewal_due"] == []
    result = run_sweep(stack, "renewal", "2027-12-21T03:00:00+09:00")
    assert result["counts"].get("notices", 0) >= 1
    [notice] = [n for n in inbox(stack, person) if n["kind"] == "renewal_due"]
    assert notice["lg_code"] == HAKODATE and "2028-01-20" in notice["body"]
    # The same scheduled time again: nothing more.
    assert stack.post("/local/sweeps/renewal").json()["result"]["status"] == "already_completed"
    assert len([n for n in inbox(stack, person) if n["kind"] == "renewal_due"]) == 1

    # On valid_until the activities of January 2027 are out of the window: back to basic, told why.
    run_sweep(stack, "renewal", "2028-01-20T03:00:00+09:00")
    reg = registrations(stack, person)[HAKODATE]
    assert (reg["plan"], reg["status"], reg["premium"]) == ("basic", "active", None)
    assert "required 3, counted 0" in reg["decision_reason"]
    [downgraded] = [n for n in inbox(stack, person) if n["kind"] == "downgraded"]
    assert "必要 3 件" in downgraded["body"] and "実績 0 件" in downgraded["body"]


def test_inactivity_warns_then_lapses(stack: StackClient, governments: None) -> None:
    admin = stack.token("e2e-sweeps-admin", "staff", lg_code=HAKODATE, staff_role="admin")
    stack.set_clock("2027-02-01T12:00:00+09:00")
    settings = stack.get(f"/v1/admin/lgs/{HAKODATE}/settings", token=admin).json()
    settings["inactivity_months"] = 2
    saved = stack.put(f"/v1/admin/lgs/{HAKODATE}/settings", token=admin, json=settings)
    assert saved.status_code == 200, saved.text

    person = stack.token("e2e-sweeps-basic", "registrant")
    created = stack.put(
        f"/v1/me/registrations/{HAKODATE}", token=person, json={"plan": "basic", "survey_answers": ANSWERS}
    )
    assert created.status_code == 201, created.text
    assert created.json()["also_registered"] == [HOKKAIDO]

    # Not a look at the app from here on (that would be an access): only the sweeps run.
    run_sweep(stack, "inactivity", "2027-02-28T03:30:00+09:00")
    run_sweep(stack, "inactivity", "2027-03-01T03:30:00+09:00")  # one month: the warning
    run_sweep(stack, "inactivity", "2027-03-31T03:30:00+09:00")
    run_sweep(stack, "inactivity", "2027-04-01T03:30:00+09:00")  # two months: the lapse

    kinds = sorted((n["kind"], n["lg_code"]) for n in inbox(stack, person))
    assert kinds == [("lapse_warning", HAKODATE), ("lapsed", HOKKAIDO), ("lapsed", HAKODATE)]
    warning = next(n for n in inbox(stack, person) if n["kind"] == "lapse_warning")
    assert warning["created_at"] == "2027-03-01T03:30:00+09:00" and "2027-04-01" in warning["body"]
    regs = registrations(stack, person)
    assert regs[HAKODATE]["status"] == "lapsed" and regs[HOKKAIDO]["status"] == "lapsed"


# --- rule 10 and the due index, over HTTP ---------------------------------------------------------

ASAHIKAWA, KUSHIRO = "012041", "012068"  # their own governments: other stories keep theirs


def onboard(stack: StackClient, code: str, name: str) -> str:
    operator = stack.token("e2e-sweeps-operator", "operator")
    body = {"lg_code": code, "name": name, "kind": "municipality", "prefecture_code": "01"}
    created = stack.post("/v1/operator/lgs", token=operator, json=body)
    assert created.status_code in (201, 409), created.text
    return stack.token(f"e2e-sweeps-admin-{code}", "staff", lg_code=code, staff_role="admin")


def verified_person(stack: StackClient, sub: str, subject: str) -> str:
    person = stack.token(sub, "registrant")
    facts = {
        "subject": subject,
        "name": "旭川 三郎",
        "birth_date": "1985-03-03",
        "gender": "male",
        "address": "東京都新宿区西新宿2-8-1",
    }
    verified = stack.verify_identity(person, facts)
    assert verified.status_code in (200, 201), verified.text
    return person


def scan_on(stack: StackClient, lg_code: str, staff: str, person: str, day: str, tag: str) -> None:
    base = f"/v1/admin/lgs/{lg_code}/activities"
    stack.set_clock(f"{day}T09:00:00+09:00")
    body = {
        "name": f"e2e 除雪 {tag}",
        "starts_at": f"{day}T10:00:00+09:00",
        "ends_at": f"{day}T12:00:00+09:00",
        "place": "市民会館",
        "designated": True,
    }
    created = stack.post(base, token=staff, json=body)
    assert created.status_code == 201, created.text
    code = stack.get(
        f"{base}/{created.json()['activity_id']}/qr", token=staff, params={"format": "json"}
    ).json()
    scanned = stack.post(
        "/v1/checkins", token=person, json={"token": code["token"], "nonce": f"e2e-{tag}-nonce"}
    )
    assert scanned.status_code == 201, scanned.text


def test_a_fiscal_year_renewal_counts_the_last_complete_fiscal_year(
    stack: StackClient, governments: None
) -> None:
    """Premium on 2027-05-10 (three activities in April and May 2027), three more later in that
    fiscal year: on 2028-05-10 the renewal counts the fiscal year 2027 and renews."""
    admin = onboard(stack, ASAHIKAWA, "旭川市")
    stack.set_clock("2027-04-01T12:00:00+09:00")
    settings = stack.get(f"/v1/admin/lgs/{ASAHIKAWA}/settings", token=admin).json()
    saved = stack.put(
        f"/v1/admin/lgs/{ASAHIKAWA}/settings", token=admin, json={**settings, "window": "fiscal_year"}
    )
    assert saved.status_code == 200, saved.text
    person = verified_person(stack, "e2e-sweeps-fiscal", "e2e-sweeps-idp-fiscal")
    for day in ("2027-04-20", "2027-05-01", "2027-05-09"):
        scan_on(stack, ASAHIKAWA, admin, person, day, f"fy-{day}")
    stack.set_clock("2027-05-10T12:00:00+09:00")
    granted = stack.put(
        f"/v1/me/registrations/{ASAHIKAWA}", token=person, json={"plan": "premium", "survey_answers": ANSWERS}
    )
    assert granted.status_code == 201 and granted.json()["premium"]["valid_until"] == "2028-05-10", (
        granted.text
    )
    for day in ("2027-09-01", "2027-11-01", "2028-02-01"):
        scan_on(stack, ASAHIKAWA, admin, person, day, f"fy-{day}")

    run_sweep(stack, "renewal", "2028-05-10T03:00:00+09:00")

    reg = registrations(stack, person)[ASAHIKAWA]
    assert (reg["plan"], reg["status"], reg["premium"]["valid_until"]) == ("premium", "active", "2029-05-10")
    assert [n["kind"] for n in inbox(stack, person) if n["lg_code"] == ASAHIKAWA] == ["renewed"]


def test_a_late_sweep_judges_every_overdue_registration(stack: StackClient, governments: None) -> None:
    """Premium registrations whose notice days and expiries no run ever covered: one run, years
    later, judges each of them, once."""
    staff = onboard(stack, KUSHIRO, "釧路市")
    people = []
    for n, start in enumerate(("2028-06-01", "2028-09-01", "2029-01-10")):
        person = verified_person(stack, f"e2e-sweeps-late-{n}", f"e2e-sweeps-idp-late-{n}")
        for i in range(3):
            scan_on(stack, KUSHIRO, staff, person, start[:-2] + f"{i + 1:02d}", f"late-{n}-{i}")
        stack.set_clock(f"{start[:-2]}05T12:00:00+09:00")
        granted = stack.put(
            f"/v1/me/registrations/{KUSHIRO}",
            token=person,
            json={"plan": "premium", "survey_answers": ANSWERS},
        )
        assert granted.status_code == 201, granted.text
        people.append(person)

    result = run_sweep(stack, "renewal", "2031-03-01T03:00:00+09:00")

    assert result["counts"].get("downgraded", 0) >= 3
    for person in people:
        reg = registrations(stack, person)[KUSHIRO]
        assert (reg["plan"], reg["status"]) == ("basic", "active")
        assert [n["kind"] for n in inbox(stack, person) if n["lg_code"] == KUSHIRO] == ["downgraded"]
    again = run_sweep(stack, "renewal", "2031-03-02T03:00:00+09:00")
    assert again["counts"].get("downgraded", 0) == 0


OBIHIRO = "012076"  # its own government: the late inactivity story keeps its people apart


def test_a_late_first_inactivity_sweep_judges_every_overdue_registration(
    stack: StackClient, governments: None
) -> None:
    """Basic registrations whose warning and lapse days no inactivity run covered: one run, long
    after, lapses each of them once, warns the one whose warning day has come, and the next run
    finds nothing left."""
    admin = onboard(stack, OBIHIRO, "帯広市")
    stack.set_clock("2027-02-01T12:00:00+09:00")
    settings = stack.get(f"/v1/admin/lgs/{OBIHIRO}/settings", token=admin).json()
    saved = stack.put(
        f"/v1/admin/lgs/{OBIHIRO}/settings", token=admin, json={**settings, "inactivity_months": 2}
    )
    assert saved.status_code == 200, saved.text

    def registered(sub: str, day: str) -> str:
        person = stack.token(sub, "registrant")
        stack.set_clock(f"{day}T12:00:00+09:00")
        created = stack.put(
            f"/v1/me/registrations/{OBIHIRO}", token=person, json={"plan": "basic", "survey_answers": ANSWERS}
        )
        assert created.status_code == 201, created.text
        return person

    early = registered("e2e-sweeps-idle-early", "2027-02-01")  # lapses 2027-04-01
    back = registered("e2e-sweeps-idle-back", "2027-02-20")
    stack.set_clock("2027-03-10T12:00:00+09:00")
    assert stack.get("/v1/me", token=back).status_code == 200  # an access: lapses 2027-05-10
    recent = registered("e2e-sweeps-idle-recent", "2027-05-01")  # warned 2027-06-01

    # The first inactivity run of this story comes months after those days.
    run_sweep(stack, "inactivity", "2027-06-01T03:30:00+09:00")

    for person in (early, back):
        regs = registrations(stack, person)
        # The automatic 北海道 registration ends with its municipality (rule 3).
        assert regs[OBIHIRO]["status"] == regs[HOKKAIDO]["status"] == "lapsed"
        assert sorted((n["kind"], n["lg_code"]) for n in inbox(stack, person)) == [
            ("lapsed", HOKKAIDO),
            ("lapsed", OBIHIRO),
        ]
    assert registrations(stack, recent)[OBIHIRO]["status"] == "active"
    [warning] = [n for n in inbox(stack, recent) if n["lg_code"] == OBIHIRO]
    assert warning["kind"] == "lapse_warning" and "2027-07-01" in warning["body"]
    # The next day's run judges none of them again.
    run_sweep(stack, "inactivity", "2027-06-02T03:30:00+09:00")
    assert [len(inbox(stack, p)) for p in (early, back, recent)] == [2, 2, 1]
