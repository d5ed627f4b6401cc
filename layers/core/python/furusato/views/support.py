"""Support measures as staff and the public see them, and applications as their registrant and
the government's staff see them."""

from __future__ import annotations

from typing import Any

from furusato.domain.support import Measure
from furusato.store.support import Application


def measure_view(measure: Measure, *, staff: bool = True) -> dict[str, Any]:
    """Staff see the budget; the public list never shows budget figures."""
    view: dict[str, Any] = {
        "measure_id": measure.measure_id,
        "lg_code": measure.lg_code,
        **measure.terms.to_dict(),
    }
    view["status"] = measure.status
    if staff:
        view["budget"] = {"approved": measure.approved, "paid": measure.paid, "remaining": measure.remaining}
    else:
        view.pop("budget_total")
    return view


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
