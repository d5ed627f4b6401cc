"""Request and response shapes of the support routes (validation and the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from furusato.api.schema import Date, Field, Instant, Int, List, Obj, Str
from furusato.domain import support as rules
from furusato.shapes.common import PAGING

YEN = 1_000_000_000  # an upper bound that keeps every sum far inside DynamoDB's numbers
MEASURE_ID = r"msr_[0-9]{6}_[0-9a-z]{26}"
APPLICATION_ID = r"sap_[0-9a-z]{26}"


def _terms(required: bool) -> dict[str, Field]:
    need: dict[str, Any] = {} if required else {"default": None}
    return {
        "name": Str(min_length=1, max_length=200, **need),
        "description": Str(max_length=5000, default=None if not required else "", multiline=True),
        "category": Str(choices=rules.CATEGORIES, **need),
        "eligibility": Str(
            choices=rules.ELIGIBILITIES,
            description="premium_and_basic only for travel, lodging and workspace subsidies",
            **need,
        ),
        "delivery": Str(
            max_length=50,
            description="in_area (used on a visit). Anything else, e.g. shipped_goods, mailed_voucher or "
            "cash_without_visit, is a return gift: 400 RETURN_GIFT_NOT_ALLOWED",
            **need,
        ),
        "opens_on": Date(description="first JST day applications are accepted", **need),
        "closes_on": Date(description="last JST day applications are accepted", **need),
        "rate_percent": Int(ge=1, le=100, description="share of expenses subsidised", **need),
        "max_per_application": Int(ge=1, le=YEN, **need),
        "max_per_person_per_fiscal_year": Int(ge=1, le=YEN, **need),
        "budget_total": Int(ge=0, le=YEN, **need),
        "required_documents": List(Str(max_length=200), max_items=20, default=None if not required else []),
    }


MEASURE_IN = Obj(
    "SupportMeasureIn",
    {**_terms(True), "status": Str(choices=("draft", "open"), default="draft")},
)
MEASURE_PATCH = Obj(
    "SupportMeasurePatch",
    {**_terms(False), "status": Str(choices=rules.MEASURE_STATUSES, default=None)},
)

BUDGET = Obj(
    "SupportBudget",
    {
        "approved": Int(ge=0, description="yen granted, paid or not"),
        "paid": Int(ge=0),
        "remaining": Int(description="budget_total - approved"),
    },
)

_MEASURE_FIELDS = {
    "measure_id": Str(pattern=MEASURE_ID),
    "lg_code": Str(pattern=r"[0-9]{6}"),
    "name": Str(max_length=200),
    "description": Str(max_length=5000),
    "category": Str(choices=rules.CATEGORIES),
    "eligibility": Str(choices=rules.ELIGIBILITIES),
    "delivery": Str(choices=(rules.IN_AREA,)),
    "opens_on": Date(),
    "closes_on": Date(),
    "rate_percent": Int(ge=1, le=100),
    "max_per_application": Int(ge=1),
    "max_per_person_per_fiscal_year": Int(ge=1),
    "required_documents": List(Str(max_length=200), max_items=20),
    "status": Str(choices=rules.MEASURE_STATUSES),
}
MEASURE = Obj("SupportMeasure", {**_MEASURE_FIELDS, "budget_total": Int(ge=0), "budget": BUDGET})
PUBLIC_MEASURE = Obj("PublicSupportMeasure", _MEASURE_FIELDS)

REPORT = Obj(
    "SupportMeasureReport",
    {
        "measure_id": Str(pattern=MEASURE_ID),
        "budget_total": Int(ge=0),
        "approved": Int(ge=0),
        "paid": Int(ge=0),
        "remaining": Int(),
        "applications": Obj("SupportApplicationCounts", {s: Int(ge=0) for s in rules.APPLICATION_STATUSES}),
    },
)

_ATTACHMENTS = List(
    Str(pattern=r"upl_[0-9a-z]{26}"),
    max_items=20,
    default=None,
    description="upload keys from POST /v1/me/uploads with purpose support_document",
)

APPLICATION_IN = Obj(
    "SupportApplicationIn",
    {
        "measure_id": Str(pattern=MEASURE_ID),
        "amount_requested": Int(ge=1, le=YEN, description="the subsidy asked for, in yen"),
        "expenses": Int(
            ge=1, le=YEN, default=None, description="what was paid, in yen; required when rate_percent < 100"
        ),
        "details": Str(max_length=5000, default="", multiline=True),
        "attachment_keys": _ATTACHMENTS,
    },
)
APPLICATION_PATCH = Obj(
    "SupportApplicationPatch",
    {
        "amount_requested": Int(ge=1, le=YEN, default=None),
        "expenses": Int(ge=1, le=YEN, default=None),
        "details": Str(max_length=5000, default=None, multiline=True),
        "attachment_keys": List(Str(pattern=r"upl_[0-9a-z]{26}"), max_items=20, default=None),
    },
)

DOCUMENT = Obj(
    "Document",
    {
        "upload_key": Str(pattern=r"upl_[0-9a-z]{26}"),
        "content_type": Str(),
        "size": Int(ge=0),
        "url": Str(max_length=4096, description="a presigned GET, valid 5 minutes"),
    },
)
DECISION = Obj(
    "SupportDecisionRecord",
    {"decided_by": Str(), "decided_at": Instant(), "reason": Str(nullable=True, max_length=2000)},
    nullable=True,
)
PAYMENT = Obj(
    "SupportPaymentRecord",
    {"paid_on": Date(), "reference": Str(max_length=200), "recorded_by": Str(), "recorded_at": Instant()},
    nullable=True,
)
APPLICATION = Obj(
    "SupportApplication",
    {
        "application_id": Str(pattern=APPLICATION_ID),
        "measure_id": Str(pattern=MEASURE_ID),
        "measure_name": Str(max_length=200),
        "lg_code": Str(pattern=r"[0-9]{6}"),
        "status": Str(choices=rules.APPLICATION_STATUSES),
        "amount_requested": Int(ge=1),
        "expenses": Int(ge=1, nullable=True),
        "amount_granted": Int(ge=0, nullable=True),
        "details": Str(nullable=True, max_length=5000),
        "documents": List(DOCUMENT, max_items=20),
        "decision": DECISION,
        "payment": PAYMENT,
        "submitted_at": Instant(),
        "updated_at": Instant(),
    },
)

DECISION_IN = Obj(
    "SupportDecisionIn",
    {
        "decision": Str(choices=rules.DECISIONS),
        "amount_granted": Int(
            ge=1, le=YEN, default=None, description="approve only; default: the amount requested"
        ),
        "reason": Str(
            max_length=2000,
            default=None,
            multiline=True,
            description="required (not blank) to reject or request info",
        ),
    },
)
PAYMENT_IN = Obj(
    "SupportPaymentIn",
    {"paid_on": Date(), "reference": Str(min_length=1, max_length=200)},
)

APPLICATIONS_QUERY = Obj(
    "SupportApplicationsQuery",
    {"status": Str(choices=rules.APPLICATION_STATUSES, default=None), **PAGING},
)
EXPORT_QUERY = Obj("SupportExportQuery", {"status": Str(choices=("approved",), default="approved")})
