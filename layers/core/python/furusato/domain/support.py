"""Support measures and applications (rules 21-22; docs/support.md). Pure rules, no I/O.

- A measure eases activity and life *in the area*: it is used on a visit (`delivery: in_area`).
  Anything delivered without a visit is a return gift (返礼品) and is refused.
- `premium_and_basic` is allowed only for the measures that help people do activities (travel,
  lodging, workspace); the others are for premium registrants.
- Amounts are yen. The subsidy granted never exceeds the measure's maximum per application, nor
  `expenses x rate` when the rate is below 100 %, nor (with the person's other approved
  applications of the same fiscal year) the maximum per person per fiscal year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from furusato.domain.errors import Conflict, DomainError, InvalidInput, invalid_field

CATEGORIES = (
    "travel_subsidy",
    "lodging_subsidy",
    "workspace_subsidy",
    "vacant_house_renovation_subsidy",
    "public_facility_resident_rate",
    "resident_only_facility",
    "community_association",
    "evacuation_acceptance",
    "private_partner_benefit",
    "other",
)
# Support for doing activities, which basic registrants may also receive (rule 21).
ACTIVITY_CATEGORIES = frozenset({"travel_subsidy", "lodging_subsidy", "workspace_subsidy"})
ELIGIBILITIES = ("premium", "premium_and_basic")
IN_AREA = "in_area"
# Deliveries that reach the person without a visit: return gifts, never allowed.
RETURN_GIFT_DELIVERIES = ("shipped_goods", "mailed_voucher", "cash_without_visit")
MEASURE_STATUSES = ("draft", "open", "closed")
# A measure only moves forward.
MEASURE_TRANSITIONS = {"draft": ("open", "closed"), "open": ("closed",), "closed": ()}
APPLICATION_STATUSES = ("submitted", "info_requested", "approved", "rejected", "paid", "withdrawn")
DECISIONS = ("approve", "reject", "request_info")

NotEligible = Literal["plan", "status", "period", "yearly_maximum"]


class ReturnGiftNotAllowed(DomainError):
    status = 400
    code = "RETURN_GIFT_NOT_ALLOWED"


class AmountOverLimit(DomainError):
    status = 400
    code = "AMOUNT_OVER_LIMIT"


def not_eligible(reason: NotEligible, message: str, **details: Any) -> Conflict:
    return Conflict(message, code="NOT_ELIGIBLE", details={"reason": reason, **details})


def budget_exhausted(remaining: int) -> Conflict:
    return Conflict(
        "the measure's budget cannot cover this amount",
        code="BUDGET_EXHAUSTED",
        details={"remaining": remaining},
    )


def fiscal_year(day: date) -> int:
    """The Japanese fiscal year (April to March) a day falls in, by the year it starts."""
    return day.year if day.month >= 4 else day.year - 1


@dataclass(frozen=True)
class MeasureTerms:
    """What a coordinator sets; checked on create and on every edit."""

    name: str
    description: str
    category: str
    eligibility: str
    delivery: str
    opens_on: date
    closes_on: date
    rate_percent: int
    max_per_application: int
    max_per_person_per_fiscal_year: int
    budget_total: int
    required_documents: tuple[str, ...] = ()


def check_terms(terms: MeasureTerms) -> MeasureTerms:
    """The measure rules; the return-gift rule first, since it decides whether it may exist."""
    if terms.delivery != IN_AREA:
        raise ReturnGiftNotAllowed(
            "a support measure must be used in the area on a visit; anything received without "
            "visiting is a return gift (返礼品), which is forbidden",
            details={"delivery": terms.delivery, "allowed": [IN_AREA]},
        )
    name = terms.name.strip()
    if not name:
        raise invalid_field("name", "must not be blank")
    if terms.category not in CATEGORIES:
        raise invalid_field("category", f"one of: {', '.join(CATEGORIES)}")
    if terms.eligibility == "premium_and_basic" and terms.category not in ACTIVITY_CATEGORIES:
        raise invalid_field(
            "eligibility", "premium_and_basic only for travel_subsidy, lodging_subsidy and workspace_subsidy"
        )
    if terms.closes_on < terms.opens_on:
        raise invalid_field("closes_on", "on or after opens_on")
    if terms.max_per_application > terms.max_per_person_per_fiscal_year:
        raise invalid_field("max_per_application", "at most max_per_person_per_fiscal_year")
    documents = tuple(d.strip() for d in terms.required_documents)
    if any(not d for d in documents):
        raise invalid_field("required_documents", "no blank entries")
    return MeasureTerms(**{**terms.__dict__, "name": name, "required_documents": documents})


@dataclass(frozen=True)
class Measure:
    measure_id: str
    lg_code: str
    terms: MeasureTerms
    status: str
    approved: int = 0  # yen granted, paid or not
    paid: int = 0  # yen paid
    counts: dict[str, int] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""

    @property
    def remaining(self) -> int:
        return self.terms.budget_total - self.approved

    def is_open_on(self, day: date) -> bool:
        return self.status == "open" and self.terms.opens_on <= day <= self.terms.closes_on


def check_transition(current: str, wanted: str) -> None:
    if wanted != current and wanted not in MEASURE_TRANSITIONS.get(current, ()):
        raise Conflict(
            f"a {current} measure cannot become {wanted}",
            code="INVALID_TRANSITION",
            details={"status": current, "allowed": list(MEASURE_TRANSITIONS.get(current, ()))},
        )


def subsidy_cap(terms: MeasureTerms, expenses: int | None) -> int:
    """The most one application may get: the maximum per application, and expenses x rate."""
    cap = terms.max_per_application
    if terms.rate_percent < 100 and expenses is not None:
        cap = min(cap, expenses * terms.rate_percent // 100)
    return cap


def check_amount(terms: MeasureTerms, amount: int, expenses: int | None, *, field_name: str) -> None:
    if terms.rate_percent < 100 and expenses is None:
        raise InvalidInput(
            "expenses are needed to apply the rate",
            details={"expenses": f"required: the subsidy is {terms.rate_percent}% of what was paid"},
        )
    cap = subsidy_cap(terms, expenses)
    if amount > cap:
        raise AmountOverLimit(
            f"{field_name} exceeds what this measure allows",
            details={
                field_name: amount,
                "limit": cap,
                "max_per_application": terms.max_per_application,
                "rate_percent": terms.rate_percent,
            },
        )


@dataclass(frozen=True)
class Standing:
    """The applicant as eligibility sees them, for the measure's government."""

    registered: bool
    plan: str | None
    status: str | None
    approved_this_year: int  # yen already approved for this measure in the fiscal year


def check_eligibility(measure: Measure, standing: Standing, today: date, amount: int) -> None:
    """Raises the first reason the applicant may not apply today (rule 21); None when they may."""
    terms = measure.terms
    if measure.status != "open":
        raise Conflict("this measure is not accepting applications", code="MEASURE_CLOSED")
    if not terms.opens_on <= today <= terms.closes_on:
        raise not_eligible(
            "period",
            "outside the application period",
            opens_on=terms.opens_on.isoformat(),
            closes_on=terms.closes_on.isoformat(),
        )
    if not standing.registered or standing.status != "active":
        raise not_eligible("status", "an active registration with this government is required")
    if standing.plan != "premium" and terms.eligibility != "premium_and_basic":
        raise not_eligible("plan", "this measure is for premium registrants", plan=standing.plan)
    if standing.approved_this_year + amount > terms.max_per_person_per_fiscal_year:
        raise not_eligible(
            "yearly_maximum",
            "the yearly maximum for this measure would be exceeded",
            max_per_person_per_fiscal_year=terms.max_per_person_per_fiscal_year,
            approved_this_year=standing.approved_this_year,
        )


def clean_reason(reason: str | None, *, required: bool) -> str | None:
    text = (reason or "").strip()
    if required and not text:
        raise invalid_field("reason", "required, and not blank")
    return text or None
