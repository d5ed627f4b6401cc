"""A local government as the public (directory, detail), the operator (onboarded list) and its
staff (premium settings, own survey questions) see it. The introduction page's view needs
short-lived image links and is built by capabilities/pages.py, then placed here."""

from __future__ import annotations

from typing import Any

from furusato.domain.lg import LocalGovernment, PremiumSettings
from furusato.domain.survey import Question


def summary_view(lg: LocalGovernment) -> dict[str, Any]:
    return {"lg_code": lg.lg_code, "name": lg.name, "kind": lg.kind, "prefecture_code": lg.prefecture_code}


def onboarded_view(lg: LocalGovernment) -> dict[str, Any]:
    return {**summary_view(lg), "onboarded_at": lg.onboarded_at}


def detail_view(lg: LocalGovernment, page: dict[str, Any]) -> dict[str, Any]:
    """The public detail: summary, page (its view), the full survey and premium requirements."""
    s = lg.settings
    return {
        **summary_view(lg),
        "page": page,
        "survey": [q.to_dict() for q in lg.survey],
        "premium_requirements": {
            "min_activities": s.min_activities,
            "window": s.window,
            "long_stay_days": s.long_stay_days,
            "auto_approval": s.auto_approval,
        },
    }


def settings_view(settings: PremiumSettings) -> dict[str, Any]:
    return settings.to_dict()


def survey_view(questions: tuple[Question, ...]) -> dict[str, Any]:
    """The government's own questions as its staff edit them (without their source)."""
    return {"questions": [{k: v for k, v in q.to_dict().items() if k != "source"} for q in questions]}
