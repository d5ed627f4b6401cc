"""A local government as the public and its staff see it: the directory, the public detail
(page, survey, premium requirements), the premium settings and the government's own survey
questions. The views of the government aggregate are built here (the page's in
capabilities/pages.py, which this module uses)."""

from __future__ import annotations

from typing import Any

from furusato.capabilities import pages
from furusato.domain.errors import invalid_field
from furusato.domain.lg import LocalGovernment, PremiumSettings, check_settings
from furusato.domain.lg_code import is_valid_lg_code
from furusato.domain.survey import Question, parse_own_questions
from furusato.store import lgs

# How long a directory page may be served from a copy, here and at the edge.
DIRECTORY_MAX_AGE_S = int(lgs.DIRECTORY_CACHE_S)


def directory(**query: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Public and the same for everyone: from this container's copy for up to
    DIRECTORY_MAX_AGE_S (a newly onboarded government appears within that time)."""
    items, next_cursor = lgs.list_directory_cached(**query)
    return [lg.summary() for lg in items], next_cursor


def detail(lg_code: str) -> dict[str, Any]:
    if not is_valid_lg_code(lg_code):
        raise invalid_field("lg_code", "6 digits with a valid check digit")
    return detail_view(lgs.require(lg_code))


def detail_view(lg: LocalGovernment) -> dict[str, Any]:
    s = lg.settings
    return {
        **lg.summary(),
        "page": pages.view_of(lg),
        "survey": [q.to_dict() for q in lg.survey],
        "premium_requirements": {
            "min_activities": s.min_activities,
            "window": s.window,
            "long_stay_days": s.long_stay_days,
            "auto_approval": s.auto_approval,
        },
    }


def get_settings(lg_code: str) -> dict[str, Any]:
    return lgs.require(lg_code).settings.to_dict()


def put_settings(lg_code: str, body: dict[str, Any]) -> dict[str, Any]:
    lg = lgs.require(lg_code)
    settings = check_settings(lg.kind, PremiumSettings(**body))
    lgs.save_settings(lg_code, settings)
    return settings.to_dict()


def get_survey(lg_code: str) -> dict[str, Any]:
    return survey_view(lgs.require(lg_code).own_questions)


def put_survey(lg_code: str, raw_questions: list[dict[str, Any]]) -> dict[str, Any]:
    questions = parse_own_questions(raw_questions)
    lgs.save_own_questions(lg_code, questions)
    return survey_view(questions)


def survey_view(questions: tuple[Question, ...]) -> dict[str, Any]:
    """The government's own questions as its staff edit them (without their source)."""
    return {"questions": [{k: v for k, v in q.to_dict().items() if k != "source"} for q in questions]}
