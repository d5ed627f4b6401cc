"""The local stack's own routes (`topology.LOCAL_ROUTES`, under `/local/`): tokens from the
stand-in user pools, the business clock, identity assertions, sweeps and stream delivery on
demand. They exist only locally; the gateway serves them before any function's routes."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from furusato import clock, topology
from infra.local.host import FunctionHost, FunctionMissing, failure_summary
from infra.local.idp import LocalIdentityProvider
from infra.local.idp import parse_request as parse_identity_request
from infra.local.messages import (
    BadJson,
    HttpResponse,
    Request,
    bad_json,
    error_response,
    json_body,
    json_response,
)
from infra.local.tokens import LocalIssuer, TokenRequest, TokenRequestError, parse_token_request

log = logging.getLogger("infra.local")

Route = Callable[[Request, dict[str, str]], HttpResponse]


class LocalControl:
    def __init__(
        self,
        *,
        issuer: LocalIssuer,
        host: FunctionHost,
        identity_provider: LocalIdentityProvider | None = None,
        drain_streams: Callable[[], dict[str, int]] | None = None,
    ) -> None:
        self.issuer = issuer
        self.host = host
        self.identity_provider = identity_provider
        self.drain_streams_now = drain_streams
        # (method, path template of topology.LOCAL_ROUTES) -> what serves it.
        self.routes: dict[tuple[str, str], Route] = {
            ("POST", "/local/token"): self.token,
            ("PUT", "/local/clock"): self.freeze_clock,
            ("DELETE", "/local/clock"): self.restore_clock,
            ("POST", "/local/sweeps/{name}"): self.sweep,
            ("POST", "/local/identity-assertion"): self.identity_assertion,
            ("POST", "/local/streams/drain"): self.drain_streams,
        }

    def token(self, request: Request, _params: dict[str, str]) -> HttpResponse:
        try:
            token_request = parse_token_request(json_body(request))
        except BadJson:
            return bad_json()
        except TokenRequestError as exc:
            return error_response(400, "VALIDATION_ERROR", exc.message, exc.details)
        if token_request.role == "staff":
            refused = _sign_in_staff(token_request)
            if refused is not None:
                return refused
        return json_response(200, self.issuer.mint(token_request).to_dict())

    def freeze_clock(self, request: Request, _params: dict[str, str]) -> HttpResponse:
        try:
            body = json_body(request)
        except BadJson:
            return bad_json()
        bad = {name: "unknown field" for name in body if name != "now"} if isinstance(body, dict) else {}
        instant = clock.parse_instant(body.get("now") if isinstance(body, dict) else None)
        if instant is None:
            bad["now"] = "an ISO 8601 instant with its offset, e.g. 2026-05-01T10:00:00+09:00"
        if bad or instant is None:
            return error_response(400, "VALIDATION_ERROR", "invalid clock request", bad)
        clock.freeze(instant)
        return json_response(200, {"now": clock.iso(clock.now()), "frozen": True})

    def identity_assertion(self, request: Request, _params: dict[str, str]) -> HttpResponse:
        if self.identity_provider is None:
            return error_response(501, "NOT_IMPLEMENTED", "no local identity provider")
        try:
            body = json_body(request)
        except BadJson:
            return bad_json()
        facts, bad = parse_identity_request(body)
        if bad:
            return error_response(400, "VALIDATION_ERROR", "invalid assertion request", bad)
        # Business time, so assertions made under a frozen clock are valid for it.
        return json_response(200, {"assertion": self.identity_provider.sign(facts, clock.now())})

    def restore_clock(self, _request: Request, _params: dict[str, str]) -> HttpResponse:
        clock.unfreeze()
        return json_response(200, {"now": clock.iso(clock.now()), "frozen": False})

    def sweep(self, _request: Request, params: dict[str, str]) -> HttpResponse:
        name = params["name"]
        schedule = next((s for s in topology.SCHEDULES if s.name == name), None)
        if schedule is None:
            return error_response(404, "NOT_FOUND", "no such schedule")
        fn = next((f for f in topology.FUNCTIONS if f.name == schedule.function), None)
        if fn is None:
            return error_response(501, "NOT_IMPLEMENTED", f"function {schedule.function} is not declared")
        # The payload the EventBridge Scheduler target sends; its time follows the local clock.
        scheduled_time = clock.iso(clock.now())
        try:
            result = self.host.invoke(fn, {"sweep": name, "scheduled_time": scheduled_time})
        except FunctionMissing:
            return error_response(501, "NOT_IMPLEMENTED", f"function {fn.name} is not implemented yet")
        except Exception as exc:
            log.error("function %s failed: %s", fn.name, json.dumps(failure_summary(exc)))
            return error_response(502, "INTERNAL", "the sweep failed; see the stack's log")
        return json_response(200, {"sweep": name, "scheduled_time": scheduled_time, "result": result})

    def drain_streams(self, _request: Request, _params: dict[str, str]) -> HttpResponse:
        if self.drain_streams_now is None:
            return error_response(501, "NOT_IMPLEMENTED", "no stream delivery in this stack")
        return json_response(200, self.drain_streams_now())


def _sign_in_staff(token_request: TokenRequest) -> HttpResponse | None:
    """Signing in as staff: the staff record the route guard checks. A new `sub` is enrolled
    with the requested government and role (what an operator or admin would have created); an
    existing account signs in only as it is, and a removed one not at all, as with Cognito."""
    from furusato.domain.staff import StaffMember
    from furusato.store import staff

    wanted = StaffMember(
        staff_id=token_request.sub,
        lg_code=token_request.lg_code or "",
        staff_role=token_request.staff_role or "",
        org_id=token_request.org_id,
        email=None,
        created_at=clock.iso(clock.now()),
        created_by="local-sign-in",
    )
    member = staff.create(wanted)
    if not member.active:
        return error_response(401, "UNAUTHENTICATED", "this staff account was removed")
    if not member.grants(lg_code=wanted.lg_code, staff_role=wanted.staff_role, org_id=wanted.org_id):
        return error_response(
            409,
            "STAFF_ALREADY_EXISTS",
            "this staff account exists with another government, role or organization",
            {"sub": f"{member.lg_code} {member.staff_role}"},
        )
    return None
