"""Staff accounts in the main table (`StaffItem`, docs/data-model.md).

Access patterns:
- the route guard: GetItem pk=STAFF#{staff_id}, sk=STAFF (consistent), once per staff request
- create (after the user pool created the user): PutItem attribute_not_exists(pk)
- staff of a government: Query gsi1 gsi1pk=LG#{lg_code}#STAFF, oldest first
- remove: UpdateItem status=removed, condition the account belongs to the government
"""

from __future__ import annotations

from furusato.domain.errors import Conflict, NotFound
from furusato.domain.staff import StaffMember
from furusato.store import cursor as cursors
from furusato.store.errors import find, put_unless_exists, storage_errors
from furusato.store.models import StaffItem

SK = "STAFF"


def key(staff_id: str) -> tuple[str, str]:
    return f"STAFF#{staff_id}", SK


def lg_staff_pk(lg_code: str) -> str:
    return f"LG#{lg_code}#STAFF"


def _member(item: StaffItem) -> StaffMember:
    return StaffMember(
        staff_id=item.staff_id,
        lg_code=item.lg_code,
        staff_role=item.staff_role,
        org_id=item.org_id,
        email=item.email,
        status=item.status,
        created_at=item.created_at,
        created_by=item.created_by,
        removed_at=item.removed_at,
        removed_by=item.removed_by,
    )


def _item(member: StaffMember) -> StaffItem:
    pk, sk = key(member.staff_id)
    item = StaffItem(
        pk,
        sk,
        staff_id=member.staff_id,
        lg_code=member.lg_code,
        staff_role=member.staff_role,
        org_id=member.org_id,
        email=member.email,
        status=member.status,
        created_at=member.created_at,
        created_by=member.created_by,
        removed_at=member.removed_at,
        removed_by=member.removed_by,
    )
    if member.active:
        item.gsi1pk = lg_staff_pk(member.lg_code)
        item.gsi1sk = f"{member.created_at}#{member.staff_id}"
    return item


def get(staff_id: str) -> StaffMember | None:
    pk, sk = key(staff_id)
    item = find(StaffItem, pk, sk)
    return _member(item) if item else None


def create(member: StaffMember) -> StaffMember:
    """Write a new account; an account already recorded under this id is returned unchanged
    (the caller compares: a removed or different account is never revived or changed)."""
    with storage_errors():
        existing = put_unless_exists(_item(member))
    if existing is None:
        return member
    stored = get(member.staff_id)
    if stored is None:  # removed between the two calls: nothing to revive
        raise Conflict("this staff account cannot be recreated", code="STAFF_ALREADY_EXISTS")
    return stored


def list_for_lg(lg_code: str, *, limit: int, cursor: str | None) -> tuple[list[StaffMember], str | None]:
    found, next_cursor = cursors.page(
        StaffItem.gsi1.query, ("gsi1pk", lg_staff_pk(lg_code)), cursor=cursor, limit=limit
    )
    return [_member(item) for item in found if isinstance(item, StaffItem)], next_cursor


def save_removed(member: StaffMember) -> None:
    """Record the removal (status, who, when) and take the account out of its government's list."""
    pk, sk = key(member.staff_id)
    with storage_errors():
        StaffItem(pk, sk).update(
            actions=[
                StaffItem.status.set("removed"),
                StaffItem.removed_at.set(member.removed_at or ""),
                StaffItem.removed_by.set(member.removed_by or ""),
                StaffItem.gsi1pk.remove(),
                StaffItem.gsi1sk.remove(),
            ],
            condition=StaffItem.lg_code == member.lg_code,
        )


def require_of(lg_code: str, staff_id: str) -> StaffMember:
    member = get(staff_id)
    if member is None or member.lg_code != lg_code or not member.active:
        raise NotFound("staff member not found")
    return member
