"""A local government as the public (directory, detail), the operator (onboarded list) and its
staff (premium settings, own survey questions) see it, and its introduction page (whose image
links capabilities/pages.py signs and passes in)."""

from __future__ import annotations

from typing import Any

from furusato.domain.lg import Listing, LocalGovernment, Page, PremiumSettings, Section
from furusato.domain.survey import CHOICE_TYPES, Question


def summary_view(lg: LocalGovernment | Listing) -> dict[str, Any]:
    return {"lg_code": lg.lg_code, "name": lg.name, "kind": lg.kind, "prefecture_code": lg.prefecture_code}


def onboarded_view(lg: LocalGovernment | Listing) -> dict[str, Any]:
    return {**summary_view(lg), "onboarded_at": lg.onboarded_at}


def page_view(page: Page, image_urls: list[str | None]) -> dict[str, Any]:
    """`image_urls` are the short-lived links to the sections' images, in order (None for a
    section without one)."""
    return {
        "title": page.title,
        "body": page.body,
        "updated_at": page.updated_at,
        "sections": [
            {"heading": s.heading, "body": s.body, "image": _image_view(s, url) if s.image_key else None}
            for s, url in zip(page.sections, image_urls, strict=True)
        ],
    }


def _image_view(section: Section, url: str | None) -> dict[str, Any]:
    return {
        "upload_key": section.image_key,
        "content_type": section.image_type,
        "alt": section.image_alt,
        "url": url,
    }


def detail_view(lg: LocalGovernment, page: dict[str, Any]) -> dict[str, Any]:
    """The public detail: summary, page (its view), the full survey and premium requirements."""
    s = lg.settings
    return {
        **summary_view(lg),
        "page": page,
        "survey": [question_view(q) for q in lg.survey],
        "premium_requirements": {
            "min_activities": s.min_activities,
            "window": s.window,
            "long_stay_days": s.long_stay_days,
            "auto_approval": s.auto_approval,
        },
    }


def settings_view(settings: PremiumSettings) -> dict[str, Any]:
    return {
        "min_activities": settings.min_activities,
        "window": settings.window,
        "long_stay_days": settings.long_stay_days,
        "auto_approval": settings.auto_approval,
        "inactivity_months": settings.inactivity_months,
        "count_municipal_activities": settings.count_municipal_activities,
    }


def question_view(q: Question, *, source: bool = True) -> dict[str, Any]:
    """A survey question; only choices have options."""
    view: dict[str, Any] = {"id": q.id, "label": q.label, "type": q.type, "required": q.required}
    if q.type in CHOICE_TYPES:
        view["options"] = list(q.options)
    if source:
        view["source"] = q.source
    return view


def survey_view(questions: tuple[Question, ...]) -> dict[str, Any]:
    """The government's own questions as its staff edit them (without their source)."""
    return {"questions": [question_view(q, source=False) for q in questions]}
