"""The rebuild and the incremental counters agree after any sequence of changes (hypothesis).

Changes are written straight to the table (any state a registration can reach, in any order),
delivered through the stream at random points, sometimes replayed from the start of the stream
(every change delivered again); at the end the rebuild, computing every counter from the
records, finds nothing to correct.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from furusato import clock, topology
from furusato.clock import JST
from furusato.statistics import for_lg, national
from furusato.statistics.rebuild import rebuild
from furusato.store.models import LgItem, MainItem, ParticipationItem, PersonItem, RegistrationItem
from infra.local import aws
from infra.local.streams import StreamDelivery
from tests.support import streams

SUBS = ("s0", "s1", "s2")
LGS = ("212172", "210005", "131041", "322016")
BIRTHS = ("2008-06-15", "2008-06-16", "1996-06-01", "1956-12-31", "1990-02-28", None)
RESIDENCES = ("131041", "322016", "212172", None)

profile = st.tuples(
    st.just("profile"), st.sampled_from(SUBS), st.sampled_from(BIRTHS), st.sampled_from(RESIDENCES)
)
registration = st.tuples(
    st.just("register"),
    st.sampled_from(SUBS),
    st.sampled_from(LGS),
    st.sampled_from(("basic", "premium")),
    st.sampled_from(("active", "active", "withdrawn", "lapsed", "pending_review")),
    st.booleans(),  # own residence
    st.booleans(),  # long-term stayer
)
unregister = st.tuples(st.just("unregister"), st.sampled_from(SUBS), st.sampled_from(LGS))
participation = st.tuples(
    st.just("participate"),
    st.sampled_from(SUBS),
    st.sampled_from(LGS),
    st.sampled_from(("a1", "a2")),
    st.sampled_from(("2026-04-10", "2026-05-20")),
)
unparticipate = st.tuples(st.just("unparticipate"), st.sampled_from(SUBS), st.sampled_from(("a1", "a2")))
forget = st.tuples(st.just("forget"), st.sampled_from(SUBS))
operations = st.lists(
    st.one_of(
        profile,
        registration,
        registration,
        unregister,
        participation,
        unparticipate,
        forget,
        st.just(("deliver",)),
        st.just(("replay",)),
    ),
    min_size=1,
    max_size=14,
)


def _apply(op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind == "profile":
        _, sub, birth, residence = op
        PersonItem(
            f"P#{sub}", "PROFILE", birth_date=birth, residence_lg_code=residence, created_at="x"
        ).save()
    elif kind == "register":
        _, sub, lg_code, plan, status, own, long_stay = op
        RegistrationItem(
            f"P#{sub}",
            f"REG#{lg_code}",
            registration_id=f"reg_{sub}_{lg_code}",
            lg_code=lg_code,
            plan=plan,
            status=status,
            own_residence=own,
            long_term_stayer=long_stay,
            registered_at="2026-04-01T00:00:00+09:00",
            updated_at="2026-04-01T00:00:00+09:00",
        ).save()
    elif kind == "unregister":
        _, sub, lg_code = op
        RegistrationItem(f"P#{sub}", f"REG#{lg_code}").delete()
    elif kind == "participate":
        _, sub, lg_code, activity, day = op
        ParticipationItem(
            f"P#{sub}",
            f"PART#{activity}",
            participation_id=f"par_{sub}_{activity}",
            sub=sub,
            activity_id=activity,
            lg_code=lg_code,
            activity_name="草刈り",
            activity_starts_at=f"{day}T09:00:00+09:00",
            activity_ends_at=f"{day}T12:00:00+09:00",
            place="x",
            day=day,
            source="qr",
            checkin_mode="static_qr",
            checked_in_at=f"{day}T09:00:00+09:00",
            recorded_at=f"{day}T09:00:00+09:00",
        ).save()
    elif kind == "unparticipate":
        _, sub, activity = op
        ParticipationItem(f"P#{sub}", f"PART#{activity}").delete()
    elif kind == "forget":
        for item in MainItem.query(f"P#{op[1]}"):
            item.delete()
    elif kind == "deliver":
        streams.deliver()
    elif kind == "replay":
        # Every change since the table was created, delivered again.
        tables = {t.env_var: os.environ[t.env_var] for t in topology.TABLES}
        StreamDelivery(os.environ["AWS_ENDPOINT_URL"], tables, streams._invoke).drain()


def views() -> list[dict[str, Any]]:
    return [for_lg(lg_code) for lg_code in LGS] + [national()]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
def test_rebuild_equals_incremental_after_any_sequence(ops: list[tuple[Any, ...]]) -> None:
    aws.reset_data(os.environ["AWS_ENDPOINT_URL"])
    clock.freeze(datetime(2026, 6, 15, 12, 0, tzinfo=JST))
    for lg_code in LGS:
        LgItem(
            f"LG#{lg_code}",
            "LG",
            lg_code=lg_code,
            name=lg_code,
            kind="municipality",
            prefecture_code=lg_code[:2],
            onboarded_at="2026-04-01T00:00:00+09:00",
        ).save()
    for op in ops:
        _apply(op)
    streams.deliver()
    incremental = views()
    report = rebuild(dry_run=True)
    assert report.as_dict() == {"counters_corrected": 0, "corrections": {}, "contributions_rewritten": 0}
    rebuild()
    assert views() == incremental
    assert national()["governments_onboarded"] == len(LGS)


def test_rebuild_corrects_counters_that_drifted() -> None:
    clock.freeze(datetime(2026, 6, 15, 12, 0, tzinfo=JST))
    _apply(("profile", "s0", "1990-02-28", "131041"))
    _apply(("register", "s0", "212172", "basic", "active", False, False))
    _apply(("profile", "s1", "2008-06-16", "322016"))
    _apply(("register", "s1", "212172", "premium", "active", False, True))
    streams.deliver()
    good = for_lg("212172")
    # Counters lost or damaged (a change that went to the failure queue, a bad hand edit).
    client = MainItem._get_connection().connection.client
    table = MainItem.Meta.table_name
    for shard in range(8):
        client.delete_item(
            TableName=table, Key={"pk": {"S": f"STAT#212172#{shard}"}, "sk": {"S": "DAYS#2008"}}
        )
        client.delete_item(TableName=table, Key={"pk": {"S": f"STAT#212172#{shard}"}, "sk": {"S": "TOTALS"}})
    client.delete_item(TableName=table, Key={"pk": {"S": "STATC#s0"}, "sk": {"S": "LG#212172"}})
    assert for_lg("212172")["relationship_population"]["total"] == 0
    report = rebuild()
    assert report.counters_corrected == 2 and report.contributions_rewritten == 1
    fixed = for_lg("212172")
    assert {**fixed, "history": None} == {**good, "history": None}
    assert fixed["relationship_population"] == {"total": 2, "basic": 1, "premium": 1}
    assert fixed["by_age_band"]["0-17"] == 1
    # The lost history is booked in the current month.
    assert fixed["history"] == [{"month": "2026-06", "total": 2, "basic": 1, "premium": 1}]
    # Later changes apply on top of the rebuilt counters.
    _apply(("register", "s0", "212172", "basic", "withdrawn", False, False))
    streams.deliver()
    assert for_lg("212172")["relationship_population"] == {"total": 1, "basic": 0, "premium": 1}
    assert rebuild(dry_run=True).counters_corrected == 0


def test_a_recount_that_read_stale_contributions_cannot_apply() -> None:
    """Two recounts of one person at once (two stream shards): the one that read the older
    version fails its condition, and its redelivery recounts from the winner's state."""
    from botocore.exceptions import ClientError

    from furusato.domain import statistics as rules
    from furusato.statistics.consumer import recount
    from furusato.store import statistics as store

    clock.freeze(datetime(2026, 6, 15, 12, 0, tzinfo=JST))
    _apply(("profile", "s0", "1990-02-28", "131041"))
    _apply(("register", "s0", "212172", "basic", "active", False, False))
    stale = store.load_contributions("s0")  # nothing counted yet
    assert recount("s0") == 1  # the winner
    new = rules.Contribution("basic", False, False, "1990-02-28", "13")
    try:
        store.commit_change(
            "s0", "212172", stale, new, person_remains=True, totals={"plan:basic": 1}, days={}, national={}
        )
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "TransactionCanceledException"
    else:
        raise AssertionError("a stale recount applied")
    assert recount("s0") == 0  # redelivered: nothing left to apply
    assert for_lg("212172")["relationship_population"]["total"] == 1
    streams.deliver()  # the changes themselves (and the month's history) arrive later
    assert for_lg("212172")["relationship_population"]["total"] == 1
    assert rebuild(dry_run=True).counters_corrected == 0
