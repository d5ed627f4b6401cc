"""Organizations and activities of a government in the main table.

Access patterns:
- one organization: GetItem pk=LG#{lg_code}, sk=ORG#{org_id}
- organizations of a government: Query pk=LG#{lg_code}, sk begins_with ORG#
- one activity: GetItem pk=LG#{lg_code}, sk=ACT#{activity_id}; with its participant count
  (staff reads): one BatchGetItem of that key and the count's shards (store.counters)
- a change of an activity: that BatchGetItem, consistent, with the organization of organization
  staff; then UpdateItem on condition that the attributes written are still as read (or
  TransactWriteItems of it and a ConditionCheck of the organization's designation)
- activity + its government for a check-in: one BatchGetItem of both keys, projected, kept per
  container for CHECKIN_CACHE_TTL_S (a rush of check-ins to one activity reads it once per
  container and interval, not once per scan: no hot read key; see docs/checkin.md)
- activities of a government by start time: Query gsi1 gsi1pk=LG#{lg_code}#ACT,
  gsi1sk between {from} and {to} ({starts_at ISO JST}#{activity_id}); an organization's are the
  same Query with a filter on organization_id
- failed scans of an activity: UpdateItem SET scan_failures.{code} += 1 (failure paths only)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from furusato.domain.activity import Activity, AllDesignated, Organization
from furusato.domain.errors import Conflict, NotFound
from furusato.domain.lg import LocalGovernment
from furusato.store import counters, lgs
from furusato.store import cursor as cursors
from furusato.store.errors import cancellation_reasons, find, is_condition_failure, storage_errors
from furusato.store.keys import lg_pk
from furusato.store.models import ActivityItem, LgItem, MainItem, OrganizationItem


def org_sk(org_id: str) -> str:
    return f"ORG#{org_id}"


def activity_sk(activity_id: str) -> str:
    return f"ACT#{activity_id}"


def activities_by_time_pk(lg_code: str) -> str:
    return f"LG#{lg_code}#ACT"


def _by_time_sk(activity: Activity) -> str:
    return f"{activity.starts_at.isoformat()}#{activity.activity_id}"


# --- organizations -----------------------------------------------------------------------


def _org(item: OrganizationItem) -> Organization:
    return Organization(
        org_id=item.org_id,
        lg_code=item.lg_code,
        name=item.name,
        kind=item.kind,  # type: ignore[arg-type]
        designation=item.designation,  # type: ignore[arg-type]
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _org_item(org: Organization) -> OrganizationItem:
    return OrganizationItem(
        lg_pk(org.lg_code),
        org_sk(org.org_id),
        org_id=org.org_id,
        lg_code=org.lg_code,
        name=org.name,
        kind=org.kind,
        designation=org.designation,
        created_at=org.created_at,
        updated_at=org.updated_at,
    )


def create_organization(org: Organization) -> None:
    with storage_errors():
        _org_item(org).save(condition=OrganizationItem.pk.does_not_exist())


def save_organization(org: Organization) -> None:
    with storage_errors():
        try:
            _org_item(org).save(condition=OrganizationItem.pk.exists())
        except PutError as exc:
            if is_condition_failure(exc):
                raise NotFound("organization not found") from exc
            raise


def get_organization(lg_code: str, org_id: str) -> Organization | None:
    item = find(OrganizationItem, lg_pk(lg_code), org_sk(org_id), consistent_read=False)
    return _org(item) if item else None


def list_organizations(
    lg_code: str, *, limit: int, cursor: str | None
) -> tuple[list[Organization], str | None]:
    found, next_cursor = cursors.page(
        OrganizationItem.query,
        ("pk", lg_pk(lg_code)),
        cursor=cursor,
        limit=limit,
        range_key_condition=OrganizationItem.sk.startswith("ORG#"),
    )
    return [_org(item) for item in found if isinstance(item, OrganizationItem)], next_cursor


# --- activities --------------------------------------------------------------------------


def to_activity(item: ActivityItem) -> Activity:
    failures = item.scan_failures.as_dict() if item.scan_failures is not None else {}
    return Activity(
        activity_id=item.activity_id,
        lg_code=item.lg_code,
        name=item.name,
        starts_at=datetime.fromisoformat(item.starts_at),
        ends_at=datetime.fromisoformat(item.ends_at),
        place=item.place,
        conditions=item.conditions,
        capacity=int(item.capacity) if item.capacity is not None else None,
        organization_id=item.organization_id,
        designated=item.designated,
        checkin_mode=item.checkin_mode,  # type: ignore[arg-type]
        status=item.status,  # type: ignore[arg-type]
        created_at=item.created_at,
        updated_at=item.updated_at,
        cancelled_at=item.cancelled_at,
        cancel_reason=item.cancel_reason,
        scan_failures={str(k): int(v) for k, v in failures.items()},
    )


def activity_item(
    activity: Activity, *, created_by: str, model: type[ActivityItem] = ActivityItem, **extra: Any
) -> ActivityItem:
    """The stored form of a new activity (planned, or `model=BackfillActivityItem` from a file)."""
    return model(
        lg_pk(activity.lg_code),
        activity_sk(activity.activity_id),
        gsi1pk=activities_by_time_pk(activity.lg_code),
        gsi1sk=_by_time_sk(activity),
        activity_id=activity.activity_id,
        lg_code=activity.lg_code,
        name=activity.name,
        starts_at=activity.starts_at.isoformat(),
        ends_at=activity.ends_at.isoformat(),
        place=activity.place,
        conditions=activity.conditions,
        capacity=activity.capacity,
        organization_id=activity.organization_id,
        designated=activity.designated,
        checkin_mode=activity.checkin_mode,
        status=activity.status,
        created_at=activity.created_at,
        updated_at=activity.updated_at,
        created_by=created_by,
        scan_failures={},
        **extra,
    )


def create_activity(activity: Activity, *, created_by: str) -> None:
    item = activity_item(activity, created_by=created_by)
    with storage_errors():
        item.save(condition=ActivityItem.pk.does_not_exist())


def _written(activity: Activity) -> list[tuple[Any, Any]]:
    """The changeable attributes and their values (None: absent). Not the failure counters,
    which scans add to meanwhile."""
    a = ActivityItem
    return [
        (a.gsi1sk, _by_time_sk(activity)),
        (a.name, activity.name),
        (a.starts_at, activity.starts_at.isoformat()),
        (a.ends_at, activity.ends_at.isoformat()),
        (a.place, activity.place),
        (a.designated, activity.designated),
        (a.checkin_mode, activity.checkin_mode),
        (a.status, activity.status),
        (a.updated_at, activity.updated_at),
        (a.conditions, activity.conditions),
        (a.cancelled_at, activity.cancelled_at),
        (a.cancel_reason, activity.cancel_reason),
        (a.capacity, activity.capacity),
    ]


def _concurrent() -> Conflict:
    return Conflict("the activity changed at the same time; read it again", code="CONCURRENT_UPDATE")


def update_activity(activity: Activity, *, seen: Activity, unless_all_activities: bool = False) -> None:
    """Write the changeable fields on condition that they are still as `seen` (read consistently
    by the caller): a change made meanwhile, such as a cancellation, is never overwritten
    (409 CONCURRENT_UPDATE; `updated_at` alone has one-second steps). The failure counters
    written meanwhile are kept.

    `unless_all_activities`: the activity's organization must not designate all its activities,
    checked in the same call (a ConditionCheck of the organization in one TransactWriteItems), for
    a writer that did not read the organization."""
    actions = [attr.remove() if value is None else attr.set(value) for attr, value in _written(activity)]
    unchanged = ActivityItem.pk.exists()
    for attr, value in _written(seen):
        unchanged &= attr.does_not_exist() if value is None else attr == value
    item = ActivityItem(lg_pk(activity.lg_code), activity_sk(activity.activity_id))
    forget_checkin_copy(activity.lg_code, activity.activity_id)
    with storage_errors():
        if not (unless_all_activities and activity.organization_id):
            try:
                item.update(actions=actions, condition=unchanged)
            except UpdateError as exc:
                if is_condition_failure(exc):
                    raise _concurrent() from exc
                raise
            return
        try:
            with TransactWrite(connection=MainItem._get_connection().connection) as tx:
                tx.condition_check(
                    OrganizationItem,
                    lg_pk(activity.lg_code),
                    org_sk(activity.organization_id),
                    condition=OrganizationItem.designation != "all_activities",
                )
                tx.update(item, actions=actions, condition=unchanged)
        except TransactWriteError as exc:
            if not is_condition_failure(exc):
                raise
            # pynamodb sends condition checks first: the organization's is reason 0.
            if cancellation_reasons(exc)[:1] == ["ConditionalCheckFailed"]:
                raise AllDesignated() from exc
            raise _concurrent() from exc


def designate(lg_code: str, activity_id: str, *, now: str) -> None:
    """Designate an activity (its organization now designates all of its activities): only
    these two attributes, so an edit made meanwhile is kept."""
    a = ActivityItem
    forget_checkin_copy(lg_code, activity_id)
    with storage_errors():
        try:
            a(lg_pk(lg_code), activity_sk(activity_id)).update(
                actions=[a.designated.set(True), a.updated_at.set(now)], condition=a.pk.exists()
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise


def _with_count(
    lg_code: str, activity_id: str, *, also: list[tuple[str, str]], consistent: bool
) -> tuple[Activity | None, int, list[Any]]:
    """The activity, its participant count and the items of `also` in one BatchGetItem (the
    activity item, the counter's shards and those: the same items whatever the roster's size)."""
    activity: Activity | None = None
    found: list[Any] = []
    keys = [(lg_pk(lg_code), activity_sk(activity_id)), *counters.keys(activity_id), *also]
    with storage_errors():
        for item in MainItem.batch_get(keys, consistent_read=consistent):
            if isinstance(item, ActivityItem):
                activity = to_activity(item)
            else:
                found.append(item)
    return activity, counters.total(found, activity_id), found


def get_with_count(lg_code: str, activity_id: str) -> tuple[Activity | None, int]:
    """The activity and its participant count in one BatchGetItem."""
    activity, count, _ = _with_count(lg_code, activity_id, also=[], consistent=False)
    return activity, count


def get_for_change(
    lg_code: str, activity_id: str, organization_id: str | None
) -> tuple[Activity | None, int, Organization | None]:
    """The activity with its count, and the organization `organization_id` when one is given,
    in one consistent BatchGetItem: the change is conditioned on what it read being the latest."""
    also = [(lg_pk(lg_code), org_sk(organization_id))] if organization_id else []
    activity, count, found = _with_count(lg_code, activity_id, also=also, consistent=True)
    org = next((_org(item) for item in found if isinstance(item, OrganizationItem)), None)
    return activity, count, org


def get_activity(lg_code: str, activity_id: str, *, consistent: bool = False) -> Activity | None:
    item = find(ActivityItem, lg_pk(lg_code), activity_sk(activity_id), consistent_read=consistent)
    return to_activity(item) if item else None


# What a check-in reads of the activity and its government: not the introduction page, the survey
# or the failure counters (the page alone may be 20 KB).
_CHECKIN_ATTRIBUTES = [
    "pk", "sk", "type", "activity_id", "lg_code", "name", "starts_at", "ends_at", "place", "conditions",
    "capacity", "organization_id", "designated", "checkin_mode", "status", "created_at", "updated_at",
    "kind", "prefecture_code", "settings",
]  # fmt: skip


# How long a container may use an activity definition it read for check-ins. A change made by
# another container (a cancellation, a new designation) applies to this one's scans within it.
CHECKIN_CACHE_TTL_S = 3.0
_CACHE_MAX = 2048
_cache: dict[tuple[str, str], tuple[float, Activity | None, LocalGovernment | None]] = {}
_cache_lock = threading.Lock()


def get_for_checkin(lg_code: str, activity_id: str) -> tuple[Activity | None, LocalGovernment | None]:
    """The activity and its government for a check-in: round trip 1, or none while this
    container's copy is younger than CHECKIN_CACHE_TTL_S."""
    key = (lg_code, activity_id)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and now - hit[0] < CHECKIN_CACHE_TTL_S:
        return hit[1], hit[2]
    activity, lg = _read_for_checkin(lg_code, activity_id)
    with _cache_lock:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[key] = (now, activity, lg)
    return activity, lg


def forget_checkin_copy(lg_code: str, activity_id: str) -> None:
    """This container changed the activity: its next check-in reads it again."""
    with _cache_lock:
        _cache.pop((lg_code, activity_id), None)


def _read_for_checkin(lg_code: str, activity_id: str) -> tuple[Activity | None, LocalGovernment | None]:
    """The activity and its government in one projected BatchGetItem."""
    activity: Activity | None = None
    lg: LocalGovernment | None = None
    keys = [(lg_pk(lg_code), activity_sk(activity_id)), lgs.key(lg_code)]
    with storage_errors():
        for item in MainItem.batch_get(keys, attributes_to_get=_CHECKIN_ATTRIBUTES):
            if isinstance(item, ActivityItem):
                activity = to_activity(item)
            elif isinstance(item, LgItem):
                lg = lgs.to_domain(item)
    return activity, lg


def list_activities(
    lg_code: str,
    *,
    from_day: date | None,
    to_day: date | None,
    organization_id: str | None,
    scheduled_only: bool,
    limit: int,
    cursor: str | None,
) -> tuple[list[Activity], str | None]:
    low = from_day.isoformat() if from_day else "0"
    high = f"{to_day.isoformat()}~" if to_day else "~"
    filters: list[Any] = []
    if organization_id is not None:
        filters.append(ActivityItem.organization_id == organization_id)
    if scheduled_only:
        filters.append(ActivityItem.status == "scheduled")
    found, next_cursor = cursors.page(
        ActivityItem.gsi1.query,
        ("gsi1pk", activities_by_time_pk(lg_code)),
        cursor=cursor,
        limit=limit,
        range_key_condition=ActivityItem.gsi1sk.between(low, high),
        filter_condition=cursors.all_of(filters),
    )
    return [to_activity(item) for item in found if isinstance(item, ActivityItem)], next_cursor


def all_of_organization(lg_code: str, organization_id: str) -> Iterator[Activity]:
    with storage_errors():
        for item in ActivityItem.gsi1.query(
            activities_by_time_pk(lg_code), filter_condition=ActivityItem.organization_id == organization_id
        ):
            if isinstance(item, ActivityItem):
                yield to_activity(item)


def add_scan_failure(lg_code: str, activity_id: str, reason: str) -> None:
    """Count a failed scan on the activity; never creates an activity that does not exist."""
    counter = ActivityItem.scan_failures[reason]
    with storage_errors():
        try:
            ActivityItem(lg_pk(lg_code), activity_sk(activity_id)).update(
                actions=[counter.set((counter | 0) + 1)], condition=ActivityItem.pk.exists()
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
