"""A record of the audit trail as a government's staff and the operator read it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the model is loaded only by functions that read the trail
    from furusato.store.audit_trail import AuditItem


def audit_record_view(item: AuditItem) -> dict[str, Any]:
    return {
        "at": item.at,
        "lg_code": item.lg_code,
        "actor": item.actor,
        "staff_role": item.staff_role,
        "action": item.action,
        "resource": item.resource,
        "purpose": item.purpose,
        "records": int(item.records) if item.records is not None else None,
    }
