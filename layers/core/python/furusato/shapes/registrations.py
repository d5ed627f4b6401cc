"""Registrations: the application, progress toward premium, coordinators' reviews and stays."""

from __future__ import annotations

from furusato.api.schema import Bool, Date, FreeMap, Instant, Int, List, Obj, Str
from furusato.domain.ids import LG_CODE
from furusato.shapes.common import PAGING

REGISTRATION_IN = Obj(
    "RegistrationIn",
    {
        "plan": Str(choices=("basic", "premium")),
        "survey_answers": FreeMap(
            required=False, nullable=True, description="question id -> answer (see the government's survey)"
        ),
        "document_keys": List(
            Str(pattern=r"upl_[0-9a-z]{26}"),
            max_items=10,
            default=None,
            description="with plan premium: upload keys (POST /v1/me/uploads, purpose review_document) "
            "handed in with the application; the government's coordinators read them",
        ),
        "auto_upgrade": Bool(
            required=False,
            nullable=True,
            description="become premium automatically at the scan that meets the requirement "
            "(where the government auto-approves); omitted: unchanged (false on a new registration)",
        ),
    },
)


STAFF_REGISTRATIONS_QUERY = Obj(
    "StaffRegistrationsQuery",
    {
        "plan": Str(choices=("basic", "premium"), default=None),
        "status": Str(choices=("active", "pending_review", "lapsed", "withdrawn"), default=None),
        **PAGING,
    },
)

REVIEW_IN = Obj(
    "ReviewIn",
    {
        "decision": Str(choices=("approve", "reject")),
        "reason": Str(min_length=1, max_length=1000, multiline=True, description="shown to the person"),
    },
)
STAYS_IN = Obj(
    "StaysIn",
    {
        "registration_id": Str(min_length=1, max_length=64, free_text=False),
        "days": List(Date(), min_items=1, max_items=366),
        "note": Str(max_length=500, default=None, nullable=True, multiline=True),
    },
)

PROGRESS = Obj(
    "Progress",
    {
        "activities_counted": Int(ge=0),
        "activities_required": Int(ge=3),
        "stay_days": Int(ge=0),
        "long_stay_days": Int(ge=1),
        "window_start": Date(),
        "window_end": Date(),
    },
)
PREMIUM = Obj("Premium", {"valid_until": Date(nullable=True), "long_term_stayer": Bool()}, nullable=True)
REGISTRATION = Obj(
    "Registration",
    {
        "registration_id": Str(),
        "lg_code": Str(pattern=LG_CODE),
        "plan": Str(choices=("basic", "premium")),
        "status": Str(choices=("active", "pending_review", "lapsed", "withdrawn")),
        "own_residence": Bool(),
        "auto_created": Bool(),
        "registered_at": Instant(),
        "auto_upgrade": Bool(),
        "premium": PREMIUM,
        "decision_reason": Str(nullable=True, description="a coordinator's reason or why premium ended"),
        "progress": PROGRESS,
    },
)
REGISTRATION_PUT = Obj(
    "RegistrationResult",
    {
        **REGISTRATION.fields,
        "also_registered": List(Str(pattern=LG_CODE), description="automatic prefecture registrations"),
    },
)
STAFF_REGISTRATION = Obj(
    "StaffRegistration",
    {
        **{k: v for k, v in REGISTRATION.fields.items() if k not in ("progress", "decision_reason")},
        "survey_answers": FreeMap(),
    },
)
STAYS = Obj(
    "StaysResult",
    {
        "registration_id": Str(),
        "days": List(Date(), max_items=366),
        "stay_days": Int(ge=0),
        "long_term_stayer": Bool(),
    },
)
REVIEW_RESULT = Obj(
    "ReviewResult",
    {
        "registration_id": Str(),
        "lg_code": Str(),
        "plan": Str(choices=("basic", "premium")),
        "status": Str(),
        "decision": Str(choices=("approve", "reject")),
        "decision_reason": Str(),
        "premium": Obj("ReviewedPremium", {"valid_until": Date()}, nullable=True),
    },
)
DOCUMENT = Obj(
    "RegistrationDocument",
    {
        "upload_key": Str(pattern=r"upl_[0-9a-z]{26}"),
        "content_type": Str(),
        "size": Int(ge=0),
        "url": Str(max_length=4096, description="a presigned GET, valid 5 minutes"),
    },
)
STAFF_REGISTRATION_DETAIL = Obj(
    "StaffRegistrationDetail",
    {**STAFF_REGISTRATION.fields, "documents": List(DOCUMENT, max_items=50)},
)
