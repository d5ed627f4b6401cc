"""A staff account as the government's admin and the operator see it."""

from __future__ import annotations

from typing import Any

from furusato.domain.staff import StaffMember


def staff_member_view(member: StaffMember) -> dict[str, Any]:
    return {
        "staff_id": member.staff_id,
        "email": member.email,
        "staff_role": member.staff_role,
        "org_id": member.org_id,
        "lg_code": member.lg_code,
        "status": member.status,
        "created_at": member.created_at,
    }
