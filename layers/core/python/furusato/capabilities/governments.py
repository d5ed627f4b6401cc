"""A local government as the public and its staff read and change it: the directory, the public
detail (page, survey, premium requirements), the premium settings and the government's own
survey questions. Views: views/government.py."""

from __future__ import annotations

from typing import Any

from furusato.capabilities import pages
from furusato.domain.errors import invalid_field
from furusato.domain.lg import PremiumSettings, check_settings
from furusato.domain.lg_code import is_valid_lg_code
from furusato.domain.survey import parse_own_questions
from furusato.store import lgs
from furusato.views.government import detail_view, settings_view, summary_view, survey_view

# How long a directory page may be served from a copy: the function instance's, and again a
# client's or a cache's (Cache-Control max-age). docs/capacity.md adds the two up.
DIRECTORY_MAX_AGE_S = int(lgs.DIRECTORY_CACHE_S)


def directory(**query: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Public and the same for everyone: from this function instance's copy for up to
    DIRECTORY_MAX_AGE_S (a newly onboarded government appears in every instance within that
    time; the onboarding runs in the admin function, whose copy is not this one)."""
    items, next_cursor = lgs.list_directory_cached(**query)
    return [summary_view(lg) for lg in items], next_cursor


def detail(lg_code: str) -> dict[str, Any]:
    if not is_valid_lg_code(lg_code):
        raise invalid_field("lg_code", "6 digits with a valid check digit")
    lg = lgs.require(lg_code)
    return detail_view(lg, pages.view_of(lg))


def get_settings(lg_code: str) -> dict[str, Any]:
    return settings_view(lgs.require(lg_code).settings)


def put_settings(lg_code: str, body: dict[str, Any]) -> dict[str, Any]:
    lg = lgs.require(lg_code)
    settings = check_settings(lg.kind, PremiumSettings(**body))
    lgs.save_settings(lg_code, settings)
    return settings_view(settings)


def get_survey(lg_code: str) -> dict[str, Any]:
    return survey_view(lgs.require(lg_code).own_questions)


def put_survey(lg_code: str, raw_questions: list[dict[str, Any]]) -> dict[str, Any]:
    questions = parse_own_questions(raw_questions)
    lgs.save_own_questions(lg_code, questions)
    return survey_view(questions)
