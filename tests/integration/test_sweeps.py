"""The renewal and inactivity sweeps through the sweeps function's real `lambda_handler`, with
the clock frozen at the scheduled time, at the edges of each rule (rules 3, 6, 15)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from furusato import clock
from furusato.domain.checkin import ParticipationRecord
from furusato.domain.errors import InvalidInput
from furusato.domain.profile import Profile
from furusato.domain.registration import Registration
from furusato.store import lgs, notifications, participations, people
from furusato.store import sweeps as sweep_store
from infra.local import aws
from infra.local.context import LambdaContext
from tests.support.lambda_api import handler_module
from tests.support.roundtrips import count_items
from tests.support.world import onboard

HIDA, GIFU, TAKAYAMA, TOKYO, SHINJUKU = "212172", "210005", "212032", "130001", "131041"
RELATIONSHIP = {"relationship": ["観光・訪問"]}


# --- the world, written through the store layer ------------------------------------------------


def jst(day: date, hour: int = 3, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.JST)


def premium(lg_code: str, valid_until: date, *, notice_sent: bool = False) -> Registration:
    return Registration(
        registration_id=f"reg-{lg_code}",
        lg_code=lg_code,
        plan="premium",
        status="active",
        own_residence=False,
        auto_created=False,
        registered_at="2026-04-01T10:00:00+09:00",
        survey_answers=RELATIONSHIP,
        premium_valid_until=valid_until.isoformat(),
        notice_sent_for=valid_until.isoformat() if notice_sent else None,
    )


def basic(lg_code: str, *, auto: bool = False) -> Registration:
    return Registration(
        registration_id=f"reg-{lg_code}",
        lg_code=lg_code,
        plan="basic",
        status="active",
        own_residence=False,
        auto_created=auto,
        registered_at="2026-04-01T10:00:00+09:00",
        survey_answers={} if auto else RELATIONSHIP,
    )


def seed(
    sub: str,
    regs: list[Registration],
    *,
    last_seen: date,
    activities: dict[str, list[date]] | None = None,
    verified: bool = True,
) -> None:
    """A person living in 新宿区 with these registrations, last seen on `last_seen`, who took
    part in designated activities of the given governments on the given days."""
    profile = Profile("山田 花子", date(1990, 4, 1), "female", "1600022", "新宿1-1-1", SHINJUKU)
    identity = people.Identity("2026-04-01T10:00:00+09:00", f"idkey-{sub}", False, None) if verified else None
    # As the registration route does: each registration holds its government's period.
    regs = [replace(r, inactivity_months=lgs.require(r.lg_code).settings.inactivity_months) for r in regs]
    people.save(people.load(sub), regs, profile=profile, touch=last_seen, identity=identity)
    for lg_code, days in (activities or {}).items():
        for i, day in enumerate(days):
            activity_id = f"act-{lg_code}-{i}"
            instant = jst(day, 10).isoformat()
            created, _ = participations.record(
                ParticipationRecord(
                    activity_id=activity_id,
                    lg_code=lg_code,
                    designated=True,
                    day=day,
                    sub=sub,
                    participation_id=f"part-{sub}-{activity_id}",
                    activity_name="雪かき",
                    activity_starts_at=instant,
                    activity_ends_at=instant,
                    place="公民館",
                    checked_in_at=instant,
                    recorded_at=instant,
                )
            )
            assert created


def set_settings(lg_code: str, **changes: Any) -> None:
    lg = lgs.require(lg_code)
    lgs.save_settings(lg_code, replace(lg.settings, **changes))


def sweep(
    name: str, day: date, *, context: LambdaContext | None = None, resume: bool = False
) -> dict[str, Any]:
    """Invoke the function as the schedule does on `day` (03:00 JST), with the clock there."""
    instant = jst(day)
    clock.freeze(instant)
    event: dict[str, Any] = {"sweep": name, "scheduled_time": instant.isoformat()}
    if resume:
        event["resume"] = True
    result: dict[str, Any] = handler_module("sweeps").lambda_handler(event, context or LambdaContext())
    return result


def reg_of(sub: str, lg_code: str) -> Registration:
    return people.load(sub).registrations[lg_code]


def inbox(sub: str) -> list[notifications.Notification]:
    items, _ = notifications.inbox(sub, limit=200, cursor=None)
    return items


def kinds(sub: str) -> list[tuple[str, str | None]]:
    return sorted((n.kind, n.lg_code) for n in inbox(sub))


def due_keys(sub: str) -> dict[str, str | None]:
    """lg_code -> the day the registration waits under in the due index (None: not there)."""
    client = aws.client("dynamodb", clock_endpoint())
    found = client.query(
        TableName="furusato-main",
        KeyConditionExpression="pk = :pk AND begins_with(sk, :reg)",
        ExpressionAttributeValues={":pk": {"S": f"P#{sub}"}, ":reg": {"S": "REG#"}},
    )["Items"]
    keys: dict[str, str | None] = {}
    for i in found:
        partition = i.get("gsi2pk", {}).get("S")
        keys[i["lg_code"]["S"]] = None
        if partition:
            assert partition == people.due_key(people.due_shard(sub, i["lg_code"]["S"]))
            keys[i["lg_code"]["S"]] = i["gsi2sk"]["S"].split("#")[0]
    return keys


def idle_due(sub: str) -> str | None:
    """The day the person waits under in the inactivity due index (None: not there)."""
    item = person_item(sub)
    if "gsi2pk" not in item:
        return None
    assert item["gsi2pk"] == {"S": people.idle_key(people.idle_shard(sub))}
    due, held_for = item["gsi2sk"]["S"].split("#", 1)
    assert held_for == sub
    return due


def person_item(sub: str) -> dict[str, Any]:
    client = aws.client("dynamodb", clock_endpoint())
    item = client.get_item(TableName="furusato-main", Key={"pk": {"S": f"P#{sub}"}, "sk": {"S": "PROFILE"}})
    return dict(item["Item"])


_ENDPOINT: list[str] = []


def clock_endpoint() -> str:
    return _ENDPOINT[0]


def dump() -> list[dict[str, Any]]:
    """Every item of the main table, in key order."""
    client = aws.client("dynamodb", clock_endpoint())
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": "furusato-main"}
    while True:
        page = client.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


@pytest.fixture(autouse=True)
def world(clean_aws: str) -> Iterator[None]:
    _ENDPOINT[:] = [clean_aws]
    clock.freeze(datetime(2026, 4, 1, 9, 0, tzinfo=clock.JST))
    onboard(HIDA, GIFU, TAKAYAMA, TOKYO, SHINJUKU)
    yield


# --- renewal: the notice ---------------------------------------------------------------------------

D = date(2027, 6, 1)


def test_notice_exactly_30_days_before_valid_until() -> None:
    seed("p30", [premium(HIDA, D + timedelta(days=30))], last_seen=D - timedelta(days=3))
    seed("p31", [premium(HIDA, D + timedelta(days=31))], last_seen=D - timedelta(days=3))

    result = sweep("renewal", D)

    assert result["status"] == "completed" and result["counts"] == {"notices": 1, "read": 1}
    assert kinds("p30") == [("renewal_due", HIDA)]
    notice = inbox("p30")[0]
    assert notice.created_at == "2027-06-01T03:00:00+09:00"
    assert (D + timedelta(days=30)).isoformat() in notice.body
    reg = reg_of("p30", HIDA)
    assert reg.notice_sent_for == reg.premium_valid_until == "2027-07-01"
    assert reg.plan == "premium" and reg.status == "active"
    # The registration now waits under its expiry day for the judgement.
    assert due_keys("p30") == {HIDA: "2027-07-01"}
    assert inbox("p31") == [] and reg_of("p31", HIDA).notice_sent_for is None


def test_a_notice_day_no_run_saw_is_caught_up_by_the_next_run() -> None:
    seed("p29", [premium(HIDA, D + timedelta(days=29))], last_seen=D - timedelta(days=3))
    assert sweep("renewal", D)["counts"] == {"notices": 1, "read": 1}
    assert reg_of("p29", HIDA).notice_sent_for == (D + timedelta(days=29)).isoformat()


def test_the_business_day_is_the_scheduled_times_jst_date() -> None:
    """EventBridge Scheduler sends the scheduled time in UTC: 18:00Z is 03:00 JST the next day."""
    seed("p", [premium(HIDA, D + timedelta(days=30))], last_seen=D)
    clock.freeze(jst(D))
    result = handler_module("sweeps").lambda_handler(
        {"sweep": "renewal", "scheduled_time": "2027-05-31T18:00:00Z"}, LambdaContext()
    )
    assert result["days"] == {"from": "2027-06-01", "to": "2027-06-01"}
    assert result["scheduled_time"] == "2027-06-01T03:00:00+09:00"
    assert kinds("p") == [("renewal_due", HIDA)]


# --- renewal: the judgement ----------------------------------------------------------------------

UNTIL = date(2027, 7, 1)
THREE = [date(2026, 9, 1), date(2026, 12, 1), date(2027, 5, 1)]
THREE_LATER = [date(2027, 9, 1), date(2027, 12, 1), date(2028, 5, 1)]


def test_renewed_on_valid_until_with_enough_activities() -> None:
    seed("p", [premium(HIDA, UNTIL, notice_sent=True)], last_seen=date(2027, 6, 20), activities={HIDA: THREE})

    result = sweep("renewal", UNTIL)

    assert result["counts"] == {"read": 1, "renewed": 1}
    reg = reg_of("p", HIDA)
    assert (reg.plan, reg.status, reg.premium_valid_until) == ("premium", "active", "2028-07-01")
    assert reg.notice_sent_for is None and reg.decision_reason is None
    assert due_keys("p")[HIDA] == "2028-06-01"  # next year's notice day
    assert kinds("p") == [("renewed", HIDA)]
    assert "2028-07-01" in inbox("p")[0].body
    assert people.load("p").premium_lg_codes() == [HIDA]


def test_renewal_a_day_before_valid_until_is_still_the_notice() -> None:
    seed("p", [premium(HIDA, UNTIL, notice_sent=True)], last_seen=date(2027, 6, 20), activities={HIDA: THREE})
    assert sweep("renewal", UNTIL - timedelta(days=1))["counts"] == {}
    assert reg_of("p", HIDA).premium_valid_until == "2027-07-01"


def test_not_enough_activities_falls_back_to_basic_with_the_reason() -> None:
    seed(
        "p",
        [premium(HIDA, UNTIL, notice_sent=True), premium(TAKAYAMA, date(2027, 9, 1))],
        last_seen=date(2027, 6, 20),
        activities={HIDA: THREE[1:]},
    )

    result = sweep("renewal", UNTIL)

    assert result["counts"] == {"downgraded": 1, "read": 1}
    reg = reg_of("p", HIDA)
    assert (reg.plan, reg.status, reg.premium_valid_until, reg.notice_sent_for) == (
        "basic",
        "active",
        None,
        None,
    )
    assert reg.registration_id == f"reg-{HIDA}" and reg.survey_answers == RELATIONSHIP  # not deleted
    assert reg.decision_reason == (
        "not enough designated activities: required 3, counted 2 in 2026-07-02..2027-07-01"
    )
    assert due_keys("p")[HIDA] is None
    [notice] = inbox("p")
    assert notice.kind == "downgraded" and notice.lg_code == HIDA
    assert (
        "必要 3 件" in notice.body and "実績 2 件" in notice.body and "2026-07-02..2027-07-01" in notice.body
    )
    # The premium place is free again: the ledger says so.
    assert people.load("p").premium_lg_codes() == [TAKAYAMA]
    assert person_item("p")["premium_lg_codes"] == {"S": f'["{TAKAYAMA}"]'}


def test_a_person_no_longer_verified_falls_back_to_basic() -> None:
    seed(
        "p",
        [premium(HIDA, UNTIL, notice_sent=True)],
        last_seen=UNTIL,
        activities={HIDA: THREE},
        verified=False,
    )
    assert sweep("renewal", UNTIL)["counts"] == {"downgraded": 1, "read": 1}
    reg = reg_of("p", HIDA)
    assert reg.plan == "basic" and reg.decision_reason and "verified identity" in reg.decision_reason
    assert "本人確認" in inbox("p")[0].body


def test_renewal_with_auto_approval_off_waits_for_a_coordinator() -> None:
    set_settings(HIDA, auto_approval=False)
    seed("p", [premium(HIDA, UNTIL, notice_sent=True)], last_seen=UNTIL, activities={HIDA: THREE})

    assert sweep("renewal", UNTIL)["counts"] == {"pending_review": 1, "read": 1}

    reg = reg_of("p", HIDA)
    assert (reg.plan, reg.status) == ("premium", "pending_review")
    assert due_keys("p")[HIDA] is None  # the coordinator decides; the sweep is done with it
    assert kinds("p") == [("renewal_due", HIDA)]
    assert "審査" in inbox("p")[0].title
    assert people.load("p").premium_lg_codes() == [HIDA]  # the place stays held while waiting


def test_a_fiscal_year_renewal_counts_the_last_complete_fiscal_year() -> None:
    """Premium on 2027-05-10 from activities in April and May 2027, three more later that fiscal
    year: the renewal on 2028-05-10 counts the fiscal year 2027 (it ended before the day)."""
    set_settings(HIDA, window="fiscal_year")
    until = date(2028, 5, 10)
    days = [
        date(2027, 4, 20),
        date(2027, 5, 1),
        date(2027, 5, 9),
        date(2027, 9, 1),
        date(2027, 11, 1),
        date(2028, 2, 1),
    ]
    seed("p", [premium(HIDA, until, notice_sent=True)], last_seen=until, activities={HIDA: days})
    assert sweep("renewal", until)["counts"] == {"read": 1, "renewed": 1}
    assert reg_of("p", HIDA).premium_valid_until == "2029-05-10"


def test_a_fiscal_year_refusal_never_shows_a_window_ending_after_the_day() -> None:
    set_settings(HIDA, window="fiscal_year")
    until = date(2028, 4, 1)
    seed(
        "p", [premium(HIDA, until, notice_sent=True)], last_seen=until, activities={HIDA: [date(2027, 5, 1)]}
    )
    sweep("renewal", until)
    reg = reg_of("p", HIDA)
    assert reg.plan == "basic"
    assert reg.decision_reason and "counted 1 in 2027-04-01..2028-03-31" in reg.decision_reason


def test_a_renewal_counts_the_day_after_the_previous_judgement() -> None:
    """Granted 2027-06-01 (judged up to that day); the renewal on 2028-06-01 counts 2027-06-02."""
    until = date(2028, 6, 1)
    days = [date(2027, 6, 2), date(2027, 10, 1), date(2028, 5, 1)]
    seed("p", [premium(HIDA, until, notice_sent=True)], last_seen=until, activities={HIDA: days})
    assert sweep("renewal", until)["counts"] == {"read": 1, "renewed": 1}


def test_a_renewal_approved_by_a_coordinator_continues_from_the_old_valid_until() -> None:
    from furusato.capabilities import reviews

    set_settings(HIDA, auto_approval=False)
    seed("p", [premium(HIDA, UNTIL, notice_sent=True)], last_seen=UNTIL, activities={HIDA: THREE})
    sweep("renewal", UNTIL)
    waiting = reg_of("p", HIDA)
    assert (waiting.status, waiting.premium_valid_until) == ("pending_review", "2027-07-01")
    clock.freeze(jst(UNTIL + timedelta(days=9)))
    decided = reviews.review(HIDA, waiting.registration_id, "approve", "活動実績を確認しました", "staff-1")
    assert decided["premium"] == {"valid_until": "2028-07-01"}  # not 2028-07-10
    assert due_keys("p")[HIDA] == "2028-06-01"


def test_only_due_registrations_are_read() -> None:
    """The index holds every premium registration under its due day: the sweep reads the day's
    partition only, and a person's partition only where a judgement needs it."""
    for i in range(4):
        seed(f"notice-{i}", [premium(HIDA, D + timedelta(days=30))], last_seen=D)
    for i in range(2):
        seed(f"judge-{i}", [premium(HIDA, D, notice_sent=True)], last_seen=D, activities={HIDA: THREE[:2]})
    for i in range(20):  # due on other days: never read
        seed(f"later-{i}", [premium(TAKAYAMA, D + timedelta(days=31 + i))], last_seen=D)
        seed(f"earlier-{i}", [premium(TAKAYAMA, D + timedelta(days=i + 1), notice_sent=True)], last_seen=D)

    with count_items() as (calls, items):
        result = sweep("renewal", D)

    assert result["counts"] == {"downgraded": 2, "notices": 4, "read": 6}
    assert items["Query gsi2"] == 6 and calls["Query gsi2"] == people.DUE_SHARDS
    assert "Scan" not in calls
    # Two person partitions (judgements), each: profile, registration, 2 participations.
    assert calls["Query"] == 2 and items["Query"] == 2 * 4
    # One government read (and cached for the run) and the run record.
    assert items["GetItem"] == 1 and calls["GetItem"] == 2


def test_a_registration_changed_during_the_sweep_is_read_again_once() -> None:
    seed("p", [premium(HIDA, D + timedelta(days=30))], last_seen=D)
    original = people.save
    raced: list[bool] = []

    def racing_save(record: people.PersonRecord, changed: list[Registration], **kwargs: Any) -> None:
        if not raced:
            raced.append(True)
            # The person edits their survey answers between the sweep's read and its write.
            fresh = people.load("p")
            edited = replace(fresh.registrations[HIDA], survey_answers={"relationship": ["出身地"]})
            original(fresh, [edited])
        original(record, changed, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(people, "save", racing_save)
        result = sweep("renewal", D)

    assert result["counts"] == {"notices": 1, "read": 1}
    reg = reg_of("p", HIDA)
    assert reg.notice_sent_for == "2027-07-01" and reg.survey_answers == {"relationship": ["出身地"]}
    assert kinds("p") == [("renewal_due", HIDA)]


def test_an_item_whose_due_key_no_longer_matches_is_skipped() -> None:
    """The index lags the table for a moment: an entry read there that the table has moved on
    from (the renewal already happened) is left alone."""
    seed("p", [premium(HIDA, date(2028, 7, 1))], last_seen=D)
    stale = sweep_store.DueRegistration(
        "p", premium(HIDA, UNTIL, notice_sent=True), 1, {"pk": {"S": "P#p"}, "sk": {"S": f"REG#{HIDA}"}}
    )
    before = dump()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            sweep_store, "due_page", lambda shard, day, key, limit: ([stale] if shard == 0 else [], None)
        )
        result = sweep("renewal", UNTIL)
    assert result["counts"] == {"read": 1, "skipped": 1}
    after = [i for i in dump() if not i["pk"]["S"].startswith("SWEEP#")]
    assert after == [i for i in before if not i["pk"]["S"].startswith("SWEEP#")]


# --- idempotency, resume, catch-up ---------------------------------------------------------------


def renewal_world() -> None:
    for i in range(5):
        seed(f"n{i}", [premium(HIDA, D + timedelta(days=30))], last_seen=D)
        seed(f"r{i}", [premium(HIDA, D, notice_sent=True)], last_seen=D, activities={HIDA: THREE})
        seed(f"d{i}", [premium(TAKAYAMA, D, notice_sent=True)], last_seen=D, activities={TAKAYAMA: THREE[:1]})


def test_a_retried_scheduled_time_changes_nothing() -> None:
    renewal_world()
    first = sweep("renewal", D)
    assert first["counts"] == {"downgraded": 5, "notices": 5, "read": 15, "renewed": 5}
    state = dump()

    again = sweep("renewal", D)

    assert again["status"] == "already_completed" and again["counts"] == first["counts"]
    assert dump() == state
    for i in range(5):
        assert kinds(f"n{i}") == [("renewal_due", HIDA)]
        assert kinds(f"r{i}") == [("renewed", HIDA)]
        assert kinds(f"d{i}") == [("downgraded", TAKAYAMA)]


def test_a_rerun_of_an_unfinished_run_converges() -> None:
    """A crash after some items (no position saved for them): the retry reads them again; their
    transitions already moved their keys, and their notifications exist."""
    renewal_world()
    crashing = iter(range(1000))

    def crash_after_seven() -> int:
        if next(crashing) >= 8:
            raise RuntimeError("the invocation dies")
        return 900_000

    with pytest.raises(RuntimeError):
        sweep("renewal", D, context=LambdaContext(remaining_ms=crash_after_seven))
    assert sweep_store.get_run("renewal", "2027-06-01T03:00:00+09:00").status == "running"  # type: ignore[union-attr]
    result = sweep("renewal", D)
    assert result["status"] == "completed"
    for i in range(5):
        assert len(inbox(f"n{i}")) == len(inbox(f"r{i}")) == len(inbox(f"d{i}")) == 1


def test_a_resumed_run_reaches_the_state_of_one_run(clean_aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    renewal_world()
    whole = sweep("renewal", D)
    one_run = dump()

    aws.reset_data(clean_aws)
    clock.freeze(datetime(2026, 4, 1, 9, 0, tzinfo=clock.JST))
    onboard(HIDA, GIFU, TAKAYAMA, TOKYO, SHINJUKU)
    renewal_world()
    handed: list[dict[str, Any]] = []
    monkeypatch.setattr(
        handler_module("sweeps"), "invoker", lambda arn, payload, context=None: handed.append(payload)
    )
    budget = iter([900_000] * 6 + [1_000] * 100)

    first = sweep("renewal", D, context=LambdaContext(remaining_ms=lambda: next(budget)))

    assert first["status"] == "handed_off" and first["handoffs"] == 1
    assert handed == [{"sweep": "renewal", "scheduled_time": "2027-06-01T03:00:00+09:00", "resume": True}]
    assert 0 < sum(v for k, v in first["counts"].items() if k != "read") < 15
    second = handler_module("sweeps").lambda_handler(handed[0], LambdaContext())
    assert second["status"] == "completed"
    # The same transitions; the rest of the page the hand-off interrupted was read again.
    assert {**second["counts"], "read": 15} == whole["counts"]
    assert second["counts"]["read"] >= 15

    def without_handoffs(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in i.items() if k != "position"} for i in items]

    assert without_handoffs(dump()) == without_handoffs(one_run)
    run = sweep_store.get_run("renewal", "2027-06-01T03:00:00+09:00")
    assert run is not None and run.position["handoffs"] == 1


def test_resume_without_a_run_does_nothing() -> None:
    renewal_world()
    assert sweep("renewal", D, resume=True)["status"] == "nothing_to_resume"
    assert inbox("n0") == []


def test_catch_up_after_a_missed_day() -> None:
    seed("a", [premium(HIDA, D + timedelta(days=30))], last_seen=D)
    seed("b", [premium(HIDA, D + timedelta(days=31))], last_seen=D)  # due the missed day
    seed("c", [premium(HIDA, D + timedelta(days=32))], last_seen=D)
    seed("e", [premium(HIDA, D + timedelta(days=33))], last_seen=D)  # due tomorrow
    sweep("renewal", D)
    # The schedule did not run on D + 1: the next run reads everything due by its day.
    result = sweep("renewal", D + timedelta(days=2))
    assert result["days"] == {"from": "2027-06-03", "to": "2027-06-03"}
    assert result["counts"] == {"notices": 2, "read": 2}
    assert [len(inbox(s)) for s in "abce"] == [1, 1, 1, 0]


def test_a_first_run_400_days_late_judges_every_due_registration_exactly_once() -> None:
    """No run ever happened; the first comes 400 days after the earliest due day. Every
    registration due by then is judged once per year it is due for, oldest first, and the
    notices of days long gone are not sent."""
    late = D + timedelta(days=400)  # 2028-07-05
    seed("renew", [premium(HIDA, D)], last_seen=D, activities={HIDA: THREE})
    seed("lapse", [premium(TAKAYAMA, D + timedelta(days=10))], last_seen=D)  # nothing counted
    seed(
        "twice",
        [premium(HIDA, D - timedelta(days=5))],
        last_seen=D,
        activities={HIDA: [*THREE, *THREE_LATER]},
    )
    seed("notice", [premium(HIDA, late + timedelta(days=20))], last_seen=D)
    seed("later", [premium(HIDA, late + timedelta(days=40))], last_seen=D)

    result = sweep("renewal", late)

    assert result["status"] == "completed"
    assert result["counts"] == {"downgraded": 2, "notices": 1, "read": 4, "renewed": 3}
    # renewed on 2027-06-01 (THREE), then judged again on 2028-06-01 with nothing since: basic.
    assert kinds("renew") == [("downgraded", HIDA), ("renewed", HIDA)]
    assert reg_of("renew", HIDA).plan == "basic"
    assert kinds("lapse") == [("downgraded", TAKAYAMA)]
    # 2027-05-27 and 2028-05-27 both renewed (activities in each year): due next on 2029-04-27.
    assert kinds("twice") == [("renewed", HIDA)] * 2
    assert reg_of("twice", HIDA).premium_valid_until == "2029-05-27"
    assert due_keys("twice")[HIDA] == "2029-04-27"
    assert kinds("notice") == [("renewal_due", HIDA)] and inbox("later") == []
    # A second run the day after finds nothing left behind.
    assert sweep("renewal", late + timedelta(days=1))["counts"] == {}


def test_a_clock_moved_back_and_forward_judges_each_due_registration_once() -> None:
    seed("a", [premium(HIDA, D + timedelta(days=30))], last_seen=D)
    seed("b", [premium(HIDA, D + timedelta(days=40))], last_seen=D)
    assert sweep("renewal", D)["counts"] == {"notices": 1, "read": 1}
    # The clock is moved back: nothing due by then is left.
    assert sweep("renewal", D - timedelta(days=5))["counts"] == {}
    # And forward past b's notice day: b is told, a is not told again.
    assert sweep("renewal", D + timedelta(days=12))["counts"] == {"notices": 1, "read": 1}
    assert len(inbox("a")) == len(inbox("b")) == 1


def test_malformed_events_fail_loudly() -> None:
    handler = handler_module("sweeps").lambda_handler
    for event in (
        {"sweep": "renewal"},
        {"sweep": "cleanup", "scheduled_time": "2027-06-01T03:00:00+09:00"},
        {"sweep": "renewal", "scheduled_time": "2027-06-01T03:00:00"},
        {"sweep": "renewal", "scheduled_time": "2027-06-01T03:00:00+09:00", "extra": 1},
        {"sweep": "renewal", "scheduled_time": "2027-06-01T03:00:00+09:00", "resume": "yes"},
    ):
        with pytest.raises(InvalidInput):
            handler(event, LambdaContext())


# --- inactivity ------------------------------------------------------------------------------------

SEEN = date(2026, 6, 15)
LAPSE = date(2028, 6, 15)  # 24 months later


def test_lapse_at_exactly_the_period_and_not_a_day_before() -> None:
    set_settings(GIFU, inactivity_months=36)  # the prefecture ends with 飛騨市 (rule 3), not by itself
    seed("p", [basic(HIDA), basic(GIFU, auto=True)], last_seen=SEEN)

    # The first run ever comes after the warning day: it warns, and does not lapse yet.
    assert sweep("inactivity", LAPSE - timedelta(days=1))["counts"] == {"read": 1, "warned": 1}
    assert reg_of("p", HIDA).status == "active"

    result = sweep("inactivity", LAPSE)

    assert result["counts"] == {"lapsed": 1, "read": 1}
    reg = reg_of("p", HIDA)
    assert reg.status == "lapsed" and reg.survey_answers == {} and reg.registration_id == f"reg-{HIDA}"
    # Rule 3: the automatic prefecture registration ends with its last municipality.
    assert reg_of("p", GIFU).status == "lapsed"
    assert kinds("p") == [("lapse_warning", HIDA), ("lapsed", GIFU), ("lapsed", HIDA)]


def test_warning_one_month_before() -> None:
    seed("p", [basic(HIDA)], last_seen=SEEN)
    assert sweep("inactivity", date(2028, 5, 14))["counts"] == {}

    result = sweep("inactivity", date(2028, 5, 15))

    assert result["counts"] == {"read": 1, "warned": 1}
    reg = reg_of("p", HIDA)
    assert reg.status == "active" and reg.notice_sent_for == "2028-06-15"
    [warning] = inbox("p")
    assert warning.kind == "lapse_warning" and "2028-06-15" in warning.body
    # The same day again, by hand at another time: the registration says it was warned.
    clock.freeze(jst(date(2028, 5, 15), 15))
    handler_module("sweeps").lambda_handler(
        {"sweep": "inactivity", "scheduled_time": jst(date(2028, 5, 15), 15).isoformat()}, LambdaContext()
    )
    assert len(inbox("p")) == 1


def test_the_warning_names_the_automatic_prefecture_that_lapses_with_it() -> None:
    seed("p", [basic(HIDA), basic(GIFU, auto=True)], last_seen=SEEN)
    seed("direct", [basic(HIDA), basic(GIFU)], last_seen=SEEN)  # registered with 岐阜県 directly
    sweep("inactivity", date(2028, 5, 15))
    [warning] = [n for n in inbox("p") if n.lg_code == HIDA]
    assert "飛騨市と岐阜県" in warning.title and "飛騨市と岐阜県" in warning.body
    assert [n.lg_code for n in inbox("p")] == [HIDA]  # one warning, naming both
    assert not any("岐阜県" in n.title for n in inbox("direct") if n.lg_code == HIDA)


def test_31_march_edges() -> None:
    """Last seen 31 March 2026: warned on 29 February 2028 (23 months, clamped to the month's
    end), lapsed on 31 March 2028. With a 1-month period, 27 and 28 January reach it on 27 and 28
    February (the first run, on the 28th, lapses both) and 29-31 January all on 29 February."""
    seed("march", [basic(HIDA)], last_seen=date(2026, 3, 31))
    set_settings(TAKAYAMA, inactivity_months=1)
    for d in (27, 28, 29, 30, 31):
        seed(f"jan{d}", [basic(TAKAYAMA)], last_seen=date(2028, 1, d))

    assert sweep("inactivity", date(2028, 2, 28))["counts"] == {"lapsed": 2, "read": 2}  # jan27, 28
    result = sweep("inactivity", date(2028, 2, 29))
    assert result["counts"] == {"lapsed": 3, "read": 4, "warned": 1}
    assert [reg_of(f"jan{d}", TAKAYAMA).status for d in (27, 28, 29, 30, 31)] == ["lapsed"] * 5
    assert kinds("march") == [("lapse_warning", HIDA)]
    assert "2028-03-31" in inbox("march")[0].body

    assert sweep("inactivity", date(2028, 3, 30))["counts"] == {}
    assert sweep("inactivity", date(2028, 3, 31))["counts"] == {"lapsed": 1, "read": 1}
    assert reg_of("march", HIDA).status == "lapsed"


def test_premium_never_lapses() -> None:
    seed("p", [premium(HIDA, date(2028, 9, 1)), basic(TAKAYAMA), basic(GIFU, auto=True)], last_seen=SEEN)
    assert sweep("inactivity", LAPSE)["counts"] == {"lapsed": 1, "read": 1}
    assert reg_of("p", HIDA).status == "active" and reg_of("p", HIDA).plan == "premium"
    assert reg_of("p", TAKAYAMA).status == "lapsed"
    # 飛騨市 (a municipality of 岐阜県) is still held: the prefecture stays.
    assert reg_of("p", GIFU).status == "active"


def test_a_check_in_after_the_last_app_access_prevents_the_lapse() -> None:
    seed("p", [basic(HIDA)], last_seen=SEEN, activities={HIDA: [date(2026, 9, 1)]})

    # The check-in left the due key at the warning day of the app access (early, never late).
    assert idle_due("p") == "2028-05-15"
    result = sweep("inactivity", LAPSE)

    assert result["counts"] == {"read": 1, "reindexed": 1}
    assert reg_of("p", HIDA).status == "active" and inbox("p") == []
    # The key moved to the warning day of the real last access (2026-09-01 + 23 months).
    assert idle_due("p") == "2028-08-01"
    assert person_item("p")["last_seen"] == {"S": "2026-06-15"}
    assert sweep("inactivity", date(2028, 7, 31))["counts"] == {}
    assert sweep("inactivity", date(2028, 8, 1))["counts"] == {"read": 1, "warned": 1}
    assert idle_due("p") == "2028-09-01"
    assert sweep("inactivity", date(2028, 9, 1))["counts"] == {"lapsed": 1, "read": 1}
    assert kinds("p") == [("lapse_warning", HIDA), ("lapsed", HIDA)]
    assert idle_due("p") is None  # nothing left to lapse: out of the index


def test_the_prefecture_stays_while_another_municipality_is_live() -> None:
    set_settings(TAKAYAMA, inactivity_months=36)
    seed("p", [basic(HIDA), basic(TAKAYAMA), basic(GIFU, auto=True)], last_seen=SEEN)
    set_settings(GIFU, inactivity_months=36)
    sweep("inactivity", LAPSE)
    statuses = {code: reg.status for code, reg in people.load("p").registrations.items()}
    assert statuses == {HIDA: "lapsed", TAKAYAMA: "active", GIFU: "active"}


def test_a_direct_prefecture_registration_does_not_follow() -> None:
    set_settings(GIFU, inactivity_months=36)
    seed("p", [basic(HIDA), basic(GIFU)], last_seen=SEEN)
    sweep("inactivity", LAPSE)
    assert reg_of("p", HIDA).status == "lapsed" and reg_of("p", GIFU).status == "active"


def test_inactivity_reads_only_the_people_due() -> None:
    set_settings(TAKAYAMA, inactivity_months=12)
    seed("due24", [basic(HIDA)], last_seen=SEEN)
    seed("due12", [basic(TAKAYAMA)], last_seen=date(2027, 6, 15))
    seed("warn12", [basic(TAKAYAMA)], last_seen=date(2027, 7, 15))
    for i in range(15):  # due later (their warning days follow the run's day)
        seed(f"other-{i}", [basic(HIDA)], last_seen=SEEN + timedelta(days=i + 31))

    with count_items() as (calls, items):
        result = sweep("inactivity", LAPSE)

    assert result["counts"] == {"lapsed": 2, "read": 3, "warned": 1}
    # Each shard of the due index once; only the people due are read.
    assert calls["Query gsi2"] == people.IDLE_SHARDS and items["Query gsi2"] == 3
    assert calls["Query"] == 3  # each person due, once
    assert calls["Query gsi1"] == 1  # the directory, once per run
    assert "Scan" not in calls


def test_inactivity_retried_changes_nothing() -> None:
    seed("p", [basic(HIDA), basic(GIFU, auto=True)], last_seen=SEEN)
    seed("w", [basic(HIDA)], last_seen=date(2026, 7, 15))
    sweep("inactivity", LAPSE)
    state = dump()
    assert sweep("inactivity", LAPSE)["status"] == "already_completed"
    assert dump() == state
    assert kinds("p") == [("lapsed", GIFU), ("lapsed", HIDA)] and kinds("w") == [("lapse_warning", HIDA)]


def test_inactivity_catches_up_missed_days() -> None:
    seed("a", [basic(HIDA)], last_seen=SEEN)
    seed("b", [basic(HIDA)], last_seen=SEEN + timedelta(days=1))
    sweep("inactivity", LAPSE - timedelta(days=1))
    result = sweep("inactivity", LAPSE + timedelta(days=1))
    assert result["days"] == {"from": "2028-06-16", "to": "2028-06-16"}
    assert result["counts"] == {"lapsed": 2, "read": 2}
    assert reg_of("a", HIDA).status == reg_of("b", HIDA).status == "lapsed"


def inactivity_world() -> None:
    """People whose warning or lapse fell on days no run saw, and some not due yet."""
    set_settings(TAKAYAMA, inactivity_months=12)
    seed("lapse24", [basic(HIDA), basic(GIFU, auto=True)], last_seen=SEEN)  # lapse 2028-06-15
    seed("lapse12", [basic(TAKAYAMA)], last_seen=date(2027, 1, 10))  # lapse 2028-01-10
    seed("warn24", [basic(HIDA)], last_seen=date(2026, 12, 1))  # warn 2028-11-01, lapse 2028-12-01
    seed("warned", [replace(basic(HIDA), notice_sent_for="2028-08-20")], last_seen=date(2026, 8, 20))
    seed("later", [basic(HIDA)], last_seen=date(2027, 6, 1))  # warn 2029-05-01
    seed("premium", [premium(HIDA, date(2029, 9, 1))], last_seen=SEEN)  # never lapses


def test_a_first_inactivity_run_400_days_late_judges_every_due_person_exactly_once() -> None:
    """No run ever happened; the first comes 400 days after the earliest lapse day (2028-01-10).
    Every person due by then is judged once: past the lapse day the lapse itself is the news."""
    inactivity_world()
    late = date(2028, 1, 10) + timedelta(days=400)  # 2029-02-13

    result = sweep("inactivity", late)

    assert result["days"] == {"from": "2029-02-13", "to": "2029-02-13"}
    assert result["counts"] == {"lapsed": 4, "read": 4}
    assert kinds("lapse24") == [("lapsed", GIFU), ("lapsed", HIDA)]
    assert kinds("lapse12") == [("lapsed", TAKAYAMA)]
    assert kinds("warn24") == kinds("warned") == [("lapsed", HIDA)]
    assert inbox("later") == [] and inbox("premium") == []
    assert [idle_due(s) for s in ("lapse24", "lapse12", "warn24", "warned")] == [None] * 4
    assert idle_due("later") == "2029-05-01" and idle_due("premium") is None
    # The day after, nothing was left behind; the next due person is judged on their day.
    assert sweep("inactivity", late + timedelta(days=1))["counts"] == {}
    assert sweep("inactivity", date(2029, 5, 1))["counts"] == {"read": 1, "warned": 1}


def test_an_inactivity_run_after_an_outage_longer_than_45_days() -> None:
    inactivity_world()
    assert sweep("inactivity", date(2028, 1, 10))["counts"] == {"lapsed": 1, "read": 1}
    # No run for 100 days: the warnings and lapses of the gap all come on the next run.
    result = sweep("inactivity", date(2028, 1, 10) + timedelta(days=100))  # 2028-04-19
    assert result["counts"] == {}
    result = sweep("inactivity", date(2028, 10, 20))  # 284 days after the last run
    # lapse24 lapsed (2028-06-15) with its prefecture; warned lapsed on its notified day.
    assert result["counts"] == {"lapsed": 2, "read": 2}
    assert kinds("warned") == [("lapsed", HIDA)] and inbox("warn24") == []
    result = sweep("inactivity", date(2028, 12, 31))
    assert result["counts"] == {"lapsed": 1, "read": 1}  # warn24: its warning and lapse day both gone
    assert kinds("warn24") == [("lapsed", HIDA)]


def test_an_inactivity_clock_moved_back_and_forward_judges_each_person_once() -> None:
    inactivity_world()
    assert sweep("inactivity", date(2028, 11, 1))["counts"] == {"lapsed": 3, "read": 4, "warned": 1}
    # Moved back a year: nothing is due by then any more.
    assert sweep("inactivity", date(2027, 11, 1))["counts"] == {}
    # Forward again, to a later day: warn24 lapses on its day, and nobody is told twice.
    assert sweep("inactivity", date(2028, 11, 30))["counts"] == {}
    assert sweep("inactivity", date(2028, 12, 1))["counts"] == {"lapsed": 1, "read": 1}
    assert kinds("warn24") == [("lapse_warning", HIDA), ("lapsed", HIDA)]
    assert kinds("lapse24") == [("lapsed", GIFU), ("lapsed", HIDA)]


def test_a_resumed_inactivity_run_reaches_the_state_of_one_run(
    clean_aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    late = date(2029, 2, 13)
    inactivity_world()
    whole = sweep("inactivity", late)
    one_run = dump()

    aws.reset_data(clean_aws)
    clock.freeze(datetime(2026, 4, 1, 9, 0, tzinfo=clock.JST))
    onboard(HIDA, GIFU, TAKAYAMA, TOKYO, SHINJUKU)
    inactivity_world()
    handed: list[dict[str, Any]] = []
    monkeypatch.setattr(
        handler_module("sweeps"), "invoker", lambda arn, payload, context=None: handed.append(payload)
    )
    # Enough time for a few shards and items, then too little: the position goes to the next one.
    budget = iter([900_000] * 12 + [1_000] * 100)

    first = sweep("inactivity", late, context=LambdaContext(remaining_ms=lambda: next(budget)))

    assert first["status"] == "handed_off" and first["handoffs"] == 1
    assert 0 < sum(v for k, v in first["counts"].items() if k != "read") < 4
    second = handler_module("sweeps").lambda_handler(handed[0], LambdaContext())
    assert second["status"] == "completed"
    assert {**second["counts"], "read": 4} == whole["counts"]

    def without_position(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in i.items() if k not in ("position", "updated_at")} for i in items]

    assert without_position(dump()) == without_position(one_run)
    for sub in ("lapse24", "lapse12", "warn24", "warned"):
        assert len(inbox(sub)) == len(kinds(sub)) and all(k == "lapsed" for k, _ in kinds(sub))


def test_a_person_changed_during_the_sweep_is_read_again_once() -> None:
    seed("p", [basic(HIDA), basic(TAKAYAMA)], last_seen=SEEN)
    original = people.save
    raced: list[bool] = []

    def racing_save(record: people.PersonRecord, changed: list[Registration], **kwargs: Any) -> None:
        if not raced:
            raced.append(True)
            # A staff tool rewrites a registration between the sweep's read and its write.
            fresh = people.load("p")
            original(fresh, [replace(fresh.registrations[TAKAYAMA], own_residence=True)])
        original(record, changed, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(people, "save", racing_save)
        result = sweep("inactivity", LAPSE)

    assert result["counts"] == {"lapsed": 1, "read": 1}
    record = people.load("p")
    assert {code: reg.status for code, reg in record.registrations.items()} == {
        HIDA: "lapsed",
        TAKAYAMA: "lapsed",
    }
    assert record.registrations[TAKAYAMA].own_residence is True  # the other write was kept
    assert kinds("p") == [("lapsed", TAKAYAMA), ("lapsed", HIDA)]  # once each


def test_a_person_who_came_back_is_left_alone() -> None:
    seed("p", [basic(HIDA)], last_seen=SEEN)
    # The index still shows the old due day (it lags behind the person's return).
    stale = sweep_store.IdlePerson("p", date(2028, 5, 15), {})
    people.touch_last_seen(people.load("p"), date(2028, 6, 1))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            sweep_store,
            "idle_page",
            lambda shard, day, key, limit: ([stale], None) if shard == 0 else ([], None),
        )
        result = sweep("inactivity", LAPSE)
    assert result["counts"] == {"read": 1, "skipped": 1}
    assert reg_of("p", HIDA).status == "active"
