"""Onboarding (rule 1): a government joins when the operator onboards it and issues its first
admin; its admin then manages its own staff accounts."""

from __future__ import annotations

from typing import Any

from furusato import clock
from furusato.domain.errors import NotFound, invalid_field
from furusato.domain.lg import LocalGovernment, check_onboarding
from furusato.domain.lg_code import is_valid_lg_code
from furusato.domain.staff import StaffMember, check_invite, check_removal
from furusato.store import accounts, lgs, staff
from furusato.views.government import onboarded_view
from furusato.views.staff import staff_member_view


def onboard(*, lg_code: str, name: str, kind: Any, prefecture_code: str) -> dict[str, Any]:
    check_onboarding(lg_code, kind, prefecture_code)
    lg = LocalGovernment(
        lg_code=lg_code,
        name=name.strip(),
        kind=kind,
        prefecture_code=prefecture_code,
        onboarded_at=clock.iso(clock.now()),
    )
    lgs.onboard(lg)
    return onboarded_view(lg)


def list_onboarded(*, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = lgs.list_directory(
        prefecture_code=None, kind=None, q=None, limit=limit, cursor=cursor
    )
    return [onboarded_view(lg) for lg in items], next_cursor


def create_staff(
    lg_code: str, email: str, staff_role: str, *, created_by: str, org_id: str | None = None
) -> dict[str, Any]:
    """Create the staff user in the staff pool (Cognito e-mails the temporary password) with its
    government and role as immutable attributes, then the staff record the route guard checks.
    The operator creates any role; a government's admin only those `domain.staff` allows."""
    if not is_valid_lg_code(lg_code):
        raise invalid_field("lg_code", "6 digits with a valid check digit")
    lgs.require(lg_code)
    staff_id = accounts.create_staff_user(email=email, lg_code=lg_code, staff_role=staff_role, org_id=org_id)
    member = StaffMember(
        staff_id=staff_id,
        lg_code=lg_code,
        staff_role=staff_role,
        org_id=org_id,
        email=email,
        created_at=clock.iso(clock.now()),
        created_by=created_by,
    )
    return staff_member_view(staff.create(member))


def invite(
    lg_code: str, email: str, staff_role: str, org_id: str | None, *, invited_by: str
) -> dict[str, Any]:
    """A government's admin invites staff: the roles below admin, organization staff with an
    organization of this government and nobody else with one."""
    check_invite(staff_role)
    if staff_role == "org":
        if org_id is None:
            raise invalid_field("org_id", "required for staff_role org")
        from furusato.store import activities  # only an organization's staff: kept off the cold start

        if activities.get_organization(lg_code, org_id) is None:
            raise invalid_field("org_id", "not an organization of this government")
    elif org_id is not None:
        raise invalid_field("org_id", "only for staff_role org")
    return create_staff(lg_code, email, staff_role, created_by=invited_by, org_id=org_id)


def remove_staff(lg_code: str, staff_id: str, *, removed_by: str) -> None:
    """Access ends at once (the route guard reads the record), then the user is deleted from the
    pool so nobody signs in with it again. A retry after a failed pool call finishes the job."""
    member = staff.get(staff_id)
    if member is None or member.lg_code != lg_code:
        raise NotFound("staff member not found")
    check_removal(removed_by, member)
    if member.active:
        staff.save_removed(member.removed(by=removed_by, at=clock.iso(clock.now())))
    accounts.delete_staff_user(member.email or member.staff_id)


def list_staff(lg_code: str, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    members, next_cursor = staff.list_for_lg(lg_code, limit=limit, cursor=cursor)
    return [staff_member_view(m) for m in members], next_cursor
