"""Route-level access from the topology, checked before the request is even parsed.

Each declared route names its audience (public, registrant, staff, operator). Checking it here,
ahead of body validation, means a caller outside the audience learns nothing about the route
(not even its body shape), and a staff route's `{lg_code}` must be the caller's own government.
Viewers only read, so every staff write route refuses them here (a POST that only reads, such as
starting a roster export, is marked `reads` in the topology). The staff roles a route admits
are checked before its body too (`endpoint(roles=...)`); finer checks (organization staff) stay
in the routes.

A staff token alone is not enough: its account must still exist as the token describes it. One
consistent GetItem per staff request (no cache, so a removal takes effect on the very next
request in every container); staff requests are few next to registrants', whose routes pay
nothing."""

from __future__ import annotations

import json
from typing import Any

from furusato import topology
from furusato.api.auth import Principal, principal_from_claims
from furusato.domain.errors import DomainError, Forbidden, Unauthenticated


def _routes(function_name: str) -> dict[tuple[str, str], topology.Route]:
    return {(r.method, r.path): r for r in topology.function(function_name).routes}


def _refuse(error: DomainError) -> dict[str, Any]:
    body = {"error": {"code": error.code, "message": error.message, "details": error.details}}
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, ensure_ascii=False),
        "isBase64Encoded": False,
    }


def require_current_staff(who: Principal) -> None:
    """The staff record behind the token: active, same government, same role and organization."""
    from furusato.store import staff

    member = staff.get(who.sub)
    if member is None or not member.grants(lg_code=who.lg_code, staff_role=who.staff_role, org_id=who.org_id):
        raise Unauthenticated("this staff account is not active")


class RouteGuard:
    def __init__(self, function_name: str):
        self.routes = _routes(function_name)

    def check(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """None when the caller may proceed; otherwise the error response to return."""
        route = self.routes.get((event.get("httpMethod", ""), event.get("resource", "")))
        if route is None or route.auth == "public":
            return None  # unknown routes get the resolver's 404
        claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims")
        try:
            who = principal_from_claims(claims)
            if who.role != route.auth:
                raise Forbidden(f"this route is for {route.auth}s")
            if route.auth == "staff":
                lg_code = (event.get("pathParameters") or {}).get("lg_code")
                if lg_code != who.lg_code:
                    raise Forbidden("not staff of this local government")
                require_current_staff(who)
                # Viewers read (the domain's roles): no write route is theirs, whatever its body.
                if route.method != "GET" and not route.reads and who.staff_role == "viewer":
                    raise Forbidden("viewers may only read")
        except DomainError as error:
            return _refuse(error)
        return None
