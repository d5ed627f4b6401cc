"""Staff accounts of a local government: who may create, remove and hold which role.

Roles never change in place: a different role is a new account. A government's admin invites
coordinators, viewers and organization staff; only the operator creates an admin. Nobody acts
on their own account, so nobody raises their own role or moves to another government.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from furusato.domain.errors import Conflict, Forbidden

ADMIN_INVITES = ("coordinator", "viewer", "org")
OPERATOR_CREATES = ("admin", "coordinator", "viewer")


@dataclass(frozen=True)
class StaffMember:
    staff_id: str  # the staff user pool's `sub`
    lg_code: str
    staff_role: str
    email: str | None
    created_at: str
    created_by: str
    org_id: str | None = None
    status: str = "active"  # active | removed
    removed_at: str | None = None
    removed_by: str | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    def grants(self, *, lg_code: str | None, staff_role: str | None, org_id: str | None) -> bool:
        """Whether a token's claims still describe this account as it is now."""
        return (
            self.active
            and self.lg_code == lg_code
            and self.staff_role == staff_role
            and (self.org_id or None) == (org_id or None)
        )

    def removed(self, *, by: str, at: str) -> StaffMember:
        return replace(self, status="removed", removed_at=at, removed_by=by)


def check_invite(staff_role: str) -> None:
    """A government's admin invites the roles below admin; an admin comes only from the operator."""
    if staff_role not in ADMIN_INVITES:
        raise Forbidden("only the operator creates an admin", details={"staff_role": staff_role})


def check_removal(actor_sub: str, member: StaffMember) -> None:
    if member.staff_id == actor_sub:
        # An admin removing themselves could leave the government without one.
        raise Conflict("staff cannot remove their own account", code="OWN_ACCOUNT")
