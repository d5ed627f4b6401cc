"""Activity and check-in rules: times, windows, designation, who sees what, scans."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from furusato.clock import JST
from furusato.domain import tokens
from furusato.domain.activity import (
    Activity,
    ActivityCancelled,
    Actor,
    Organization,
    OutsideWindow,
    apply_patch,
    cancel,
    check_times,
    require_manageable,
    require_visible,
    resolve_designated,
)
from furusato.domain.checkin import (
    FAILURE_WINDOW_S,
    check_activity,
    check_token,
    failure_window,
    new_record,
    scan_instant,
)
from furusato.domain.errors import Forbidden, InvalidInput, NotFound
from furusato.domain.lg import LocalGovernment, PremiumSettings
from furusato.domain.registration import progress
from furusato.views.participation import participation_view, roster_line

START = datetime(2026, 5, 10, 10, 0, tzinfo=JST)
END = datetime(2026, 5, 10, 12, 0, tzinfo=JST)
ACT = "act_01jc5x8k9z3h7q2m4n6p8r0tab"
RING = tokens.Keyring.from_document({"active_kid": "k1", "k1": "a" * 43})


def _activity(**overrides: object) -> Activity:
    fields: dict[str, object] = {
        "activity_id": ACT,
        "lg_code": "212172",
        "name": "雪かき",
        "starts_at": START,
        "ends_at": END,
        "place": "公民館",
        "conditions": None,
        "capacity": None,
        "organization_id": "org_1",
        "designated": True,
        "checkin_mode": "static_qr",
        "status": "scheduled",
        "created_at": "x",
        "updated_at": "x",
    }
    fields.update(overrides)
    return Activity(**fields)  # type: ignore[arg-type]


def _org(designation: str) -> Organization:
    return Organization("org_1", "212172", "協会", "dmo", designation, "x", "x")  # type: ignore[arg-type]


ADMIN = Actor("s1", "212172", "admin")
COORDINATOR = Actor("s2", "212172", "coordinator")
VIEWER = Actor("s3", "212172", "viewer")
ORG_STAFF = Actor("s4", "212172", "org", "org_1")
OTHER_ORG_STAFF = Actor("s5", "212172", "org", "org_2")


# --- times and windows ---------------------------------------------------------------------


def test_times_are_checked_and_stored_in_jst() -> None:
    utc_start = datetime.fromisoformat("2026-05-10T01:00:00+00:00")
    starts, ends = check_times(utc_start, utc_start + timedelta(hours=2))
    assert starts.isoformat() == "2026-05-10T10:00:00+09:00"
    assert ends.isoformat() == "2026-05-10T12:00:00+09:00"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (START, START, "ends_at"),
        (START, START - timedelta(minutes=1), "ends_at"),
        (START, START + timedelta(days=32), "ends_at"),
        (START.replace(tzinfo=None), END, "starts_at"),
    ],
)
def test_bad_times_are_refused(start: datetime, end: datetime, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_times(start, end)
    assert field in raised.value.details


def test_checkin_window_edges() -> None:
    activity = _activity()
    opens, closes = START - timedelta(minutes=60), END + timedelta(minutes=60)
    assert (activity.checkin_opens, activity.checkin_closes) == (opens, closes)
    assert activity.in_window(opens) and activity.in_window(closes)
    assert not activity.in_window(opens - timedelta(seconds=1))
    assert not activity.in_window(closes + timedelta(seconds=1))


def test_patch_rechecks_times_and_refuses_cancelled() -> None:
    activity = _activity()
    with pytest.raises(InvalidInput):
        apply_patch(activity, {"ends_at": START - timedelta(hours=1)}, now="y")
    moved = apply_patch(
        activity, {"starts_at": START + timedelta(hours=1), "ends_at": END + timedelta(hours=1)}, now="y"
    )
    assert moved.starts_at == START + timedelta(hours=1) and moved.updated_at == "y"
    with pytest.raises(ActivityCancelled):
        apply_patch(cancel(activity, reason="雨", now="z"), {"name": "x"}, now="y")


def test_cancel_is_idempotent() -> None:
    cancelled = cancel(_activity(), reason="大雨", now="t1")
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "大雨"
    assert cancel(cancelled, reason="other", now="t2") is cancelled


# --- designation and access ----------------------------------------------------------------


def test_all_activities_organization_designates_everything() -> None:
    org = _org("all_activities")
    for actor in (ADMIN, ORG_STAFF):
        assert resolve_designated(actor=actor, organization=org, requested=None) is True
        assert resolve_designated(actor=actor, organization=org, requested=True) is True
    with pytest.raises(InvalidInput):
        resolve_designated(actor=ADMIN, organization=org, requested=False)


def test_per_activity_designation_is_the_governments() -> None:
    org = _org("per_activity")
    assert resolve_designated(actor=ADMIN, organization=org, requested=True) is True
    assert resolve_designated(actor=COORDINATOR, organization=None, requested=False) is False
    assert resolve_designated(actor=ADMIN, organization=None, requested=None) is False
    assert resolve_designated(actor=ORG_STAFF, organization=org, requested=False) is False
    with pytest.raises(Forbidden):
        resolve_designated(actor=ORG_STAFF, organization=org, requested=True)
    # Nor can organization staff undo the government's designation.
    with pytest.raises(Forbidden):
        resolve_designated(actor=ORG_STAFF, organization=org, requested=False, current=True)
    assert resolve_designated(actor=ORG_STAFF, organization=org, requested=True, current=True) is True


def test_organization_staff_see_only_their_organizations_activities() -> None:
    mine, theirs, governments = (
        _activity(),
        _activity(organization_id="org_2"),
        _activity(organization_id=None),
    )
    assert require_visible(ORG_STAFF, mine) is mine
    for activity in (theirs, governments, None):
        with pytest.raises(NotFound):
            require_visible(ORG_STAFF, activity)
    with pytest.raises(NotFound):
        require_manageable(OTHER_ORG_STAFF, mine)
    for actor in (ADMIN, COORDINATOR, VIEWER):
        assert require_visible(actor, theirs) is theirs
    with pytest.raises(Forbidden):
        require_manageable(VIEWER, mine)
    assert require_manageable(COORDINATOR, theirs) is theirs


# --- scans ---------------------------------------------------------------------------------


def _claims(kind: str = "s") -> tokens.StaticClaims | tokens.RotatingClaims:
    if kind == "s":
        token = tokens.issue_static(
            RING,
            lg_code="212172",
            activity_id=ACT,
            valid_from=START - timedelta(minutes=60),
            valid_until=END + timedelta(minutes=60),
        )
    else:
        token, _ = tokens.issue_rotating(RING, lg_code="212172", activity_id=ACT, now=START)
    claims = tokens.verify(RING, token)
    assert isinstance(claims, tokens.StaticClaims | tokens.RotatingClaims)
    return claims


def test_online_scan_is_now() -> None:
    assert scan_instant(_claims(), now=START, scanned_at=None) == START


def test_offline_scan_rules() -> None:
    now = START + timedelta(days=2)
    scanned = START + timedelta(minutes=5)
    assert scan_instant(_claims(), now=now, scanned_at=scanned) == scanned
    # Exactly 72 hours later still arrives in time; a second more does not.
    assert scan_instant(_claims(), now=scanned + timedelta(hours=72), scanned_at=scanned) == scanned
    with pytest.raises(tokens.TokenExpired):
        scan_instant(_claims(), now=scanned + timedelta(hours=72, seconds=1), scanned_at=scanned)
    with pytest.raises(InvalidInput) as future:
        scan_instant(_claims(), now=START, scanned_at=START + timedelta(minutes=5))
    assert "scanned_at" in future.value.details
    # A little clock drift of the phone is taken as now.
    assert scan_instant(_claims(), now=START, scanned_at=START + timedelta(seconds=30)) == START
    with pytest.raises(InvalidInput) as rotating:
        scan_instant(_claims("r"), now=START, scanned_at=START)
    assert "static" in rotating.value.message


def test_static_token_window_edges() -> None:
    claims = _claims()
    check_token(claims, instant=START - timedelta(minutes=60))
    check_token(claims, instant=END + timedelta(minutes=60))
    for instant in (START - timedelta(minutes=60, seconds=1), END + timedelta(minutes=60, seconds=1)):
        with pytest.raises(OutsideWindow):
            check_token(claims, instant=instant)


def test_activity_checks() -> None:
    activity = _activity()
    check_activity(activity, mode="static_qr", instant=START)
    check_activity(activity, mode="staff_scan", instant=START)  # staff may scan in any mode
    with pytest.raises(tokens.InvalidToken):
        check_activity(activity, mode="rotating_qr", instant=START)
    with pytest.raises(OutsideWindow) as outside:
        check_activity(activity, mode="static_qr", instant=END + timedelta(hours=2))
    assert outside.value.details["closes_at"] == "2026-05-10T13:00:00+09:00"
    with pytest.raises(ActivityCancelled):
        check_activity(cancel(activity, reason=None, now="x"), mode="static_qr", instant=START)


def test_failure_window() -> None:
    number, end = failure_window(START)
    assert number == int(START.timestamp()) // FAILURE_WINDOW_S
    assert START < end <= START + timedelta(seconds=FAILURE_WINDOW_S)


def test_a_record_counts_toward_progress_on_the_day_of_the_scan() -> None:
    lg = LocalGovernment("212172", "飛騨市", "municipality", "21", settings=PremiumSettings())
    offline_scan = datetime(2026, 5, 10, 23, 50, tzinfo=JST)
    record = new_record(
        sub="u1",
        participation_id="part_1",
        activity=_activity(ends_at=datetime(2026, 5, 11, 2, 0, tzinfo=JST)),
        source="qr",
        instant=offline_scan,
        now=offline_scan + timedelta(hours=3),
        offline=True,
        nonce="n" * 8,
        recorded_by=None,
    )
    assert record.day == date(2026, 5, 10) and record.offline
    result = progress(lg, [record], date(2026, 5, 11))
    assert (result.activities_counted, result.stay_days) == (1, 1)
    assert roster_line(record, name=None, registration_id=None)["registered"] is False
    assert roster_line(record, name="山田 花子", registration_id="reg_1")["registered"] is True
    assert participation_view(record)["checked_in_at"] == "2026-05-10T23:50:00+09:00"


def test_the_copy_pacer_keeps_its_rate_and_makes_up_for_a_pause_by_one_group_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from furusato.capabilities import activity_copies

    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    monkeypatch.setattr(activity_copies, "monotonic", lambda: now[0])
    monkeypatch.setattr(activity_copies, "sleep", sleep)
    pacer = activity_copies.Pacer(rate=10, burst=4)
    starts = []
    for _ in range(3):
        pacer.take(4)
        starts.append(now[0])
    assert starts == [0.0, 0.4, 0.8]
    now[0] = 10.0  # a long page read: 100 writes' worth of time, made up for by one group
    for _ in range(3):
        pacer.take(4)
        starts.append(round(now[0], 6))
    assert starts[3:] == [10.0, 10.0, 10.4]
