"""The caller, from the claims the API Gateway Cognito authorizer (or the local stack) passes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from furusato.domain.errors import Forbidden, Unauthenticated

Role = Literal["registrant", "staff", "operator"]
STAFF_ROLES = frozenset({"admin", "coordinator", "viewer", "org"})


class HasEvent(Protocol):
    """A Powertools resolver or router: anything that holds the current event."""

    current_event: Any


@dataclass(frozen=True)
class Principal:
    sub: str
    role: Role
    lg_code: str | None = None
    staff_role: str | None = None
    org_id: str | None = None


def _groups(raw: Any) -> set[str]:
    # REST API authorizers pass cognito:groups as a string ("operator" or "[a b]"); be lenient.
    if isinstance(raw, list):
        return {str(g) for g in raw}
    if isinstance(raw, str):
        return {g for g in raw.strip("[]").replace(",", " ").split() if g}
    return set()


def principal_from_claims(claims: dict[str, Any] | None) -> Principal:
    """Registrant-pool tokens carry no staff attributes; staff-pool tokens carry lg_code and
    staff_role as custom attributes users cannot write; operators are staff-pool users in the
    `operator` group."""
    if not claims or not claims.get("sub"):
        raise Unauthenticated("authentication required")
    sub = str(claims["sub"])
    if "operator" in _groups(claims.get("cognito:groups")):
        return Principal(sub=sub, role="operator")
    staff_role = claims.get("custom:staff_role")
    if staff_role:
        if staff_role not in STAFF_ROLES or not claims.get("custom:lg_code"):
            raise Unauthenticated("incomplete staff claims")
        return Principal(
            sub=sub,
            role="staff",
            lg_code=str(claims["custom:lg_code"]),
            staff_role=str(staff_role),
            org_id=str(claims["custom:org_id"]) if claims.get("custom:org_id") else None,
        )
    return Principal(sub=sub, role="registrant")


def current(app: HasEvent) -> Principal:
    context = app.current_event.raw_event.get("requestContext") or {}
    return principal_from_claims((context.get("authorizer") or {}).get("claims"))


def registrant(app: HasEvent) -> Principal:
    who = current(app)
    if who.role != "registrant":
        raise Forbidden("registrants only")
    return who


def operator(app: HasEvent) -> Principal:
    who = current(app)
    if who.role != "operator":
        raise Forbidden("operators only")
    return who


def staff(app: HasEvent, lg_code: str, roles: frozenset[str] = STAFF_ROLES) -> Principal:
    """Staff of exactly this government with one of `roles`; anyone else is refused."""
    who = current(app)
    if who.role != "staff" or who.lg_code != lg_code:
        raise Forbidden("not staff of this local government")
    if who.staff_role not in roles:
        raise Forbidden(f"needs one of: {', '.join(sorted(roles))}")
    return who


ADMIN = frozenset({"admin"})
READERS = frozenset({"admin", "coordinator", "viewer"})
