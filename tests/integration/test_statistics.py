"""Statistics against a hand-computed fixture, kept by the stream consumer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from furusato import clock
from furusato.clock import JST
from furusato.store.models import ParticipationItem, RegistrationItem
from tests.support.lambda_api import call, operator_claims
from tests.support.streams import deliver
from tests.support.world import admin, onboard, person, register, set_profile

HIDA, GIFU, SHINJUKU, TOKYO, MATSUE = "212172", "210005", "131041", "130001", "322016"
SHINJUKU_POSTAL, MATSUE_POSTAL, CHIYODA_POSTAL = "160-0022", "690-0001", "100-0001"


def set_status(sub: str, lg_code: str, **fields: Any) -> None:
    """A change that comes from elsewhere (a sweep lapsing it, a renewal): written directly."""
    item = RegistrationItem.get(f"P#{sub}", f"REG#{lg_code}", consistent_read=True)
    for name, value in fields.items():
        setattr(item, name, value)
    item.version = int(item.version) + 1
    item.updated_at = clock.iso(clock.now())
    item.save()


def participate(sub: str, lg_code: str, activity_id: str, day: str) -> None:
    ParticipationItem(
        f"P#{sub}",
        f"PART#{activity_id}",
        participation_id=f"par_{sub}_{activity_id}",
        sub=sub,
        activity_id=activity_id,
        lg_code=lg_code,
        activity_name="雪かき",
        activity_starts_at=f"{day}T09:00:00+09:00",
        activity_ends_at=f"{day}T12:00:00+09:00",
        place="古川町",
        designated=True,
        day=day,
        source="qr",
        checkin_mode="static_qr",
        checked_in_at=f"{day}T09:05:00+09:00",
        recorded_at=f"{day}T09:05:00+09:00",
    ).save()


def stats(lg_code: str) -> dict[str, Any]:
    reply = call("GET", f"/v1/admin/lgs/{lg_code}/stats", claims=admin(lg_code, "viewer"))
    assert reply.status == 200, reply
    return dict(reply.body)


def national() -> dict[str, Any]:
    reply = call("GET", "/v1/operator/stats", claims=operator_claims())
    assert reply.status == 200, reply
    return dict(reply.body)


def build_fixture() -> None:
    """Six people (hand-counted in the tests below):

    a: lives in Shinjuku, born 1990-04-01: Hida (and Gifu, automatic), Shinjuku and Tokyo (own
       residence, excluded but shown apart). 36 years old.
    b: lives in Matsue, born 2008-06-16 (17 on 2026-06-15, 18 the next day): Hida (and Gifu).
    c: lives in Chiyoda, born 1955-01-10: Hida premium, long-term stayer (and Gifu). 71.
    d: lives in Matsue: Hida, then withdrawn. Not counted.
    e: lives in Matsue: Hida, lapsed. Not counted.
    f: lives in Matsue, born 1980-06-20: Hida, pending review. Not counted.
    """
    clock.freeze(datetime(2026, 5, 20, 10, 0, tzinfo=JST))
    onboard()
    for sub, postal, birth in (
        ("a", SHINJUKU_POSTAL, "1990-04-01"),
        ("b", MATSUE_POSTAL, "2008-06-16"),
        ("c", CHIYODA_POSTAL, "1955-01-10"),
        ("d", MATSUE_POSTAL, "1970-01-01"),
        ("e", MATSUE_POSTAL, "1970-01-01"),
        ("f", MATSUE_POSTAL, "1980-06-20"),
    ):
        assert set_profile(sub, postal, birth_date=birth).status == 200
        assert register(sub, HIDA).status == 201
    assert register("a", SHINJUKU).status == 201
    assert register("a", TOKYO).status in (200, 201)
    deliver()  # May: a, b, c, d, e, f in Hida
    clock.freeze(datetime(2026, 6, 15, 10, 0, tzinfo=JST))
    assert call("DELETE", f"/v1/me/registrations/{HIDA}", claims=person("d")).status == 204
    set_status("e", HIDA, status="lapsed")
    set_status("f", HIDA, status="pending_review")
    set_status("c", HIDA, plan="premium", long_term_stayer=True, premium_valid_until="2027-06-14")
    participate("a", HIDA, "act_1", "2026-04-12")
    participate("b", HIDA, "act_1", "2026-04-12")
    participate("b", HIDA, "act_2", "2026-06-01")
    participate("c", MATSUE, "act_3", "2026-06-02")
    deliver()


@pytest.fixture
def fixture() -> None:
    build_fixture()


def test_statistics_match_the_hand_computed_fixture(fixture: None) -> None:
    # One test over one fixture: building it costs seconds against moto.
    check_a_government_counts_active_registrations_without_own_residence()
    check_own_residence_is_excluded_but_shown_apart()
    check_nationally_a_person_counts_once()
    check_statistics_are_staff_of_that_government_only()
    check_an_18th_birthday_moves_a_person_between_bands_without_a_write()


def check_a_government_counts_active_registrations_without_own_residence() -> None:
    hida = stats(HIDA)
    assert hida["lg_code"] == HIDA
    assert hida["as_of"].startswith("2026-06-15T10:00:00+09:00")
    assert hida["relationship_population"] == {"total": 3, "basic": 2, "premium": 1}
    assert hida["own_residence_excluded"] == 0
    assert hida["long_term_stayers"] == 1
    assert hida["by_age_band"] == {
        "0-17": 1,
        "18-29": 0,
        "30-39": 1,
        "40-49": 0,
        "50-59": 0,
        "60-69": 0,
        "70+": 1,
    }
    assert hida["by_residence_prefecture"] == {"13": 2, "32": 1}
    assert hida["participations_by_month"] == {"2026-04": 2, "2026-06": 1}
    # May: six registered; June: d withdrew, e lapsed, f pending, c premium.
    assert hida["history"] == [
        {"month": "2026-05", "total": 6, "basic": 6, "premium": 0},
        {"month": "2026-06", "total": 3, "basic": 2, "premium": 1},
    ]
    # The automatic prefecture registrations count for Gifu; d's was withdrawn with Hida's.
    gifu = stats(GIFU)
    assert gifu["relationship_population"] == {"total": 5, "basic": 5, "premium": 0}  # a, b, c, e, f
    assert stats(MATSUE)["participations_by_month"] == {"2026-06": 1}


def check_own_residence_is_excluded_but_shown_apart() -> None:
    for lg_code in (SHINJUKU, TOKYO):
        shinjuku = stats(lg_code)
        assert shinjuku["relationship_population"] == {"total": 0, "basic": 0, "premium": 0}
        assert shinjuku["own_residence_excluded"] == 1
        assert shinjuku["by_residence_prefecture"] == {}
        assert sum(shinjuku["by_age_band"].values()) == 0


def check_an_18th_birthday_moves_a_person_between_bands_without_a_write() -> None:
    assert stats(HIDA)["by_age_band"]["0-17"] == 1
    clock.freeze(datetime(2026, 6, 16, 0, 0, tzinfo=JST))
    bands = stats(HIDA)["by_age_band"]
    assert bands["0-17"] == 0 and bands["18-29"] == 1
    assert deliver().delivered == 0


def check_nationally_a_person_counts_once() -> None:
    body = national()
    # a (Hida, Gifu), b (Hida, Gifu), c (Hida, Gifu), e (Gifu), f (Gifu).
    assert body["people"] == 5
    assert body["registrations"] == 3 + 5
    assert body["by_plan"] == {"basic": 7, "premium": 1}
    assert body["governments_onboarded"] == 7
    assert body["as_of"].startswith("2026-06-15")


def test_withdrawing_everything_leaves_only_anonymous_counts(fixture: None) -> None:
    for lg_code in (HIDA, GIFU, SHINJUKU, TOKYO):
        call("DELETE", f"/v1/me/registrations/{lg_code}", claims=person("a"))
    deliver()
    assert national()["people"] == 4
    assert stats(HIDA)["by_residence_prefecture"] == {"13": 1, "32": 1}
    assert stats(SHINJUKU)["own_residence_excluded"] == 0
    from furusato.store.models import MainItem

    client = MainItem._get_connection().connection.client
    left = client.query(
        TableName=MainItem.Meta.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "STATC#a"}},
    )["Items"]
    assert left == []


def check_statistics_are_staff_of_that_government_only() -> None:
    assert call("GET", f"/v1/admin/lgs/{HIDA}/stats", claims=admin(GIFU)).status == 403
    assert call("GET", f"/v1/admin/lgs/{HIDA}/stats", claims=admin(HIDA, "org", "org_1")).status == 403
    assert call("GET", "/v1/operator/stats", claims=admin(HIDA)).status == 403
    assert call("GET", f"/v1/admin/lgs/{HIDA}/stats", claims=operator_claims()).status == 403


def test_only_a_change_of_what_statistics_read_recounts_the_person(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every person's first request of a day writes their last-seen day and moves their
    inactivity due key: those changes reach the consumer but recount nobody. A change of an
    attribute the statistics read (birth date, plan) still does, and the counters follow it."""
    from furusato.statistics import consumer
    from furusato.store.models import PersonItem

    recounted: list[str] = []
    real_recount = consumer.recount

    def counting(sub: str) -> int:
        recounted.append(sub)
        return real_recount(sub)

    monkeypatch.setattr(consumer, "recount", counting)
    clock.freeze(datetime(2026, 5, 20, 10, 0, tzinfo=JST))
    onboard()
    assert set_profile("a", SHINJUKU_POSTAL, birth_date="1990-04-01").status == 200
    assert register("a", HIDA).status == 201
    deliver()
    assert recounted and stats(HIDA)["relationship_population"]["total"] == 1
    before = PersonItem.get("P#a", "PROFILE", consistent_read=True)
    recounted.clear()

    clock.freeze(datetime(2026, 5, 21, 8, 0, tzinfo=JST))  # the next day's first request
    assert call("GET", "/v1/me", claims=person("a")).status == 200
    seen = PersonItem.get("P#a", "PROFILE", consistent_read=True)
    assert seen.last_seen == "2026-05-21" != before.last_seen
    assert deliver().delivered >= 1  # the profile's change reached the streams function
    set_status("a", HIDA, notice_sent_for="2027-05-20")  # a registration's bookkeeping only
    deliver()
    assert recounted == []

    assert set_profile("a", SHINJUKU_POSTAL, birth_date="2010-04-01").status == 200
    deliver()
    assert recounted == ["a"]
    assert stats(HIDA)["by_age_band"]["0-17"] == 1
    set_status("a", HIDA, plan="premium", premium_valid_until="2027-05-20")
    deliver()
    assert recounted == ["a", "a"]
    assert stats(HIDA)["relationship_population"] == {"total": 1, "basic": 0, "premium": 1}
