"""Support measures as staff and the public see them, and applications as their registrant and
the government's staff see them."""

from __future__ import annotations

from typing import Any

from furusato.domain.support import APPLICATION_STATUSES, Measure
from furusato.store.support import Application


def measure_view(measure: Measure, *, staff: bool = True) -> dict[str, Any]:
    """Staff see the budget; the public list never shows budget figures."""
    terms = measure.terms
    view: dict[str, Any] = {
        "measure_id": measure.measure_id,
        "lg_code": measure.lg_code,
        "name": terms.name,
        "description": terms.description,
        "category": terms.category,
        "eligibility": terms.eligibility,
        "delivery": terms.delivery,
        "opens_on": terms.opens_on.isoformat(),
        "closes_on": terms.closes_on.isoformat(),
        "rate_percent": terms.rate_percent,
        "max_per_application": terms.max_per_application,
        "max_per_person_per_fiscal_year": terms.max_per_person_per_fiscal_year,
        "budget_total": terms.budget_total,
        "required_documents": list(terms.required_documents),
        "status": measure.status,
    }
    if staff:
        view["budget"] = {"approved": measure.approved, "paid": measure.paid, "remaining": measure.remaining}
    else:
        view.pop("budget_total")
    return view


def report_view(measure: Measure) -> dict[str, Any]:
    """The spending report: the measure's counters (one read, whatever the number of applications)."""
    return {
        "measure_id": measure.measure_id,
        "budget_total": measure.terms.budget_total,
        "approved": measure.approved,
        "paid": measure.paid,
        "remaining": measure.remaining,
        "applications": {s: int(measure.counts.get(s, 0)) for s in APPLICATION_STATUSES},
    }


def application_view(app: Application, documents: list[dict[str, Any]]) -> dict[str, Any]:
    """`documents` are the attached documents with their short-lived URLs: the capability signs
    them, so the view makes no storage call."""
    return {
        "application_id": app.application_id,
        "measure_id": app.measure_id,
        "measure_name": app.measure_name,
        "lg_code": app.lg_code,
        "status": app.status,
        "amount_requested": app.amount_requested,
        "expenses": app.expenses,
        "amount_granted": app.amount_granted,
        "details": app.details,
        "documents": documents,
        "decision": app.decision,
        "payment": app.payment,
        "submitted_at": app.submitted_at,
        "updated_at": app.updated_at,
    }
