"""Records of staff access to personal data (rule 24: who, what, when, why).

Every staff read or change of personal data calls `record` once per request. It is the one
place that knows where the trail is written, so the routes do not change when the trail does.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from furusato import clock

logger = Logger(child=True)


def record(
    *,
    actor_sub: str,
    lg_code: str,
    action: str,
    resource: str,
    purpose: str,
    records: int | None = None,
    staff_role: str | None = None,
) -> None:
    """`action` says what was done ("read", "export", "decide"...), `resource` what it was done
    to ("registrations", "activities/{id}/participants"...), `purpose` why (the task it serves).
    Only identifiers and counts: never names, addresses or birth dates."""
    logger.info(
        "staff access to personal data",
        extra={
            "audit": True,
            "staff_sub": actor_sub,
            "staff_role": staff_role,
            "lg_code": lg_code,
            "action": action,
            "resource": resource,
            "purpose": purpose,
            "records": records,
            "at": clock.iso(clock.now()),
        },
    )
