"""Staff accounts and the audit trail."""

from __future__ import annotations

from furusato.api.schema import Date, Instant, Int, Obj, Str
from furusato.domain.ids import LG_CODE
from furusato.shapes.common import PAGING

STAFF_IN = Obj(
    "StaffIn",
    {
        "email": Str(max_length=254, pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+"),
        "staff_role": Str(choices=("admin", "coordinator", "viewer")),
    },
)


STAFF_USER = Obj(
    "StaffUser",
    {
        "staff_id": Str(),
        "email": Str(nullable=True),
        "staff_role": Str(choices=("admin", "coordinator", "viewer", "org")),
        "org_id": Str(nullable=True),
        "lg_code": Str(pattern=LG_CODE),
        "status": Str(choices=("active", "removed")),
        "created_at": Instant(),
    },
)


STAFF_INVITE_IN = Obj(
    "StaffInviteIn",
    {
        "email": STAFF_IN.fields["email"],
        # Never admin: only the operator creates an admin.
        "staff_role": Str(choices=("coordinator", "viewer", "org")),
        "org_id": Str(min_length=1, max_length=64, default=None),
    },
)
AUDIT_PERIOD = {"from": Date(default=None), "to": Date(default=None)}
AUDIT_QUERY = Obj("AuditQuery", {**AUDIT_PERIOD, **PAGING})
OPERATOR_AUDIT_QUERY = Obj("OperatorAuditQuery", {"lg_code": Str(pattern=LG_CODE), **AUDIT_PERIOD, **PAGING})
AUDIT_RECORD = Obj(
    "AuditRecord",
    {
        "at": Str(),
        "lg_code": Str(pattern=LG_CODE),
        "actor": Str(),
        "staff_role": Str(nullable=True),
        "action": Str(),
        "resource": Str(),
        "purpose": Str(),
        "records": Int(nullable=True),
    },
)
