"""The support rules: measures (return gifts, who may receive them), amounts, and eligibility
as a truth table over plan x category x eligibility x period edges x the yearly maximum."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from furusato.domain import support as rules
from furusato.domain.errors import Conflict, InvalidInput
from furusato.views.support import report_view

OPENS, CLOSES = date(2027, 4, 1), date(2027, 6, 30)
TERMS = rules.MeasureTerms(
    name="宿泊費補助",
    description="",
    category="lodging_subsidy",
    eligibility="premium",
    delivery="in_area",
    opens_on=OPENS,
    closes_on=CLOSES,
    rate_percent=50,
    max_per_application=10_000,
    max_per_person_per_fiscal_year=30_000,
    budget_total=1_000_000,
)


def measure(**changes: object) -> rules.Measure:
    return rules.Measure("msr_212172_x", "212172", replace(TERMS, **changes), "open")  # type: ignore[arg-type]


@pytest.mark.parametrize("delivery", [*rules.RETURN_GIFT_DELIVERIES, "gift_catalogue", ""])
def test_every_delivery_without_a_visit_is_a_refused_return_gift(delivery: str) -> None:
    with pytest.raises(rules.ReturnGiftNotAllowed) as caught:
        rules.check_terms(replace(TERMS, delivery=delivery))
    assert caught.value.status == 400 and caught.value.code == "RETURN_GIFT_NOT_ALLOWED"


@pytest.mark.parametrize("category", rules.CATEGORIES)
def test_premium_and_basic_only_for_activity_support(category: str) -> None:
    terms = replace(TERMS, category=category, eligibility="premium_and_basic")
    if category in ("travel_subsidy", "lodging_subsidy", "workspace_subsidy"):
        assert rules.check_terms(terms).eligibility == "premium_and_basic"
    else:
        with pytest.raises(InvalidInput) as caught:
            rules.check_terms(terms)
        assert "eligibility" in caught.value.details
    assert rules.check_terms(replace(TERMS, category=category)).category == category


def test_blank_names_and_reversed_periods_are_refused() -> None:
    for changes, field in (
        ({"name": "  "}, "name"),
        ({"closes_on": date(2027, 3, 31)}, "closes_on"),
        ({"max_per_application": 40_000}, "max_per_application"),
        ({"required_documents": ("領収書", " ")}, "required_documents"),
    ):
        with pytest.raises(InvalidInput) as caught:
            rules.check_terms(replace(TERMS, **changes))
        assert field in caught.value.details


@pytest.mark.parametrize(
    ("rate", "amount", "expenses", "ok"),
    [
        (100, 10_000, None, True),  # exactly the maximum per application
        (100, 10_001, None, False),  # one yen over
        (50, 5_000, 10_000, True),  # exactly half of the expenses
        (50, 5_001, 10_000, False),
        (50, 10_000, 30_000, True),  # the maximum per application binds first
        (50, 10_001, 30_000, False),
        (33, 3_300, 10_001, True),  # 10,001 x 33% = 3,300.33: rounded down
        (33, 3_301, 10_001, False),
    ],
)
def test_amounts_at_their_limits(rate: int, amount: int, expenses: int | None, ok: bool) -> None:
    terms = replace(TERMS, rate_percent=rate)
    if ok:
        rules.check_amount(terms, amount, expenses, field_name="amount_requested")
    else:
        with pytest.raises(rules.AmountOverLimit) as caught:
            rules.check_amount(terms, amount, expenses, field_name="amount_requested")
        assert caught.value.code == "AMOUNT_OVER_LIMIT" and caught.value.status == 400


def test_a_rate_below_100_needs_the_expenses() -> None:
    with pytest.raises(InvalidInput) as caught:
        rules.check_amount(TERMS, 1_000, None, field_name="amount_requested")
    assert "expenses" in caught.value.details


def test_fiscal_years_start_on_1_april() -> None:
    assert rules.fiscal_year(date(2027, 3, 31)) == 2026
    assert rules.fiscal_year(date(2027, 4, 1)) == 2027
    assert rules.fiscal_year(date(2028, 3, 31)) == 2027


def _reason(m: rules.Measure, standing: rules.Standing, day: date, amount: int) -> str | None:
    try:
        rules.check_eligibility(m, standing, day, amount)
    except Conflict as error:
        return str(error.details.get("reason") or error.code)
    return None


PLANS = ("premium", "basic")
ELIGIBILITY_CASES = [
    ("lodging_subsidy", "premium"),
    ("lodging_subsidy", "premium_and_basic"),
    ("travel_subsidy", "premium_and_basic"),
    ("workspace_subsidy", "premium_and_basic"),
    ("public_facility_resident_rate", "premium"),
    ("evacuation_acceptance", "premium"),
]
DAYS = [
    (date(2027, 3, 31), "period"),  # the day before it opens (JST)
    (OPENS, None),  # the opening day
    (CLOSES, None),  # the closing day
    (date(2027, 7, 1), "period"),  # the day after it closes
]
YEARLY = [(20_000, None), (20_001, "yearly_maximum")]  # with 10,000 asked: exactly at 30,000 / 1 yen over


@pytest.mark.parametrize("plan", PLANS)
@pytest.mark.parametrize(("category", "eligibility"), ELIGIBILITY_CASES)
@pytest.mark.parametrize(("day", "period_reason"), DAYS)
@pytest.mark.parametrize(("approved_before", "yearly_reason"), YEARLY)
def test_eligibility_truth_table(
    plan: str,
    category: str,
    eligibility: str,
    day: date,
    period_reason: str | None,
    approved_before: int,
    yearly_reason: str | None,
) -> None:
    m = measure(category=category, eligibility=eligibility)
    standing = rules.Standing(True, plan, "active", approved_before)
    plan_reason = "plan" if plan == "basic" and eligibility == "premium" else None
    expected = period_reason or plan_reason or yearly_reason
    assert _reason(m, standing, day, 10_000) == expected


@pytest.mark.parametrize("status", ["pending_review", "lapsed", "withdrawn"])
def test_only_an_active_registration_may_apply(status: str) -> None:
    assert _reason(measure(), rules.Standing(True, "premium", status, 0), OPENS, 1) == "status"
    assert _reason(measure(), rules.Standing(False, None, None, 0), OPENS, 1) == "status"


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_a_measure_not_open_is_closed(status: str) -> None:
    m = replace(measure(), status=status)
    assert _reason(m, rules.Standing(True, "premium", "active", 0), OPENS, 1) == "MEASURE_CLOSED"


def test_the_report_counts_every_status() -> None:
    m = replace(measure(), approved=30_000, paid=10_000, counts={"approved": 2, "paid": 1})
    report = report_view(m)
    assert report["remaining"] == 1_000_000 - 30_000
    assert report["applications"] == {
        "submitted": 0,
        "info_requested": 0,
        "approved": 2,
        "rejected": 0,
        "paid": 1,
        "withdrawn": 0,
    }


def test_transitions_only_move_forward() -> None:
    rules.check_transition("draft", "open")
    rules.check_transition("open", "closed")
    for current, wanted in (("open", "draft"), ("closed", "open"), ("closed", "draft")):
        with pytest.raises(Conflict):
            rules.check_transition(current, wanted)
