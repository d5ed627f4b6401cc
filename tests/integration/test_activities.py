"""Organizations and activities: management by role, designation, public listing, isolation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.checkin_helpers import (
    ENDS,
    HIDA,
    NOW,
    STARTS,
    TAKAYAMA,
    activity,
    at,
    instant_resync,
    org,
    scan,
    static_token,
)
from tests.support.lambda_api import call, registrant_claims
from tests.support.world import admin, onboard, person

BASE = f"/v1/admin/lgs/{HIDA}"


@pytest.fixture(autouse=True)
def _world(monkeypatch: pytest.MonkeyPatch) -> None:
    instant_resync(monkeypatch)
    onboard(HIDA, TAKAYAMA)
    at(NOW)


def _org_staff(org_id: str, lg_code: str = HIDA) -> dict[str, str]:
    return admin(lg_code, "org", org_id)


# --- organizations -------------------------------------------------------------------------


def test_admin_manages_organizations() -> None:
    created = org(designation="per_activity")
    assert created["designation"] == "per_activity" and created["org_id"].startswith("org_")
    listed = call("GET", f"{BASE}/organizations", claims=admin(HIDA, "viewer"))
    assert [o["org_id"] for o in listed.body["items"]] == [created["org_id"]]
    got = call("GET", f"{BASE}/organizations/{created['org_id']}", claims=admin(HIDA, "coordinator"))
    assert got.body == created
    patched = call(
        "PATCH",
        f"{BASE}/organizations/{created['org_id']}",
        {"name": "飛騨市観光協会（改）"},
        claims=admin(HIDA),
    )
    assert patched.status == 200 and patched.body["name"] == "飛騨市観光協会（改）"
    assert patched.body["designation"] == "per_activity"
    for role in ("coordinator", "viewer"):
        denied = call(
            "POST",
            f"{BASE}/organizations",
            {"name": "x", "kind": "npo", "designation": "per_activity"},
            claims=admin(HIDA, role),
        )
        assert denied.status == 403
    bad = call(
        "POST",
        f"{BASE}/organizations",
        {"name": "x", "kind": "club", "designation": "all"},
        claims=admin(HIDA),
    )
    assert bad.status == 400 and set(bad.body["error"]["details"]) == {"kind", "designation"}
    empty = call("PATCH", f"{BASE}/organizations/{created['org_id']}", {}, claims=admin(HIDA))
    assert empty.status == 400


def test_organization_staff_see_only_their_organization() -> None:
    mine, theirs = org(name="A会"), org(name="B会")
    staff = _org_staff(mine["org_id"])
    listed = call("GET", f"{BASE}/organizations", claims=staff)
    assert [o["org_id"] for o in listed.body["items"]] == [mine["org_id"]]
    assert call("GET", f"{BASE}/organizations/{mine['org_id']}", claims=staff).status == 200
    assert call("GET", f"{BASE}/organizations/{theirs['org_id']}", claims=staff).status == 404
    assert call("PATCH", f"{BASE}/organizations/{mine['org_id']}", {"name": "x"}, claims=staff).status == 403


def test_all_activities_designation_designates_and_reaches_existing_records() -> None:
    association = org(designation="per_activity")
    act = activity(organization_id=association["org_id"], designated=False)
    assert act["designated"] is False
    at("2026-05-10T10:05:00+09:00")
    first = scan("u1", static_token(HIDA, act["activity_id"]))
    assert first.body["counted"] is False and first.body["progress"]["activities_counted"] == 0
    patched = call(
        "PATCH",
        f"{BASE}/organizations/{association['org_id']}",
        {"designation": "all_activities"},
        claims=admin(HIDA),
    )
    assert patched.status == 200
    got = call("GET", f"{BASE}/activities/{act['activity_id']}", claims=admin(HIDA))
    assert got.body["designated"] is True
    # The participant's record now counts (records carry the designation for progress).
    again = scan("u1", static_token(HIDA, act["activity_id"]))
    assert again.body["status"] == "already_recorded"
    assert again.body["progress"]["activities_counted"] == 1
    mine = call("GET", "/v1/me/participations", claims=person("u1")).body["items"]
    assert mine[0]["designated"] is True
    # New activities of the organization are designated; refusing that is an error.
    assert activity(organization_id=association["org_id"], designated=None)["designated"] is True
    refused = call(
        "POST",
        f"{BASE}/activities",
        {
            "name": "x",
            "starts_at": STARTS,
            "ends_at": ENDS,
            "place": "p",
            "organization_id": association["org_id"],
            "designated": False,
        },
        claims=admin(HIDA),
    )
    assert refused.status == 400 and "designated" in refused.body["error"]["details"]


def test_an_activity_of_an_all_activities_organization_stays_designated() -> None:
    """Government staff read no organization when they edit its activity: undesignating one is
    written on condition that the organization does not designate all its activities."""
    association = org(designation="all_activities")
    act = activity(organization_id=association["org_id"], designated=None)
    path = f"{BASE}/activities/{act['activity_id']}"
    for claims in (admin(HIDA), admin(HIDA, "coordinator"), _org_staff(association["org_id"])):
        refused = call("PATCH", path, {"designated": False, "place": "体育館"}, claims=claims)
        assert (refused.status, refused.error_code) == (400, "VALIDATION_ERROR"), refused
        assert "designated" in refused.body["error"]["details"]
    got = call("GET", path, claims=admin(HIDA)).body
    assert (got["designated"], got["place"]) == (True, act["place"])
    # Once the organization designates per activity, the government may undo it (and only it).
    call(
        "PATCH",
        f"{BASE}/organizations/{association['org_id']}",
        {"designation": "per_activity"},
        claims=admin(HIDA),
    )
    staff = call("PATCH", path, {"designated": False}, claims=_org_staff(association["org_id"]))
    assert staff.status == 403
    undone = call("PATCH", path, {"designated": False}, claims=admin(HIDA))
    assert undone.status == 200 and undone.body["designated"] is False


# --- activities ----------------------------------------------------------------------------


def test_activity_life_cycle() -> None:
    created = activity(conditions="軍手持参", capacity=30)
    assert created["status"] == "scheduled" and created["checkin_mode"] == "static_qr"
    assert created["checkin_opens_at"] == "2026-05-10T09:00:00+09:00"
    assert created["checkin_closes_at"] == "2026-05-10T13:00:00+09:00"
    assert created["participant_count"] == 0 and created["scan_failures"] == {}
    aid = created["activity_id"]
    patched = call(
        "PATCH",
        f"{BASE}/activities/{aid}",
        {"capacity": None, "place": "古川町体育館", "checkin_mode": "rotating_qr"},
        claims=admin(HIDA, "coordinator"),
    )
    assert patched.status == 200, patched
    assert patched.body["capacity"] is None and patched.body["place"] == "古川町体育館"
    assert patched.body["conditions"] == "軍手持参" and patched.body["checkin_mode"] == "rotating_qr"
    cancelled = call("POST", f"{BASE}/activities/{aid}/cancel", {}, claims=admin(HIDA))
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
    assert cancelled.body["cancelled_at"] == "2026-05-10T09:30:00+09:00"
    again = call("POST", f"{BASE}/activities/{aid}/cancel", {"reason": "later"}, claims=admin(HIDA))
    assert again.status == 200 and again.body["cancel_reason"] is None
    frozen = call("PATCH", f"{BASE}/activities/{aid}", {"name": "x"}, claims=admin(HIDA))
    assert (frozen.status, frozen.error_code) == (409, "ACTIVITY_CANCELLED")
    qr = call("GET", f"{BASE}/activities/{aid}/live-token", claims=admin(HIDA))
    assert qr.error_code == "ACTIVITY_CANCELLED"


def test_a_change_made_meanwhile_is_never_overwritten(monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATCH writes on condition that the activity is still as it read it: a cancellation
    landing between its read and its write is kept, and the PATCH is told to read again."""
    from furusato.store import activities as store

    association = org()
    read = store.get_for_change
    for change in ({"place": "体育館"}, {"designated": False}):  # an UpdateItem; a transaction
        act = activity(organization_id=association["org_id"])
        path = f"{BASE}/activities/{act['activity_id']}"

        def read_then_cancelled(*args: Any, path: str = path) -> Any:
            found = read(*args)
            assert call("POST", f"{path}/cancel", {}, claims=admin(HIDA)).status == 200
            return found

        monkeypatch.setattr(store, "get_for_change", read_then_cancelled)
        raced = call("PATCH", path, change, claims=admin(HIDA))
        assert (raced.status, raced.error_code) == (409, "CONCURRENT_UPDATE"), raced
        monkeypatch.setattr(store, "get_for_change", read)
        got = call("GET", path, claims=admin(HIDA)).body
        assert (got["status"], got["place"], got["designated"]) == ("cancelled", act["place"], True)


def test_activity_validation() -> None:
    base = {"name": "x", "starts_at": STARTS, "ends_at": ENDS, "place": "p"}
    for overrides, field in (
        ({"ends_at": STARTS}, "ends_at"),
        ({"starts_at": "2026-05-10T10:00:00"}, "starts_at"),
        ({"checkin_mode": "nfc"}, "checkin_mode"),
        ({"capacity": 0}, "capacity"),
        ({"unknown": 1}, "unknown"),
        ({"organization_id": "org_01jc5x8k9z3h7q2m4n6p8r0tab"}, "organization_id"),
    ):
        reply = call("POST", f"{BASE}/activities", {**base, **overrides}, claims=admin(HIDA))
        assert reply.status in (400, 404) and field in reply.body["error"]["details"], (overrides, reply)
    viewer = call("POST", f"{BASE}/activities", base, claims=admin(HIDA, "viewer"))
    assert viewer.status == 403


def test_organization_staff_manage_their_own_activities_only() -> None:
    mine, theirs = org(name="A会"), org(name="B会")
    staff = _org_staff(mine["org_id"])
    own = activity(claims=staff, designated=False)
    assert own["organization_id"] == mine["org_id"] and own["designated"] is False
    other = activity(organization_id=theirs["org_id"])
    government = activity(name="市の活動")
    # They cannot designate under per_activity, nor plan for another organization.
    body = {"name": "x", "starts_at": STARTS, "ends_at": ENDS, "place": "p"}
    assert call("POST", f"{BASE}/activities", {**body, "designated": True}, claims=staff).status == 403
    assert (
        call("POST", f"{BASE}/activities", {**body, "organization_id": theirs["org_id"]}, claims=staff).status
        == 403
    )
    assert (
        call("PATCH", f"{BASE}/activities/{own['activity_id']}", {"designated": True}, claims=staff).status
        == 403
    )
    assert (
        call("PATCH", f"{BASE}/activities/{own['activity_id']}", {"name": "改名"}, claims=staff).status == 200
    )
    # The government designates it; the organization cannot undo that.
    assert (
        call(
            "PATCH", f"{BASE}/activities/{own['activity_id']}", {"designated": True}, claims=admin(HIDA)
        ).status
        == 200
    )
    assert (
        call("PATCH", f"{BASE}/activities/{own['activity_id']}", {"designated": False}, claims=staff).status
        == 403
    )
    listed = call("GET", f"{BASE}/activities", claims=staff).body["items"]
    assert [a["activity_id"] for a in listed] == [own["activity_id"]]
    for hidden in (other, government):
        aid = hidden["activity_id"]
        for method, path, payload in (
            ("GET", f"{BASE}/activities/{aid}", None),
            ("PATCH", f"{BASE}/activities/{aid}", {"name": "x"}),
            ("POST", f"{BASE}/activities/{aid}/cancel", {}),
            ("GET", f"{BASE}/activities/{aid}/qr", None),
            ("GET", f"{BASE}/activities/{aid}/live-token", None),
            ("GET", f"{BASE}/activities/{aid}/participants", None),
            ("POST", f"{BASE}/activities/{aid}/checkins", {"member_token": "x", "nonce": "n" * 10}),
        ):
            reply = call(method, path, payload, claims=staff)
            assert (reply.status, reply.error_code) == (404, "NOT_FOUND"), (method, path, reply)
    # Organization staff whose organization is not registered here cannot plan anything.
    ghost = _org_staff("org_01jc5x8k9z3h7q2m4n6p8r0tab")
    assert call("POST", f"{BASE}/activities", body, claims=ghost).status == 403


def test_staff_list_by_time_and_status() -> None:
    late = activity(name="遅い", starts_at="2026-06-01T10:00:00+09:00", ends_at="2026-06-01T12:00:00+09:00")
    early = activity(name="早い", starts_at="2026-05-01T10:00:00+09:00", ends_at="2026-05-01T12:00:00+09:00")
    middle = activity(name="中")
    call("POST", f"{BASE}/activities/{middle['activity_id']}/cancel", {}, claims=admin(HIDA))
    listed = call("GET", f"{BASE}/activities", claims=admin(HIDA, "viewer")).body["items"]
    assert [a["name"] for a in listed] == ["早い", "中", "遅い"]
    ranged = call(
        "GET", f"{BASE}/activities", query={"from": "2026-05-02", "to": "2026-05-31"}, claims=admin(HIDA)
    )
    assert [a["activity_id"] for a in ranged.body["items"]] == [middle["activity_id"]]
    scheduled = call("GET", f"{BASE}/activities", query={"status": "scheduled"}, claims=admin(HIDA)).body[
        "items"
    ]
    assert {a["activity_id"] for a in scheduled} == {late["activity_id"], early["activity_id"]}
    first = call("GET", f"{BASE}/activities", query={"limit": "2"}, claims=admin(HIDA))
    rest = call(
        "GET",
        f"{BASE}/activities",
        query={"limit": "2", "cursor": first.body["next_cursor"]},
        claims=admin(HIDA),
    )
    assert [a["name"] for a in first.body["items"] + rest.body["items"]] == ["早い", "中", "遅い"]
    assert call("GET", f"{BASE}/activities", query={"colour": "red"}, claims=admin(HIDA)).status == 400


def test_public_listing_shows_upcoming_scheduled_activities() -> None:
    past = activity(name="過去", starts_at="2026-05-01T10:00:00+09:00", ends_at="2026-05-01T12:00:00+09:00")
    activity(name="今日")
    later = activity(name="来月", starts_at="2026-06-01T10:00:00+09:00", ends_at="2026-06-01T12:00:00+09:00")
    cancelled = activity(name="中止")
    call("POST", f"{BASE}/activities/{cancelled['activity_id']}/cancel", {}, claims=admin(HIDA))
    activity(TAKAYAMA, name="高山の活動")
    reply = call("GET", f"/v1/local-governments/{HIDA}/activities")
    assert reply.status == 200
    names = [a["name"] for a in reply.body["items"]]
    assert names == ["今日", "来月"]
    item = reply.body["items"][0]
    assert set(item) == {
        "activity_id",
        "lg_code",
        "name",
        "starts_at",
        "ends_at",
        "place",
        "conditions",
        "capacity",
        "organization_id",
        "designated",
        "checkin_mode",
        "status",
    }
    ranged = call(
        "GET", f"/v1/local-governments/{HIDA}/activities", query={"from": "2026-04-01", "to": "2026-05-31"}
    )
    assert [a["name"] for a in ranged.body["items"]] == ["過去", "今日"]
    assert past["activity_id"] and later["activity_id"]
    assert call("GET", "/v1/local-governments/131041/activities").status == 404
    assert call("GET", "/v1/local-governments/212171/activities").status == 400


# --- tenant isolation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("GET", "", None),
        ("PATCH", "", {"name": "x"}),
        ("POST", "/cancel", {}),
        ("GET", "/qr", None),
        ("GET", "/live-token", None),
        ("POST", "/checkins", {"member_token": "x", "nonce": "n" * 10}),
        ("GET", "/participants", None),
    ],
)
def test_another_governments_activity_is_not_found(method: str, suffix: str, payload: Any) -> None:
    theirs = activity(TAKAYAMA, name="高山の活動")
    aid = theirs["activity_id"]
    reply = call(method, f"{BASE}/activities/{aid}{suffix}", payload, claims=admin(HIDA))
    assert (reply.status, reply.error_code) == (404, "NOT_FOUND"), reply
    # ... and their own staff reach it; our staff under their lg_code are refused.
    forbidden = call(
        method, f"/v1/admin/lgs/{TAKAYAMA}/activities/{aid}{suffix}", payload, claims=admin(HIDA)
    )
    assert (forbidden.status, forbidden.error_code) == (403, "FORBIDDEN")


@pytest.mark.parametrize(("method", "payload"), [("GET", None), ("PATCH", {"name": "x"})])
def test_another_governments_organization_is_not_found(method: str, payload: Any) -> None:
    theirs = org(TAKAYAMA, name="高山の会")
    reply = call(method, f"{BASE}/organizations/{theirs['org_id']}", payload, claims=admin(HIDA))
    assert (reply.status, reply.error_code) == (404, "NOT_FOUND")
    listed = call("GET", f"{BASE}/organizations", claims=admin(HIDA)).body["items"]
    assert listed == []


def test_org_staff_of_one_government_are_nobody_in_another() -> None:
    theirs = org(TAKAYAMA, name="高山の会")
    staff = _org_staff(theirs["org_id"], TAKAYAMA)
    for method, path in (("GET", f"{BASE}/activities"), ("GET", f"{BASE}/organizations")):
        assert call(method, path, claims=staff).status == 403


def test_registrants_cannot_use_staff_routes() -> None:
    created = activity()
    reply = call("GET", f"{BASE}/activities/{created['activity_id']}", claims=registrant_claims("u1"))
    assert reply.status == 403


# --- cost of staff reads and edits, whatever the roster's size -----------------------------


def _scan_people(token: str, subs: range, prefix: str = "") -> None:
    for n in subs:
        assert scan(f"{prefix}crowd-{n}", token).status == 201


def test_reading_and_editing_an_activity_costs_the_same_at_any_roster_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The count comes from counter shards written with each record: a GET reads the same keys
    (one BatchGetItem) with 3 or 40 participants, and every PATCH (the government's activity or
    an organization's, by government or organization staff, designating or not) stays within 3
    round trips, the route guard's read of the staff record included, with no roster work and no
    wait inside the request."""
    import time

    monkeypatch.undo()  # no stream delivery inside the requests measured here
    monkeypatch.setattr(time, "sleep", lambda s: pytest.fail(f"a request slept {s} s"))
    from furusato.store import counters, participations
    from tests.support.roundtrips import count_calls

    association = org()
    own, theirs = activity(), activity(organization_id=association["org_id"], designated=False)
    tokens = {a["activity_id"]: static_token(HIDA, a["activity_id"]) for a in (own, theirs)}
    at("2026-05-10T10:05:00+09:00")
    # Their staff records exist before counting.
    viewer, manager, staff = admin(HIDA, "viewer"), admin(HIDA), _org_staff(association["org_id"])
    edits: dict[str, tuple[dict[str, Any], dict[str, str], dict[str, Any]]] = {
        "government's, by its staff": (own, manager, {"designated": True}),
        "organization's, designated by the government": (theirs, manager, {"designated": True}),
        "organization's, undesignated by the government": (theirs, manager, {"designated": False}),
        "organization's, by its staff": (theirs, staff, {"capacity": 50}),
    }
    costs: dict[str, list[dict[str, int]]] = {}
    done = 0
    for size in (3, 40):
        for aid, token in tokens.items():
            _scan_people(token, range(done, size), prefix=aid)
        done = size
        with count_calls() as read:
            got = call("GET", f"{BASE}/activities/{own['activity_id']}", claims=viewer)
        assert got.status == 200 and got.body["participant_count"] == size
        costs.setdefault("GET", []).append(dict(read))
        for name, (act, claims, change) in edits.items():
            with count_calls() as edit:
                patched = call(
                    "PATCH",
                    f"{BASE}/activities/{act['activity_id']}",
                    {"place": f"会場{size}", **change},
                    claims=claims,
                )
            assert patched.status == 200, (name, patched)
            assert patched.body["participant_count"] == size and patched.body["place"] == f"会場{size}"
            costs.setdefault(name, []).append(dict(edit))
    for name, (small, large) in costs.items():
        assert small == large, name
        assert sum(small.values()) <= 3, (name, small)
    # Each staff request also reads its caller's staff record (the route guard: one GetItem).
    assert costs["GET"][0] == {"GetItem": 1, "BatchGetItem": 1}
    assert costs["government's, by its staff"][0] == {"GetItem": 1, "BatchGetItem": 1, "UpdateItem": 1}
    # Undesignating checks the organization in the write: an UpdateItem and a ConditionCheck.
    assert costs["organization's, undesignated by the government"][0] == {
        "GetItem": 1,
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
    }
    # A cancellation reads the activity alone (consistently), then writes it.
    with count_calls() as cancelling:
        cancelled = call("POST", f"{BASE}/activities/{theirs['activity_id']}/cancel", {}, claims=staff)
    assert cancelled.status == 200 and dict(cancelling) == {"GetItem": 2, "UpdateItem": 1}
    # The counters equal the records, and the shards spread one activity's writes.
    for aid in tokens:
        assert participations.count(aid) == sum(1 for _ in participations.whole_roster(aid)) == 40
    assert len({counters.shard_of(f"crowd-{n}") for n in range(40)}) > 16


def test_a_repeated_scan_does_not_count_twice() -> None:
    from furusato.store import participations

    act = activity()
    token = static_token(HIDA, act["activity_id"])
    at("2026-05-10T10:05:00+09:00")
    assert [scan("u1", token).status for _ in range(3)] == [201, 200, 200]
    assert participations.count(act["activity_id"]) == 1


# --- the copy of an activity's fields into its records (capabilities.activity_copies) --------


class FakeClock:
    """The copy's pacing clock: sleeping moves it on, and so does each write by `per_write`."""

    def __init__(self, per_write: float = 0.0) -> None:
        self.now, self.per_write, self.slept = 0.0, per_write, 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


def _copy_world(monkeypatch: pytest.MonkeyPatch, size: int, clock: FakeClock) -> tuple[str, list[float]]:
    """An activity with `size` records carrying its copy, then PATCHed (place): its id and the
    pacing clock's time at each record rewrite (one entry per write, so a record written twice
    shows up twice)."""
    from furusato.capabilities import activity_copies
    from furusato.store import participations
    from furusato.store.models import ParticipationItem
    from tests.support.streams import deliver

    monkeypatch.undo()  # the stream is delivered by the test itself
    monkeypatch.setattr(activity_copies, "monotonic", lambda: clock.now)
    monkeypatch.setattr(activity_copies, "sleep", clock.sleep)
    monkeypatch.setattr(activity_copies, "PAGE", 4)  # many pages from a small roster
    monkeypatch.setattr(activity_copies, "WRITERS", 3)
    act = activity()
    for n in range(size):
        ParticipationItem(
            f"P#crowd-{n}",
            f"PART#{act['activity_id']}",
            gsi1pk=f"ACT#{act['activity_id']}",
            gsi1sk=f"2026-05-10T10:{n // 60:02d}:{n % 60:02d}+09:00#par_{n}",
            participation_id=f"par_{n}",
            sub=f"crowd-{n}",
            activity_id=act["activity_id"],
            lg_code=HIDA,
            activity_name=act["name"],
            activity_starts_at=STARTS,
            activity_ends_at=ENDS,
            place=act["place"],
            day="2026-05-10",
            source="qr",
            checkin_mode="static_qr",
            checked_in_at="2026-05-10T10:00:00+09:00",
            recorded_at="2026-05-10T10:00:00+09:00",
        ).save()
    deliver()
    writes: list[float] = []
    refresh = participations.refresh_snapshot

    def timed_refresh(sub: str, activity: Any) -> bool:
        at = clock.now
        clock.now += clock.per_write
        written = refresh(sub, activity)
        if written:
            writes.append(at)
        return written

    monkeypatch.setattr(participations, "refresh_snapshot", timed_refresh)
    patched = call(
        "PATCH", f"{BASE}/activities/{act['activity_id']}", {"place": "新会場"}, claims=admin(HIDA)
    )
    assert patched.status == 200
    return act["activity_id"], writes


def _places(activity_id: str) -> set[str]:
    from furusato.store import participations

    return {r.place for r in participations.whole_roster(activity_id)}


def _steps(activity_id: str) -> int:
    from furusato.store.models import ActivityCopyStepItem

    return sum(1 for _ in ActivityCopyStepItem.query(f"COPY#{activity_id}"))


def test_a_copy_delivered_twice_writes_each_record_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from furusato import topology
    from infra.local.streams import StreamDelivery
    from tests.support import streams

    activity_id, writes = _copy_world(monkeypatch, 13, FakeClock())
    report = streams.deliver()
    assert report.retried == report.dead_lettered == 0
    assert _places(activity_id) == {"新会場"} and len(writes) == 13
    # Every change since the table was created, delivered again: the activity's change, each
    # step of its copy and the records' own changes.
    tables = {t.env_var: os.environ[t.env_var] for t in topology.TABLES}
    again = StreamDelivery(os.environ["AWS_ENDPOINT_URL"], tables, streams._invoke).drain()
    assert again.delivered > 13 and again.retried == again.dead_lettered == 0
    assert len(writes) == 13  # nothing written twice
    assert _places(activity_id) == {"新会場"} and _steps(activity_id) == 1


def test_a_copy_that_fails_after_some_records_resumes_and_finishes(monkeypatch: pytest.MonkeyPatch) -> None:
    from furusato.store import participations
    from tests.support import streams

    activity_id, writes = _copy_world(monkeypatch, 17, FakeClock())
    timed_refresh = participations.refresh_snapshot

    def failing_once(sub: str, activity: Any) -> bool:
        if len(writes) == 7 and not failed:
            failed.append(sub)
            raise RuntimeError("DynamoDB unavailable")
        return timed_refresh(sub, activity)

    failed: list[str] = []
    monkeypatch.setattr(participations, "refresh_snapshot", failing_once)
    report = streams.deliver()
    assert failed and report.retried >= 1 and report.dead_lettered == 0
    assert _places(activity_id) == {"新会場"}
    assert len(writes) == 17  # the redelivered step skipped the records already written


def test_a_copy_hands_on_before_the_functions_timeout_and_continues(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each write takes a second of the copy's clock; a step may take 5 s before its invocation
    must stop (the streams function's time left, less the reserve): the copy goes on in later
    steps, each a stream record of its own, until the roster is done."""
    from furusato.capabilities import activity_copies
    from infra.local.context import LambdaContext
    from tests.support import streams

    clock = FakeClock(per_write=1.0)
    activity_id, writes = _copy_world(monkeypatch, 21, clock)
    # Each invocation starts with RESERVE_S + 5 s left: a step may copy for 5 s.
    left_ms = int((activity_copies.RESERVE_S + 5) * 1000)
    monkeypatch.setattr(streams, "LambdaContext", lambda: LambdaContext(remaining_ms=lambda: left_ms))
    report = streams.deliver()
    assert report.retried == report.dead_lettered == 0
    assert _places(activity_id) == {"新会場"} and len(writes) == 21
    # Pages of 4 at a second a write: a step stops after its second page (8 s >= 5 s).
    assert _steps(activity_id) == 3


def test_the_copy_is_paced_per_activity(monkeypatch: pytest.MonkeyPatch) -> None:
    """At COPY_RATE_PER_S (here 10 a second) the k-th group of writes waits until its share of
    the rate has passed on the copy's clock; nothing sleeps for real."""
    import time

    from furusato.capabilities import activity_copies
    from tests.support import streams

    clock = FakeClock()
    activity_id, writes = _copy_world(monkeypatch, 10, clock)
    monkeypatch.setattr(activity_copies, "COPY_RATE_PER_S", 10)
    monkeypatch.setattr(time, "sleep", lambda s: pytest.fail(f"slept {s} s for real"))
    streams.deliver()
    assert _places(activity_id) == {"新会場"}
    # Pages of 4, groups of up to 3 writers: a group waits until the writes granted before it
    # fit the rate (3 granted / 10 a second = 0.3 s, 4 = 0.4 s, 7 = 0.7 s, 8 = 0.8 s).
    assert sorted(round(t, 6) for t in writes) == [0.0] * 3 + [0.3] + [0.4] * 3 + [0.7] + [0.8] * 2
    assert round(clock.slept, 6) == 0.8


def test_a_copy_stops_within_a_page_when_the_activity_changes_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second PATCH during a copy: the first copy stops before its next page (it would write the
    older place over the newer chain's records), the second chain writes the newest everywhere."""
    from furusato.store import participations
    from tests.support import streams

    activity_id, _ = _copy_world(monkeypatch, 13, FakeClock())
    timed_refresh = participations.refresh_snapshot
    places: list[str] = []

    def patch_after_two(sub: str, activity: Any) -> bool:
        places.append(activity.place)
        if len(places) == 2:
            path = f"{BASE}/activities/{activity_id}"
            assert call("PATCH", path, {"place": "第三会場"}, claims=admin(HIDA)).status == 200
        return timed_refresh(sub, activity)

    monkeypatch.setattr(participations, "refresh_snapshot", patch_after_two)
    report = streams.deliver()
    assert report.retried == report.dead_lettered == 0
    assert _places(activity_id) == {"第三会場"}
    # The first copy finished the page it was on (4 records) and stopped.
    assert places.count("新会場") == 4 and places.count("第三会場") == 13
